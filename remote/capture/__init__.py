"""Screen capture on the customer's machine: monitors, frames, where it changed, the cursor."""
