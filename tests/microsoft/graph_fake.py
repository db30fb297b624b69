"""A stateful stand-in for Microsoft Graph and the Microsoft identity platform on 127.0.0.1, speaking their JSON.

Identity (HTTPS, a certificate made per run, trusted through REQUESTS_CA_BUNDLE so msal verifies it): the
tenant's OpenID configuration, the device-code endpoint and the token endpoint (device code with one
`authorization_pending` first, refresh tokens, client credentials). Graph (HTTP): message delta per mail
folder and calendarView delta, paged by `Prefer: odata.maxpagesize` with @odata.nextLink, closed by an
@odata.deltaLink whose token is a position in the mailbox's change log; deletions and moves out of a folder
as `@removed`; 429/503 with Retry-After on demand; 410 syncStateNotFound for tokens made before `expire`;
and Graph's per-mailbox limit: a fifth concurrent request to one mailbox is answered 429.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.microsoft.fake_http import Json, Server, certificate
from tests.microsoft.graph_resources import event, graph_id, message  # noqa: F401 (the tests build resources as m.message)

TENANT = "c0ffee00-0000-4000-8000-00000000feed"
CLIENT_ID = "8f2b7c4e-1d3a-4b5c-9e6f-0a1b2c3d4e5f"
APP_SECRET = "fake~app~secret"
LIMIT = 4


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _unb64(text: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    return result


@dataclass
class Mailbox:
    address: str
    items: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {"inbox": {}, "sentitems": {}, "archive": {}, "calendar": {}}
    )
    log: list[tuple[str, str]] = field(default_factory=list)  # (collection, id): the change at each position
    generation: int = 0  # tokens of an older generation are gone (410)


class FakeMicrosoft:
    """Both servers; mailboxes by address. Tests change the mailboxes and read what was asked."""

    def __init__(self, folder: Path) -> None:
        self.mailboxes: dict[str, Mailbox] = {}
        self.lock = threading.Condition()
        self.tokens: dict[str, str] = {}  # access token -> principal: a user's address or "app"
        self.refresh_tokens: dict[str, str] = {}
        self.users: dict[str, str] = {}  # device code -> the user who will approve it
        self.polls: dict[str, int] = {}
        self.throttles: dict[str, list[tuple[int, str]]] = {}
        self.in_flight: dict[str, int] = {}
        self.max_in_flight: dict[str, int] = {}
        self.hold_until = 0  # >0: each Graph request waits until this many are in flight for its mailbox
        self.hold_seconds = 2.0  # ... or this long
        self.requests: list[tuple[str, str]] = []  # (mailbox, path with query)
        self.token_grants: list[str] = []
        self.serial = 0
        self.lifetime = 3600  # seconds a user's access token lives (msal refreshes within 5 minutes of the end)
        self.cert, self.key = certificate(folder)
        self.identity = Server(("127.0.0.1", 0), self._identity_handler())
        import ssl

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        self.identity.socket = context.wrap_socket(self.identity.socket, server_side=True)
        self.graph = Server(("127.0.0.1", 0), self._graph_handler())
        for server in (self.identity, self.graph):
            threading.Thread(target=server.serve_forever, daemon=True).start()

    @property
    def authority_host(self) -> str:
        return f"https://127.0.0.1:{self.identity.server_address[1]}"

    @property
    def graph_url(self) -> str:
        return f"http://127.0.0.1:{self.graph.server_address[1]}/v1.0"

    def close(self) -> None:
        for server in (self.identity, self.graph):
            server.shutdown()
            server.server_close()

    # -- what tests do to mailboxes ------------------------------------------------------------------

    def mailbox(self, address: str) -> Mailbox:
        with self.lock:
            return self.mailboxes.setdefault(address, Mailbox(address))

    def put(self, address: str, collection: str, resource: dict[str, Any]) -> None:
        """Add or change a message (collection inbox/sentitems) or an event (calendar)."""
        box = self.mailbox(address)
        with self.lock:
            box.items[collection][resource["id"]] = resource
            box.log.append((collection, resource["id"]))

    def remove(self, address: str, collection: str, item_id: str) -> dict[str, Any]:
        box = self.mailbox(address)
        with self.lock:
            resource = box.items[collection].pop(item_id)
            box.log.append((collection, item_id))
            return resource

    def move(self, address: str, item_id: str, source: str, target: str) -> None:
        """A move keeps the message's (immutable) id: it leaves one folder and arrives in the other."""
        self.put(address, target, self.remove(address, source, item_id))

    def cancel(self, address: str, item_id: str) -> None:
        """An organizer's cancellation: the attendee's copy turns isCancelled before the attendee removes it."""
        resource = dict(self.mailbox(address).items["calendar"][item_id], isCancelled=True)
        self.put(address, "calendar", resource)

    def expire(self, address: str) -> None:
        with self.lock:
            self.mailbox(address).generation += 1

    def throttle(self, address: str, *answers: tuple[int, str]) -> None:
        """The next requests to this mailbox are answered (status, Retry-After) first."""
        with self.lock:
            self.throttles.setdefault(address, []).extend(answers)

    # -- the identity platform -----------------------------------------------------------------------

    def approve(self, user: str) -> None:
        """The next device code is approved by `user` after one `authorization_pending`."""
        with self.lock:
            self.users["next"] = user

    def _issue(self, principal: str, scope: str, refresh: bool) -> dict[str, Any]:
        with self.lock:
            self.serial += 1
            access = f"at-{self.serial}-{principal}"
            self.tokens[access] = principal
            life = self.lifetime if refresh else 3600
            answer: dict[str, Any] = {"token_type": "Bearer", "scope": scope, "expires_in": life, "ext_expires_in": life,
                                      "access_token": access}  # fmt: skip
            if refresh:
                token = f"rt-{self.serial}-{principal}"
                self.refresh_tokens[token] = principal
                oid = f"00000000-0000-0000-0000-{abs(hash(principal)) % 10**12:012d}"
                claims = {"aud": CLIENT_ID, "iss": f"{self.authority_host}/{TENANT}/v2.0", "iat": 1, "nbf": 1,
                          "exp": 4102444800, "name": principal.split("@")[0].title(), "oid": oid,
                          "preferred_username": principal, "sub": oid, "tid": TENANT, "ver": "2.0"}  # fmt: skip
                answer["refresh_token"] = token
                answer["id_token"] = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
                answer["client_info"] = _b64({"uid": oid, "utid": TENANT})
            return answer

    def revoke(self, user: str) -> None:
        with self.lock:
            for table in (self.tokens, self.refresh_tokens):
                for token in [t for t, who in table.items() if who == user]:
                    del table[token]

    def _token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        grant = form.get("grant_type", "")
        self.token_grants.append(grant)
        if form.get("client_id") != CLIENT_ID:
            return 400, {"error": "unauthorized_client", "error_description": "AADSTS700016: Application not found."}
        if grant == "client_credentials":
            if form.get("client_secret") != APP_SECRET:
                return 401, {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."}
            return 200, self._issue("app", "https://graph.microsoft.com/.default", refresh=False)
        if grant == "refresh_token":
            principal = self.refresh_tokens.get(form.get("refresh_token", ""))
            if principal is None:
                return 400, {"error": "invalid_grant", "error_description": "AADSTS70008: The refresh token has expired."}
            return 200, self._issue(principal, form.get("scope", ""), refresh=True)
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            code = form.get("device_code", "")
            with self.lock:
                self.polls[code] = self.polls.get(code, 0) + 1
                user = self.users.get(code)
            if user is None or self.polls[code] == 1:
                return 400, {"error": "authorization_pending", "error_description": "AADSTS70016: pending."}
            return 200, self._issue(user, form.get("scope", ""), refresh=True)
        return 400, {"error": "unsupported_grant_type"}

    def _identity_handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(Json):
            def do_GET(self) -> None:
                base = f"{fake.authority_host}/{TENANT}"
                if self.path == f"/{TENANT}/v2.0/.well-known/openid-configuration":
                    self.send_json(200, {
                        "issuer": f"{base}/v2.0", "token_endpoint": f"{base}/oauth2/v2.0/token",
                        "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                        "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                        "jwks_uri": f"{base}/discovery/v2.0/keys", "response_types_supported": ["code"],
                        "tenant_region_scope": "EU",
                    })  # fmt: skip
                else:
                    self.send_json(404, {"error": "invalid_tenant"})

            def do_POST(self) -> None:
                form = {k: v[0] for k, v in parse_qs(self.body().decode()).items()}
                if self.path == f"/{TENANT}/oauth2/v2.0/devicecode":
                    with fake.lock:
                        fake.serial += 1
                        code = f"dc-{fake.serial}"
                        fake.users[code] = fake.users.pop("next", "")
                    user_code = f"F{fake.serial:07d}"
                    self.send_json(200, {
                        "user_code": user_code, "device_code": code, "verification_uri": "https://microsoft.com/devicelogin",
                        "expires_in": 900, "interval": 0,
                        "message": f"To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code {user_code} to authenticate.",
                    })  # fmt: skip
                elif self.path == f"/{TENANT}/oauth2/v2.0/token":
                    status, body = fake._token(form)
                    self.send_json(status, body)
                else:
                    self.send_json(404, {"error": "invalid_request"})

        return Handler

    # -- Graph ---------------------------------------------------------------------------------------

    def _graph_handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(Json):
            def do_GET(self) -> None:
                status, body, headers = fake._graph(self.path, {k.lower(): v for k, v in self.headers.items()})
                self.send_json(status, body, headers)

        return Handler

    @contextmanager
    def _slot(self, address: str) -> Iterator[bool]:
        with self.lock:
            self.in_flight[address] = self.in_flight.get(address, 0) + 1
            count = self.in_flight[address]
            self.max_in_flight[address] = max(self.max_in_flight.get(address, 0), count)
            self.lock.notify_all()
            if self.hold_until and count < self.hold_until:
                # Overlap on purpose: wait for company (a condition, not a sleep), or go on after a while.
                self.lock.wait_for(lambda: self.in_flight[address] >= self.hold_until, timeout=self.hold_seconds)
        try:
            yield count <= LIMIT
        finally:
            with self.lock:
                self.in_flight[address] -= 1

    def _graph(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, Any], dict[str, str]]:
        principal = self.tokens.get(headers.get("authorization", "").removeprefix("Bearer "))
        if principal is None:
            return 401, _error("InvalidAuthenticationToken", "Access token has expired or is not yet valid."), {}
        parts = urlsplit(path)
        segments = [unquote(s) for s in parts.path.split("/") if s][1:]  # without v1.0
        if segments[:1] == ["me"]:
            address, rest = principal, segments[1:]
        elif segments[:1] == ["users"] and len(segments) > 1:
            address, rest = segments[1].lower(), segments[2:]
        else:
            return 400, _error("BadRequest", "Unsupported segment."), {}
        if principal not in ("app", address):
            return 403, _error("ErrorAccessDenied", "Access is denied. Check credentials and try again."), {}
        self.requests.append((address, path))
        with self._slot(address) as allowed:
            if not allowed:
                return 429, _error("ApplicationThrottled", "Application is over its MailboxConcurrency limit."), {"Retry-After": "1"}
            with self.lock:
                queued = self.throttles.get(address)
                throttle = queued.pop(0) if queued else None
            if throttle is not None:
                status, after = throttle
                code = "TooManyRequests" if status == 429 else "ServiceUnavailable"
                return status, _error(code, "Please retry again later."), {"Retry-After": after}
            if rest[:1] == ["mailFolders"] and len(rest) == 4 and rest[2:] == ["messages", "delta"]:
                collection, prefix = rest[1].lower(), "/".join(segments[:-4])
            elif rest == ["calendarView", "delta"]:
                collection, prefix = "calendar", "/".join(segments[:-2])
            else:
                return 400, _error("BadRequest", "Unsupported request."), {}
            return self._delta(address, collection, prefix, parse_qs(parts.query), headers.get("prefer", ""))

    def _delta(
        self, address: str, collection: str, prefix: str, query: dict[str, list[str]], prefer: str
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        box = self.mailbox(address)
        size = 10
        for part in prefer.split(","):
            name, _, value = part.strip().partition("=")
            if name == "odata.maxpagesize":
                size = int(value)
        link = f"{self.graph_url}/{prefix}/" + ("calendarView/delta" if collection == "calendar" else f"mailFolders/{collection}/messages/delta")
        with self.lock:
            if "$skiptoken" in query:
                state = _unb64(query["$skiptoken"][0])
            elif "$deltatoken" in query:
                token = _unb64(query["$deltatoken"][0])
                state = {**token, "from": token["pos"], "at": len(box.log), "offset": 0}
            else:
                state = {"c": collection, "gen": box.generation, "from": None, "at": len(box.log), "offset": 0,
                         "since": _since(query, collection), "select": (query.get("$select") or [""])[0],
                         "window": [(query.get(k) or [""])[0].rstrip("Z") for k in ("startDateTime", "endDateTime")]}  # fmt: skip
            if state["gen"] != box.generation or state["c"] != collection:
                return 410, _error("syncStateNotFound", "The sync state generation is not found."), {}
            entries = self._entries(box, state)
            offset = state["offset"]
            page = entries[offset : offset + size]
            body: dict[str, Any] = {"@odata.context": f"{self.graph_url}/$metadata#Collection({'event' if collection == 'calendar' else 'message'})", "value": page}
            if offset + size < len(entries):
                body["@odata.nextLink"] = f"{link}?$skiptoken={_b64({**state, 'offset': offset + size})}"
            else:
                keep = {k: state[k] for k in ("c", "gen", "since", "select", "window")}
                body["@odata.deltaLink"] = f"{link}?$deltatoken={_b64({**keep, 'pos': state['at']})}"
        return 200, body, {"Preference-Applied": f"odata.maxpagesize={size}"}

    def _entries(self, box: Mailbox, state: dict[str, Any]) -> list[dict[str, Any]]:
        """A round's items: every live one (first round) or those changed between its two log positions."""
        collection, items = state["c"], box.items[state["c"]]
        if state["from"] is None:
            ids = list(items)
        else:
            ids = list(dict.fromkeys(i for c, i in box.log[state["from"] : state["at"]] if c == collection))
        since = dt.datetime.fromisoformat(state["since"]) if state.get("since") else None
        window = [dt.datetime.fromisoformat(w) for w in state.get("window", []) if w]
        kind = "event" if collection == "calendar" else "message"
        chosen: list[dict[str, Any]] = []
        for item_id in ids:
            resource = items.get(item_id)
            if resource is None:
                chosen.append({"@odata.type": f"#microsoft.graph.{kind}", "id": item_id, "@removed": {"reason": "deleted"}})
                continue
            if collection == "calendar":
                start = dt.datetime.fromisoformat(resource["start"]["dateTime"][:19])
                if len(window) == 2 and not window[0] <= start <= window[1]:
                    continue
            elif since is not None and dt.datetime.fromisoformat(resource["receivedDateTime"].rstrip("Z")) < since:
                continue
            chosen.append(_selected(resource, state.get("select", "")))
        return chosen


def _since(query: dict[str, list[str]], collection: str) -> str | None:
    if collection == "calendar":
        return None
    text = (query.get("$filter") or [""])[0]
    _, _, stamp = text.partition("receivedDateTime ge ")
    return stamp.strip().rstrip("Z") or None


def _selected(resource: dict[str, Any], select: str) -> dict[str, Any]:
    if not select:
        return dict(resource)
    wanted = set(select.split(",")) | {"id", "@odata.etag"}
    return {k: v for k, v in resource.items() if k in wanted}


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "innerError": {"date": "2026-11-24T12:00:00",
            "request-id": "9e1e6f5a-0000-4000-8000-000000000000", "client-request-id": "9e1e6f5a-0000-4000-8000-000000000001"}}}  # fmt: skip
