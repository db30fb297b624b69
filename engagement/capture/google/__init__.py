"""Capture from Google Workspace: each CSM's Gmail and Calendar, read incrementally into activities.

googleapiclient is imported lazily (inside functions) so the MCP server starts without it.
"""
