"""``adk-store bench``: adk-store, and ADK's own service, measured on the user's database."""
