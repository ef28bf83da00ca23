"""Tandem Assist: the customer's program (help request, consent, screen sharing, control)."""
