"""The Monitor, Researcher and Communicator: Claude answering a CSM in words, from this server's MCP tools.

`catalog` says who the agents are and which tools each may call, `routing` which one a question goes
to, `bridge` turns the server's MCP tools into the anthropic tool runner's tools, `conversation` runs
an answer, and `connect` opens all of it over an in-memory MCP session. Nothing here is imported by
the MCP server (`anthropic` stays out of its cold start).
"""
