"""Who holds access to the team server beyond API tokens: dashboard sessions and the apps connected by OAuth.

`models` are the tables (migration 0008), `sessions` the server-side dashboard sessions, `clients` the
OAuth apps (registered, or known by their Client ID Metadata Document), `grants` what a user allowed
an app (codes, access and refresh tokens, each kept as a SHA-256 only).
"""
