"""Customers (companies), their contact persons, products they run, and their machines."""
