"""What happens when: morning prompts, reminders, escalation and the evening digest.

The scheduler only decides *when*; what is sent is the same code a command runs.
"""
