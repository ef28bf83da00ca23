"""Customer notifications: the outbox, the Tandem Assist channel and SMTP delivery."""
