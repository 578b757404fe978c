"""gridbot: a Telegram bot for community grid workers' daily reports (日报告 / 零报告)."""

__version__ = "0.1.0"
