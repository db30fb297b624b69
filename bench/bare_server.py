"""The cold-start baseline: a bare one-tool MCPServer on stdio, nothing else imported."""

from mcp.server.mcpserver import MCPServer

server = MCPServer("bare")


@server.tool()
def ping() -> str:
    return "pong"


if __name__ == "__main__":
    server.run("stdio")
