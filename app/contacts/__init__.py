"""Contacts (rings), the queues they wait in, and the sessions they lead to."""
