"""SLA: service calendars, tier policies, due times, pauses, breaches and warnings."""
