"""QA replay: the recording player, the scorecard and the list of recordings to review.

The widgets take a local file path or plain data, so the console embeds them and fetches
their data through the hub.
"""
