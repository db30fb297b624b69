"""The REST API (PRD §6.3): the MCP tools' answers over plain HTTP, scoped to the token's user.

Each operation is declared once in `OPERATIONS`: its path, the question's typed query (engagement/queries.py:
the query string's parameters are its fields), the core function that answers it, the answer model and
statuses. The routes and the OpenAPI document (web/openapi.py) are both made from that list and the
query's fields, so the API takes exactly the parameters the MCP tool takes, and cannot drift from it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from engagement.activities import log_activities
from engagement.analysis.calls import engagement_correlation
from engagement.analysis.schemas import EngagementCorrelation
from engagement.caller import Caller
from engagement.core import Core
from engagement.customer import customer, trends
from engagement.errors import fault_of
from engagement.portfolio import portfolio
from engagement.queries import CorrelationQuery, CustomerQuery, LogActivityQuery, PortfolioQuery, TrendsQuery
from engagement.query import Query, describe, with_defaults
from engagement.schemas import CustomerEngagement, EngagementTrends, LoggedActivity, PortfolioEngagement
from web.auth import Principal, csrf_matches
from web.routing import EncodedRoute, customer_id

MAX_ROWS_PER_POST = 500
JSON_TYPE = "application/json"


class ApiError(BaseModel):
    """Every error of the API: a short code and a message that says what was wrong and what is accepted."""

    error: str = Field(description="not_found, invalid_request, unauthorized, forbidden, too_large, ...")
    message: str


# One touchpoint to log: log_activity's query (its rules in engagement/queries.py), its source "api" unless another is given.
ActivityIn = with_defaults(
    LogActivityQuery,
    "ActivityIn",
    "One touchpoint to log: the log_activity tool's arguments, each held to the same rules in the same words\n"
    "(engagement.models.activity_fields, strict) before anything else, so a refusal is a 422 that says which\n"
    "field, what was wrong and what is accepted. The date's bound by today is the write's (400, as the tool's).",
    source="api",
)

ActivitiesIn = Annotated[
    ActivityIn | Annotated[list[ActivityIn], Field(min_length=1, max_length=MAX_ROWS_PER_POST)],  # type: ignore[valid-type]
    Field(description=f"One activity, or a list of 1-{MAX_ROWS_PER_POST}."),
]
ACTIVITIES_IN: TypeAdapter[LogActivityQuery | list[LogActivityQuery]] = TypeAdapter(ActivitiesIn)  # the document's schema


def activities_in(body: Any) -> tuple[list[LogActivityQuery], bool]:
    """The body's activities (and whether it was a list), or a 422 in the activity rules' words naming the row."""
    many = isinstance(body, list)
    if not isinstance(body, dict) and not (many and 1 <= len(body) <= MAX_ROWS_PER_POST):
        raise HTTPException(
            422, f"The body must be one activity (a JSON object) or a list of 1-{MAX_ROWS_PER_POST} of them."
        )
    rows = []
    for number, item in enumerate(body if many else [body], 1):
        try:
            rows.append(ActivityIn.model_validate(item))
        except ValidationError as exc:
            raise HTTPException(422, (f"activity {number}: " if many else "") + _problem(exc)) from None
    return rows, many


def _problem(exc: ValidationError) -> str:
    """What a refused activity did wrong: the rules' own words, or those of the few shapes they leave to pydantic."""
    error = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in error["loc"])
    if error["type"] == "value_error":  # the activity rules (LogActivityQuery) said it
        return str(error["ctx"]["error"])
    if error["type"] == "extra_forbidden":
        return f"{where} is not a field of an activity; the fields are {', '.join(ActivityIn.model_fields)}."
    return "An activity must be a JSON object with customer, type and direction (and the other fields log_activity takes)."


class LoggedActivities(BaseModel):
    """The answer to a list of activities: log_activity's answer for each, in the order sent."""

    results: list[LoggedActivity]


# -- one mapping from a failure to its answer ------------------------------------------------------


def error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(ApiError(error=code, message=message).model_dump(), status_code=status, headers=headers)


FAULT_CODES = {
    "invalid": "invalid_request", "not_found": "not_found", "conflict": "conflict", "unavailable": "unavailable",
    "internal": "internal",
}  # fmt: skip


def fault_response(exc: BaseException) -> JSONResponse:
    """The answer for anything a request can fail with, by the one mapping every edge shares
    (engagement.errors.fault_of): the caller's fault 400/404/409, the database away 503, ours 500 with a ref.
    A customer or CSM outside the caller's scope is "not found", worded as one that does not exist."""
    fault = fault_of(exc, "api")
    return error(fault.status, FAULT_CODES[fault.kind], fault.message)


# -- operations ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    """One API operation: how it is called, the question it asks (its typed query: the query string's
    parameters are the query's fields, but those the path gives) and the core function that answers it."""

    method: Literal["GET", "POST"]
    path: str
    operation_id: str
    summary: str
    query: type[Query] | None
    answer: Any
    statuses: tuple[int, ...]
    run: Callable[[Core, Caller, Any], Any]
    body: TypeAdapter[Any] | None = None
    path_params: tuple[tuple[str, str], ...] = ()
    """Each path parameter and the query field it gives: ("customerId", "customer")."""

    def query_fields(self) -> list[str]:
        """The query's fields taken from the query string: all but those the path gives."""
        given = {field for _, field in self.path_params}
        return [name for name in (self.query.model_fields if self.query else ()) if name not in given]


READS = (400, 401, 404, 413, 422, 503)
CUSTOMER = (("customerId", "customer"),)
OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET", "/api/reports/engagement-metrics", "listEngagementMetrics",
        "Portfolio engagement: scores of the customers you see, worst first, with the summary.",
        PortfolioQuery, PortfolioEngagement, (200, *READS), portfolio,
    ),
    Operation(
        "GET", "/api/reports/engagement-metrics/correlation", "getEngagementCorrelation",
        "How engagement relates to an outcome (health, renewal or churn).",
        CorrelationQuery, EngagementCorrelation, (200, *READS), engagement_correlation,
    ),
    Operation(
        "GET", "/api/reports/engagement-metrics/{customerId}", "getCustomerEngagement",
        "One customer's engagement detail for a period.",
        CustomerQuery, CustomerEngagement, (200, *READS), customer, path_params=CUSTOMER,
    ),
    Operation(
        "GET", "/api/reports/engagement-metrics/{customerId}/trends", "getEngagementTrends",
        "One customer's score over the last N months or quarters.",
        TrendsQuery, EngagementTrends, (200, *READS), trends, path_params=CUSTOMER,
    ),
    Operation(
        "POST", "/api/activities", "logActivities",
        "Log one activity (answers as log_activity) or a list of them (answers each, in order).",
        None, LoggedActivity | LoggedActivities, (200, 201, 400, 401, 403, 404, 409, 413, 415, 422, 503), log_activities,
        body=ACTIVITIES_IN,
    ),
)  # fmt: skip


def _unauthenticated(request: Request) -> JSONResponse:
    bad = request.scope.get("engagement.bad_credential")
    message = (
        "The token is not valid: unknown, expired or revoked. Ask an admin for a new one (engagement token create)."
        if bad
        else "Authentication required: send Authorization: Bearer <token> (an admin makes one with engagement token create)."
    )
    challenge = 'Bearer error="invalid_token"' if bad else "Bearer"
    return error(401, "unauthorized", message, {"WWW-Authenticate": challenge})


async def _json_body(request: Request, principal: Principal) -> Any:
    if principal.via == "cookie":
        # A browser session writes only with its CSRF token in a header (a form cannot set one).
        if not csrf_matches(request, request.headers.get("x-csrf-token", "")):
            raise HTTPException(403, "A signed-in browser must send the page's CSRF token in X-CSRF-Token to write.")
    media, *parameters = (part.strip().lower() for part in request.headers.get("content-type", "").split(";"))
    charset = next((p.partition("=")[2].strip('"') for p in parameters if p.startswith("charset=")), "utf-8")
    unsupported = HTTPException(415, f"Send the body as JSON in UTF-8 (Content-Type: {JSON_TYPE}).")
    if media != JSON_TYPE or charset not in ("utf-8", "utf8"):
        raise unsupported
    try:
        text = (await request.body()).decode("utf-8")  # JSON is UTF-8 (RFC 8259); json.loads would guess UTF-16 too
    except UnicodeDecodeError:
        raise unsupported from None
    try:
        return json.loads(text)
    except ValueError:
        raise HTTPException(400, "The body is not valid JSON; send one activity object or a list of them.") from None


def query_of(op: Operation, request: Request) -> Query:
    """The operation's typed query from the path and the query string (a parameter the path gives, sent
    in the query string too, is refused like an unknown one)."""
    assert op.query is not None
    path = {field: customer_id(request, name) for name, field in op.path_params}
    sent = dict(request.query_params)
    if given := sorted(sent.keys() & path.keys()):
        raise HTTPException(422, f"{given[0]}: the path gives it; leave it out of the query string.")
    return op.query.model_validate({**sent, **path})


def endpoint(core: Core, op: Operation) -> Callable[[Request], Any]:
    async def handle(request: Request) -> Response:
        principal = request.user if isinstance(request.user, Principal) else None
        if principal is None:
            return _unauthenticated(request)
        try:
            if op.body is not None:
                rows, many = activities_in(await _json_body(request, principal))
                logged = await run_in_threadpool(op.run, core, principal.caller, rows)
                status = 201 if any(item.created for item in logged) else 200
                answer: BaseModel = LoggedActivities(results=logged) if many else logged[0]
                return Response(answer.model_dump_json(), status_code=status, media_type=JSON_TYPE)
            result = await run_in_threadpool(op.run, core, principal.caller, query_of(op, request))
            return Response(result.model_dump_json(), media_type=JSON_TYPE)
        except ValidationError as exc:
            return error(422, "invalid_request", describe(exc, whole="body"))
        except HTTPException as exc:
            return http_answer(exc)
        except Exception as exc:  # noqa: BLE001 - one mapping for every failure
            return fault_response(exc)

    return handle


_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
          413: "too_large", 415: "unsupported_media_type", 422: "invalid_request"}  # fmt: skip


def routes(core: Core) -> list[BaseRoute]:
    """The API under /api; paths are exactly the PRD's (§6.3)."""
    api = [  # a customer id travels percent-encoded, so one holding '/' is one parameter (web/routing.py)
        (EncodedRoute if op.path_params else Route)(op.path.removeprefix("/api"), endpoint(core, op), methods=[op.method])
        for op in OPERATIONS
    ]
    return [Mount("/api", routes=api)]


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (unknown path, wrong method, body too large) as the API's JSON errors."""
    assert isinstance(exc, HTTPException)
    return http_answer(exc)


def http_answer(exc: HTTPException) -> JSONResponse:
    return error(exc.status_code, _CODES.get(exc.status_code, "error"), str(exc.detail), exc.headers)
