"""Routing (ACD): queues, strategies, tier priority with aging, offers, explainable decisions."""
