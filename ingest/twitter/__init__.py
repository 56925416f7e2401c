"""X (Twitter): posts matching a query, through API v2 recent search."""
