"""Calling Microsoft Graph with plain httpx: delta pages, throttling honoured, at most 4 requests in flight
per mailbox (Graph's limit), bounded retries.

Not the Kiota-based Graph SDK: it is ~380 MB installed and slow to import, for the three GETs a sync needs.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx

Sleep = Callable[[float], None]
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Graph's answer when a delta token has expired or is no longer valid: read the window again.
RESYNC_CODES = frozenset({"syncstatenotfound", "syncstateinvalid", "resyncrequired"})
PER_MAILBOX = 4  # Graph serves at most 4 concurrent requests per mailbox and app; more are throttled
MAX_RETRY_AFTER = 300.0
PAGE_SIZE = 100


class GraphError(Exception):
    """A Graph call failed for good (after retries, or not retriable): the status and Graph's error code only
    (the message could echo request details)."""

    def __init__(self, status: int, code: str) -> None:
        what = f"HTTP {status}" if status else "no answer"
        super().__init__(f"Microsoft Graph answered {what}{f' ({code})' if code else ''}")
        self.status = status
        self.code = code

    @property
    def resync(self) -> bool:
        """The delta token expired or is invalid: the source is read again over its window."""
        return self.status == 410 or self.code.lower() in RESYNC_CODES


class GraphClient:
    """GETs against one Graph root. `token()` gives a bearer token; `mailbox` names whose limit a call counts to."""

    def __init__(
        self, base_url: str, http: httpx.Client | None = None, sleep: Sleep = time.sleep, attempts: int = 5,
        jitter: Callable[[], float] = random.random,
    ) -> None:  # fmt: skip
        self.base_url = base_url.rstrip("/")
        self.http = http or httpx.Client(timeout=httpx.Timeout(60.0, connect=15.0))
        self.sleep = sleep
        self.attempts = attempts
        self.jitter = jitter
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._slots_lock = threading.Lock()
        self.requests = 0

    def _slot(self, mailbox: str) -> threading.BoundedSemaphore:
        with self._slots_lock:
            return self._slots.setdefault(mailbox.lower(), threading.BoundedSemaphore(PER_MAILBOX))

    def url(self, path_or_link: str) -> str:
        """A path under the root, or a next/delta link Graph gave, which must stay under the same root (the
        bearer token goes nowhere else)."""
        if "://" not in path_or_link:
            return self.base_url + path_or_link
        root, link = urlsplit(self.base_url), urlsplit(path_or_link)
        if (link.scheme, link.netloc) != (root.scheme, root.netloc) or not link.path.startswith(root.path):
            raise GraphError(0, "a link outside Microsoft Graph was refused")
        return path_or_link

    def get(self, mailbox: str, path_or_link: str, token: Callable[[], str], prefer: str = "") -> dict[str, Any]:
        """One JSON answer, retried on 429, 5xx and dropped connections (Retry-After honoured, else backoff)."""
        url = self.url(path_or_link)
        for attempt in range(self.attempts):
            last = attempt == self.attempts - 1
            headers = {"Authorization": f"Bearer {token()}", "Accept": "application/json"}
            if prefer:
                headers["Prefer"] = prefer
            try:
                with self._slot(mailbox):
                    self.requests += 1
                    response = self.http.get(url, headers=headers)
            except httpx.TransportError:
                if last:
                    raise GraphError(0, "Microsoft Graph could not be reached") from None
                self._backoff(attempt, None)
                continue
            if response.status_code == 200:
                body: dict[str, Any] = response.json()
                return body
            code = _error_code(response)
            if response.status_code not in RETRY_STATUSES or last:
                raise GraphError(response.status_code, code)
            self._backoff(attempt, response.headers.get("Retry-After"))
        raise AssertionError("unreachable")

    def _backoff(self, attempt: int, retry_after: str | None) -> None:
        """Graph's Retry-After (seconds) when it gives one; else 1, 2, 4, ... s plus jitter."""
        try:
            wait = float(retry_after) if retry_after is not None else min(2**attempt + self.jitter(), 64.0)
        except ValueError:
            wait = min(2**attempt + self.jitter(), 64.0)
        self.sleep(min(max(wait, 0.0), MAX_RETRY_AFTER))

    def pages(self, mailbox: str, first: str, token: Callable[[], str], prefer: str) -> Iterator[dict[str, Any]]:
        """Every page of a delta round, from `first` (a path, or a stored deltaLink) through its nextLinks;
        the last page carries the @odata.deltaLink to store."""
        link: str | None = first
        while link is not None:
            page = self.get(mailbox, link, token, prefer)
            yield page
            link = page.get("@odata.nextLink")
            if link is None and "@odata.deltaLink" not in page:
                raise GraphError(200, "a delta page without a next or delta link")


def delta_link(page: dict[str, Any]) -> str:
    return str(page["@odata.deltaLink"])


def _error_code(response: httpx.Response) -> str:
    try:
        error = response.json().get("error", {})
        code = error.get("code", "") if isinstance(error, dict) else ""
    except ValueError:
        return ""
    return str(code)[:64] if isinstance(code, str) else ""
