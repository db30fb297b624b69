"""Routes whose path parameters are read from the path as it was sent, percent-encoded, then decoded once.

A customer id may hold `/`, `?`, `#`, `%` or spaces: a client sends it percent-encoded (`a%2Fb`), and the
route must take it as one parameter. Starlette matches the decoded path, where `a%2Fb` has become two
segments (and a test client decodes `%252F` twice); matching the raw path keeps each segment whole.
"""

from __future__ import annotations

from urllib.parse import unquote

from starlette.requests import Request
from starlette.routing import Match, Route
from starlette.types import Scope

from engagement.checks import has_nul
from engagement.errors import EngagementError


class EncodedRoute(Route):
    """A Route matched against the raw path: each `{name}` is one percent-encoded segment, decoded once."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        raw = scope.get("raw_path")
        if scope["type"] != "http" or not isinstance(raw, bytes) or not raw.isascii():
            return super().matches(scope)
        match, child = super().matches({**scope, "path": raw.decode("ascii")})
        if match is not Match.NONE:
            params = child["path_params"]
            child["path_params"] = {**params, **{name: unquote(params[name]) for name in self.param_convertors}}
        return match, child


def customer_id(request: Request, name: str) -> str:
    """The customer id in the path; one with a NUL is refused (400) on every door and both databases, as
    PostgreSQL can neither store nor compare it."""
    value: str = request.path_params[name]
    if has_nul(value):
        raise EngagementError("The customer id contains a NUL character (%00); remove it.")
    return value
