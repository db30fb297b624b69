"""The team server's web edge: the dashboard's pages (and, beside them, the REST API and /mcp)."""
