"""Telegram handlers: thin adapters between updates and the domain/storage."""
