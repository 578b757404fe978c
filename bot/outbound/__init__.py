"""What the bot sends on its own: prompts, nags, escalations, digests, urgent alerts.

The scheduler decides when; these modules decide what and to whom, and they are the same
code that the commands (/digest, the alert's acknowledge button) use.
"""
