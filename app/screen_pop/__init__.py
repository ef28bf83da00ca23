"""Screen pop: the customer profile an agent sees the moment a contact rings."""
