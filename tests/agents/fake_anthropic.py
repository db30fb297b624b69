"""A stand-in for the Anthropic Messages API on 127.0.0.1, speaking its wire format to the real SDK.

`POST /v1/messages` answers with the next scripted reply: JSON, or (`"stream": true`) the SSE events
message_start, content_block_start / ping / content_block_delta (text_delta, input_json_delta) /
content_block_stop, message_delta (stop_reason, usage) and message_stop; or an error status with the
API's error body. A script item may be a function of the request, so a reply can quote the tool
results the SDK sent. Every request is recorded. Usage imitates prompt caching: the request's prefix
up to its last `cache_control` is written to the cache the first time and read from it after.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODEL = "claude-sonnet-5-5"


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def tool_names(self) -> list[str]:
        return [tool["name"] for tool in self.body.get("tools", [])]

    @property
    def system_text(self) -> str:
        system = self.body.get("system", "")
        return system if isinstance(system, str) else "\n".join(block["text"] for block in system)

    def tool_results(self) -> list[dict[str, Any]]:
        """The tool_result blocks of the last message (what the tools answered the model's last call)."""
        content = self.body["messages"][-1]["content"]
        return [block for block in content if isinstance(block, dict) and block.get("type") == "tool_result"]

    def tool_answer(self, index: int = 0) -> Any:
        """The JSON a tool answered (its first text block), parsed."""
        content = self.tool_results()[index]["content"]
        text = content if isinstance(content, str) else content[0]["text"]
        return json.loads(text)


@dataclass(frozen=True)
class Reply:
    content: list[dict[str, Any]]
    stop_reason: str


@dataclass(frozen=True)
class Failure:
    status: int
    error_type: str
    message: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Broken:
    """A stream that starts, then fails with an `error` event, as the API does when it is overloaded midway."""

    error_type: str
    message: str


Script = Reply | Failure | Broken | Callable[[Request], "Reply | Failure | Broken"]
_ids = itertools.count(1)


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def tool_use(name: str, **arguments: Any) -> dict[str, Any]:
    return {"type": "tool_use", "id": f"toolu_{next(_ids):04d}", "name": name, "input": arguments}


def reply(*content: dict[str, Any]) -> Reply:
    """A model turn: `tool_use` stops for tools when it calls one, else the turn ends."""
    calls = any(block["type"] == "tool_use" for block in content)
    return Reply(list(content), "tool_use" if calls else "end_turn")


def failure(status: int, error_type: str, message: str, **headers: str) -> Failure:
    """An API error. A 429 or 529 asks to retry after 1 ms (the API's `retry-after` is in seconds) to keep tests fast."""
    if status in (429, 529) and not headers:
        headers = {"retry-after-ms": "1"}
    return Failure(status, error_type, message, headers)


class FakeAnthropic:
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._script: deque[Script] = deque()
        self._cached: set[str] = set()
        self._lock = threading.Lock()
        self._server = _QuietServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def script(self, *items: Script) -> None:
        with self._lock:
            self._script.extend(items)

    @property
    def unused(self) -> int:
        return len(self._script)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _next(self, request: Request) -> Reply | Failure | Broken:
        with self._lock:
            self.requests.append(request)
            if (refusal := invalid(request.body)) is not None:
                return Failure(400, "invalid_request_error", refusal)
            if not self._script:
                return Failure(500, "api_error", "the fake has no scripted reply left", {"x-should-retry": "false"})
            item = self._script.popleft()
        return item(request) if callable(item) else item

    def _usage(self, body: dict[str, Any], output: list[dict[str, Any]]) -> dict[str, int]:
        """Tokens at about 4 characters each. The request is tools, system, messages in that order; the prefix
        up to each `cache_control` (top-level: the end) is a cache entry, read when seen before, else written."""
        parts = [json.dumps(body.get("tools", [])), json.dumps(body.get("system", "")), json.dumps(body["messages"])]
        marked = [i for i, part in enumerate(parts) if '"cache_control"' in part]
        if "cache_control" in body:
            marked.append(len(parts) - 1)
        prefixes = ["".join(parts[: i + 1]) for i in sorted(set(marked))]
        with self._lock:
            read = max((len(p) for p in prefixes if hashlib.sha256(p.encode()).hexdigest() in self._cached), default=0)
            self._cached.update(hashlib.sha256(p.encode()).hexdigest() for p in prefixes)
        longest = len(prefixes[-1]) if prefixes else 0
        return {
            "input_tokens": max(1, (len("".join(parts)) - longest) // 4),
            "cache_creation_input_tokens": (longest - read) // 4,
            "cache_read_input_tokens": read // 4,
            "output_tokens": max(1, len(json.dumps(output)) // 4),
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                request = Request(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                answer = fake._next(request)
                if isinstance(answer, Failure):
                    error = {"type": "error", "error": {"type": answer.error_type, "message": answer.message}}
                    self._send(answer.status, "application/json", json.dumps(error).encode(), answer.headers)
                    return
                if isinstance(answer, Broken):
                    started = {"id": f"msg_{next(_ids):04d}", "type": "message", "role": "assistant", "model": body["model"],
                               "content": [], "stop_reason": None, "stop_sequence": None,
                               "usage": {"input_tokens": 1, "output_tokens": 1}}  # fmt: skip
                    error = {"error": {"type": answer.error_type, "message": answer.message}}
                    self._stream(iter([_event("message_start", {"message": started}), _event("error", error)]))
                    return
                message = {
                    "id": f"msg_{next(_ids):04d}", "type": "message", "role": "assistant", "model": body["model"],
                    "content": answer.content, "stop_reason": answer.stop_reason, "stop_sequence": None,
                    "usage": fake._usage(body, answer.content),
                }  # fmt: skip
                if body.get("stream"):
                    self._stream(_sse(message))
                else:
                    self._send(200, "application/json", json.dumps(message).encode())

            def _send(self, status: int, kind: str, payload: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("content-type", kind)
                self.send_header("content-length", str(len(payload)))
                self.send_header("request-id", f"req_{next(_ids):04d}")
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def _stream(self, events: Iterator[bytes]) -> None:
                """The events as they are made, one HTTP chunk each, as the API streams them."""
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("transfer-encoding", "chunked")
                self.send_header("request-id", f"req_{next(_ids):04d}")
                self.end_headers()
                for event in events:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")

        return Handler


class _QuietServer(ThreadingHTTPServer):
    """A client hanging up between requests is normal; socketserver would print its traceback to stderr, which
    a test reads as the command's own output."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


def invalid(body: dict[str, Any]) -> str | None:
    """What the real API answers with a 400 for the mistakes a client of it can make, else None."""
    if not body.get("model") or not isinstance(body.get("max_tokens"), int):
        return "model: Field required" if not body.get("model") else "max_tokens: Field required"
    names = [tool["name"] for tool in body.get("tools", [])]
    if len(names) != len(set(names)):
        return "tools: Tool names must be unique."
    breakpoints = json.dumps([body.get("tools"), body.get("system"), body.get("messages")]).count('"cache_control"')
    breakpoints += "cache_control" in body
    if breakpoints > 4:
        return f"A maximum of 4 blocks with cache_control may be provided. Found {breakpoints}."
    messages = body.get("messages", [])
    for i, message in enumerate(messages):
        content = message["content"] if isinstance(message["content"], list) else []
        asked = {block["id"] for block in content if isinstance(block, dict) and block.get("type") == "tool_use"}
        if not asked:
            continue
        following = messages[i + 1]["content"] if i + 1 < len(messages) else []
        answered = {block.get("tool_use_id") for block in following if isinstance(block, dict)}
        if message["role"] == "assistant" and not asked <= answered:
            return (f"messages.{i + 1}: `tool_use` ids were found without `tool_result` blocks immediately after: "
                    f"{', '.join(sorted(asked - answered))}.")  # fmt: skip
    return None


def _event(kind: str, data: dict[str, Any]) -> bytes:
    return f"event: {kind}\ndata: {json.dumps({'type': kind, **data})}\n\n".encode()


def _chunks(value: str, size: int) -> Iterator[str]:
    return (value[i : i + size] for i in range(0, len(value), size))


def _sse(message: dict[str, Any]) -> Iterator[bytes]:
    """The events of a streamed message, text in small deltas and tool input as partial JSON."""
    usage = message["usage"]
    start = {**message, "content": [], "stop_reason": None, "usage": {**usage, "output_tokens": 1}}
    yield _event("message_start", {"message": start})
    yield _event("ping", {})
    for index, block in enumerate(message["content"]):
        if block["type"] == "text":
            yield _event("content_block_start", {"index": index, "content_block": {"type": "text", "text": ""}})
            for piece in _chunks(block["text"], 16):
                yield _event("content_block_delta", {"index": index, "delta": {"type": "text_delta", "text": piece}})
        else:
            yield _event("content_block_start", {"index": index, "content_block": {**block, "input": {}}})
            for piece in _chunks(json.dumps(block["input"]), 20):
                delta = {"type": "input_json_delta", "partial_json": piece}
                yield _event("content_block_delta", {"index": index, "delta": delta})
        yield _event("content_block_stop", {"index": index})
    yield _event("message_delta", {"delta": {"stop_reason": message["stop_reason"], "stop_sequence": None}, "usage": usage})
    yield _event("message_stop", {})
