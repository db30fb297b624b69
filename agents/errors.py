"""What goes wrong between us and the Anthropic API, as one line a CSM can act on.

The SDK has already retried what it retries (429, 5xx and 529, connection failures; twice, waiting
as the API asks) by the time an error reaches `describe`.
"""

from __future__ import annotations

import anthropic

from engagement.errors import EngagementError

KEY_HINT = "set ANTHROPIC_API_KEY (export ANTHROPIC_API_KEY=sk-ant-...; keys at https://console.anthropic.com/settings/keys)"


class AgentError(EngagementError):
    """The answer could not be had; the message is one line saying why and what to do."""


def missing_key() -> AgentError:
    return AgentError(f"No Anthropic API key: {KEY_HINT}.")


def describe(exc: anthropic.APIError, client: anthropic.AsyncAnthropic) -> str:
    if isinstance(exc, anthropic.APITimeoutError):
        return f"The Anthropic API at {client.base_url} did not answer in time; try again."
    if isinstance(exc, anthropic.APIConnectionError):
        return f"Could not reach the Anthropic API at {client.base_url}: check the network (or ANTHROPIC_BASE_URL)."
    if not isinstance(exc, anthropic.APIStatusError):
        return f"The Anthropic API's answer could not be read: {_one_line(exc.message)}"
    said = _one_line(exc.api_message or exc.message)
    status, kind = exc.status_code, exc.type  # a stream that fails midway has status 200 and the error's type
    retried = f"still after {client.max_retries} retries"
    if status == 401 or kind == "authentication_error":
        return f"The Anthropic API refused the key (401: {said}): {KEY_HINT}."
    if status == 403 or kind == "permission_error":
        return f"This API key may not do that (403: {said})."
    if status == 404 or kind == "not_found_error":
        return f"The Anthropic API does not know that (404: {said}); check ENGAGEMENT_MODEL."
    if status == 429 or kind == "rate_limit_error":
        return f"The Anthropic API is rate limiting this key (429), {retried}; wait a minute and ask again."
    if status == 529 or kind == "overloaded_error":
        return f"The Anthropic API is overloaded (529), {retried}; try again in a few minutes."
    if status >= 500 or kind == "api_error":
        return f"The Anthropic API failed ({status}: {said}), {retried}; try again shortly."
    return f"The Anthropic API refused the request ({status}: {said})."


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]
