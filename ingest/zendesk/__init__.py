"""Zendesk Support: tickets through the cursor-based incremental export."""
