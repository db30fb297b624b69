"""Open a conversation: the Anthropic client from the environment, and this project's MCP server in memory.

The server is the one `python server.py` serves (`tools.server.create_server`), reached through the MCP
SDK's in-process client: no subprocess, and the agents see exactly the tools Claude Desktop sees.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import anthropic
from mcp import Client

from agents.bridge import ToolBridge
from agents.catalog import AGENTS
from agents.conversation import MAX_ROUNDS, Conversation
from agents.errors import KEY_HINT, AgentError, missing_key
from engagement.caller import Caller
from engagement.settings import Settings


def anthropic_client() -> anthropic.AsyncAnthropic:
    """The client as the SDK configures it from the environment (ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL, ...)."""
    try:
        client = anthropic.AsyncAnthropic()
    except anthropic.CredentialsError as exc:
        raise AgentError(f"The Anthropic credentials could not be loaded ({' '.join(str(exc).split())}); {KEY_HINT}.") from exc
    if client.api_key is None and client.auth_token is None and client.credentials is None:
        raise missing_key()
    return client


@asynccontextmanager
async def open_conversation(
    settings: Settings,
    *,
    agent: str | None = None,
    client: anthropic.AsyncAnthropic | None = None,
    max_rounds: int = MAX_ROUNDS,
) -> AsyncIterator[Conversation]:
    """A conversation over the configured store; `agent` forces one agent for every question."""
    from tools.server import create_server  # the server exactly as stdio serves it, asked as the local user

    async with AsyncExitStack() as stack:
        if client is None:
            client = anthropic_client()
            stack.push_async_callback(client.close)
        session = await stack.enter_async_context(Client(create_server(settings)))
        bridge = ToolBridge(session, Caller.local(settings).as_of)
        await bridge.load()
        yield Conversation(
            client, bridge, model=settings.model, agent=AGENTS[agent] if agent else None, max_rounds=max_rounds
        )
