"""Capture from Microsoft 365: each CSM's Outlook mail (Inbox, Sent Items) and calendar through Microsoft Graph.

msal and httpx are imported when a sync or a sign-in runs, not when the MCP server starts.
"""
