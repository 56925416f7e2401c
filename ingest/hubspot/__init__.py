"""HubSpot: notes on companies, through CRM v3 search and the v4 associations API."""
