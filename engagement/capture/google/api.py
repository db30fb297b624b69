"""Calling Google: building services (injectable), bounded retries with backoff, batched message reads."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from engagement.capture.google.auth import Account

Api = Literal["gmail", "calendar"]
ServiceFactory = Callable[[Account, Api], Any]
Sleep = Callable[[float], None]

VERSIONS: dict[str, str] = {"gmail": "v1", "calendar": "v3"}
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
# Gmail asks for batches of at most 50 messages.get calls; larger ones are rate-limited.
BATCH_SIZE = 50


class GoogleApiError(Exception):
    """A call to Google failed for good (after retries, or not retriable); `status` is the HTTP code."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def default_service_factory(account: Account, api: Api) -> Any:
    """A real service for the account, from the discovery document shipped with the client library."""
    from googleapiclient.discovery import build

    return build(api, VERSIONS[api], credentials=account.credentials(), cache_discovery=False, static_discovery=True)


def _status_and_reason(error: Exception) -> tuple[int, str]:
    from googleapiclient.errors import HttpError

    if not isinstance(error, HttpError):
        return 0, ""
    status = int(error.resp.status)
    reasons = [detail.get("reason", "") for detail in (error.error_details or []) if isinstance(detail, dict)]
    return status, reasons[0] if reasons else ""


def is_retriable(error: Exception) -> bool:
    status, reason = _status_and_reason(error)
    return status in RETRY_STATUSES or (status == 403 and reason in RATE_LIMIT_REASONS)


def http_status(error: Exception) -> int:
    return _status_and_reason(error)[0]


@dataclass
class ApiCaller:
    """Runs API requests with exponential backoff (1, 2, 4, ... s plus jitter) on 429, 5xx and rate-limit 403s."""

    sleep: Sleep = time.sleep
    attempts: int = 5
    jitter: Callable[[], float] = random.random
    requests: int = field(default=0, init=False)

    def _backoff(self, attempt: int) -> None:
        self.sleep(min(2**attempt + self.jitter(), 64.0))

    def execute(self, request: Any) -> dict[str, Any]:
        """`request.execute()` with retries; a final failure raises GoogleApiError (or the HttpError for 404/410)."""
        for attempt in range(self.attempts):
            self.requests += 1
            try:
                result: dict[str, Any] = request.execute()
                return result
            except Exception as error:
                if not is_retriable(error) or attempt == self.attempts - 1:
                    raise _as_api_error(error) from error
                self._backoff(attempt)
        raise AssertionError("unreachable")

    def batch_get(self, service: Any, make_request: Callable[[str], Any], ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Fetch many resources in batches of BATCH_SIZE; parts that hit a rate limit are retried in a later batch."""
        pending = list(dict.fromkeys(ids))
        results: dict[str, dict[str, Any]] = {}
        for attempt in range(self.attempts):
            if not pending:
                break
            retry: list[str] = []
            for start in range(0, len(pending), BATCH_SIZE):
                chunk = pending[start : start + BATCH_SIZE]
                failures: dict[str, Exception] = {}

                def collect(request_id: str, response: Any, exception: Exception | None) -> None:
                    if exception is not None:
                        failures[request_id] = exception
                    else:
                        results[request_id] = response

                batch = service.new_batch_http_request(callback=collect)
                for item in chunk:
                    # The request id is the resource id, so each answer is matched to what was asked.
                    batch.add(make_request(item), request_id=item)
                self._execute_batch(batch)
                for item, error in failures.items():
                    if is_retriable(error) and attempt < self.attempts - 1:
                        retry.append(item)
                    elif http_status(error) == 404:
                        continue  # deleted between listing and fetching: nothing to capture
                    else:
                        raise _as_api_error(error) from error
            pending = retry
            if pending:
                self._backoff(attempt)
        return results

    def _execute_batch(self, batch: Any) -> None:
        for attempt in range(self.attempts):
            self.requests += 1
            try:
                batch.execute()
                return
            except Exception as error:
                if not is_retriable(error) or attempt == self.attempts - 1:
                    raise _as_api_error(error) from error
                self._backoff(attempt)


def _as_api_error(error: Exception) -> Exception:
    status, reason = _status_and_reason(error)
    if status in (404, 410):
        return error  # the sync handles these itself (history too old, sync token gone)
    if status == 0:
        return error
    # Only the status and Google's reason: the body could echo request details.
    return GoogleApiError(status, f"Google answered HTTP {status}{f' ({reason})' if reason else ''}")
