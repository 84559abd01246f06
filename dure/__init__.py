"""Dure (두레): a self-hostable crowdsourcing platform for AI training data with full inspection."""

__version__ = "0.1.0"
