"""Intercom: conversations through the Search Conversations API, and its signed webhook notifications."""
