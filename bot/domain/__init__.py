"""The domain: plain Python, no Telegram and no SQL."""
