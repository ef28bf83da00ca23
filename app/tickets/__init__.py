"""Tickets: the record of a customer's problem, from first contact to closing."""
