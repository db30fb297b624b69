"""The engagement domain: store, periods, metrics, scoring, imports and demo data.

Nothing here imports MCP, a web framework or a CLI library; those are edges (`tools/`, `server.py`,
`cli/`) that call into this package.
"""
