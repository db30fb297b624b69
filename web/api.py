"""The REST API (PRD §6.3): the MCP tools' answers over plain HTTP, scoped to the token's user.

Each operation is declared once in `OPERATIONS` (path, query model, body, answer model, statuses);
the routes and the OpenAPI document (web/openapi.py) are both made from that list, so they cannot
drift apart. Answers are the models of engagement/schemas.py, as the MCP tools return them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator
from pydantic_core import PydanticCustomError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from engagement import checks
from engagement.analysis import analysis_of
from engagement.analysis.schemas import EngagementCorrelation
from engagement.checks import has_nul
from engagement.errors import EngagementError, fault_of
from engagement.models import activity_fields
from engagement.service import EngagementService
from engagement.schemas import CustomerEngagement, EngagementTrends, LoggedActivity, PortfolioEngagement
from tools._common import (
    MAX_CUSTOMER_REF,
    ActivityDate,
    ActivityDirection,
    ActivityKind,
    CsmRef,
    CustomerRef,
    DurationMinutes,
    ExternalId,
    Level,
    Limit,
    Offset,
    Participants,
    PeriodToken,
    ResponseHours,
    ResponseReceived,
    SegmentName,
    Source,
    Subject,
)
from web.auth import Principal, csrf_matches
from web.routing import EncodedRoute, customer_id

MAX_ROWS_PER_POST = 500
JSON_TYPE = "application/json"


class ApiError(BaseModel):
    """Every error of the API: a short code and a message that says what was wrong and what is accepted."""

    error: str = Field(description="not_found, invalid_request, unauthorized, forbidden, too_large, ...")
    message: str


class Query(BaseModel):
    """Query parameters: unknown names are refused (a typo should not silently widen an answer)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        # PostgreSQL cannot hold NUL in text: refuse it here on both databases, as the tools do.
        if isinstance(data, dict) and any(has_nul(v) for v in data.values()):
            raise ValueError("a parameter contains a NUL character (%00); remove it")
        return data


Score = Annotated[float | None, Field(description="Score bound, 0-100.", ge=0, le=100)]


class PortfolioQuery(Query):
    csm_id: CsmRef = None
    period: PeriodToken = None
    segment: SegmentName = None
    min_score: Score = None
    max_score: Score = None
    limit: Limit = 20
    offset: Offset = 0


class PeriodQuery(Query):
    period: PeriodToken = None


class TrendsQuery(Query):
    periods: Annotated[int, Field(description="How many months, 1-24.", ge=1, le=24)] = 6


class CorrelationQuery(Query):
    outcome: Annotated[Literal["health", "renewal", "churn"], Field(description="The outcome to correlate with.")]
    period: PeriodToken = None
    segment: SegmentName = None


class ActivityIn(BaseModel):
    """One touchpoint to log: the log_activity tool's arguments, each held to the same rules in the same words
    (engagement.models.activity_fields, strict) before anything else, so a refusal is a 422 that says which
    field, what was wrong and what is accepted. The date's bound by today is the write's (400, as the tool's)."""

    model_config = ConfigDict(extra="forbid")

    customer: CustomerRef
    type: ActivityKind
    direction: ActivityDirection
    date: Annotated[ActivityDate, Field(description="ISO 8601 date or date-time; default now.")] = None
    duration_minutes: DurationMinutes = None
    participants: Participants = None
    stakeholder_level: Level = None
    response_received: ResponseReceived = None
    response_time_hours: ResponseHours = None
    subject: Subject = None
    source: Source = "api"
    external_id: ExternalId = None

    @model_validator(mode="before")
    @classmethod
    def _rules(cls, data: Any) -> Any:
        if isinstance(data, dict):
            try:
                customer = data.get("customer")
                if not isinstance(customer, str) or customer.strip():  # a blank one is the lookup's to word
                    checks.text("customer", customer, MAX_CUSTOMER_REF, required=True, strict=True)
                activity_fields(data, default_source="api", strict=True)
            except EngagementError as exc:
                raise PydanticCustomError("activity", "{reason}", {"reason": str(exc)}) from None
        return data


ActivitiesIn = Annotated[
    ActivityIn | Annotated[list[ActivityIn], Field(min_length=1, max_length=MAX_ROWS_PER_POST)],
    Field(description=f"One activity, or a list of 1-{MAX_ROWS_PER_POST}."),
]
ACTIVITIES_IN: TypeAdapter[ActivityIn | list[ActivityIn]] = TypeAdapter(ActivitiesIn)  # the document's schema


def activities_in(body: Any) -> tuple[list[ActivityIn], bool]:
    """The body's activities (and whether it was a list), or a 422 in the rules' words naming the row."""
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
    if error["type"] == "activity":
        return str(error["ctx"]["reason"])
    if error["type"] == "extra_forbidden":
        return f"{where} is not a field of an activity; the fields are {', '.join(ActivityIn.model_fields)}."
    return "An activity must be a JSON object with customer, type and direction (and the other fields log_activity takes)."


class LoggedActivities(BaseModel):
    """The answer to a list of activities: log_activity's answer for each, in the order sent."""

    results: list[LoggedActivity]


# -- the service, behind one thin function per question (the only place that knows its signatures) ---


def _portfolio(service: EngagementService, principal: Principal, q: PortfolioQuery) -> PortfolioEngagement:
    return service.portfolio(
        principal.caller, csm=q.csm_id, period=q.period, segment=q.segment, min_score=q.min_score,
        max_score=q.max_score, limit=q.limit, offset=q.offset,
    )  # fmt: skip


def _customer(service: EngagementService, principal: Principal, ref: str, q: PeriodQuery) -> CustomerEngagement:
    return service.customer(principal.caller, ref=ref, period=q.period)


def _trends(service: EngagementService, principal: Principal, ref: str, q: TrendsQuery) -> EngagementTrends:
    return service.trends(principal.caller, ref=ref, periods=q.periods, granularity="month")


def _log(service: EngagementService, principal: Principal, rows: list[ActivityIn]) -> list[LoggedActivity]:
    """log_activity for every row in one write: a refused row (a value, a customer the caller may not
    write to: one they do not see) stores none of the request."""
    sent = [(row.customer, row.model_dump(exclude={"customer"})) for row in rows]
    return service.log_activities(principal.caller, rows=sent, default_source="api")


def _correlation(service: EngagementService, principal: Principal, q: CorrelationQuery) -> EngagementCorrelation:
    return analysis_of(service).correlation(principal.caller, outcome=q.outcome, period=q.period, segment=q.segment)


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


def validation_message(exc: ValidationError) -> str:
    parts = []
    for problem in exc.errors(include_url=False)[:5]:
        where = ".".join(str(p) for p in problem["loc"]) or "body"
        parts.append(f"{where}: {problem['msg']}")
    return "; ".join(parts) + "."


# -- operations ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    """One API operation: how it is called, what it answers, and the glue that answers it."""

    method: Literal["GET", "POST"]
    path: str
    operation_id: str
    summary: str
    query: type[Query] | None
    answer: Any
    statuses: tuple[int, ...]
    run: Callable[..., Any]
    body: TypeAdapter[Any] | None = None
    path_params: tuple[str, ...] = ()


READS = (400, 401, 404, 413, 422, 503)
OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET", "/api/reports/engagement-metrics", "listEngagementMetrics",
        "Portfolio engagement: scores of the customers you see, worst first, with the summary.",
        PortfolioQuery, PortfolioEngagement, (200, *READS), _portfolio,
    ),
    Operation(
        "GET", "/api/reports/engagement-metrics/correlation", "getEngagementCorrelation",
        "How engagement relates to an outcome (health, renewal or churn).",
        CorrelationQuery, EngagementCorrelation, (200, *READS), _correlation,
    ),
    Operation(
        "GET", "/api/reports/engagement-metrics/{customerId}", "getCustomerEngagement",
        "One customer's engagement detail for a period.",
        PeriodQuery, CustomerEngagement, (200, *READS), _customer, path_params=("customerId",),
    ),
    Operation(
        "GET", "/api/reports/engagement-metrics/{customerId}/trends", "getEngagementTrends",
        "One customer's monthly score over the last N months.",
        TrendsQuery, EngagementTrends, (200, *READS), _trends, path_params=("customerId",),
    ),
    Operation(
        "POST", "/api/activities", "logActivities",
        "Log one activity (answers as log_activity) or a list of them (answers each, in order).",
        None, LoggedActivity | LoggedActivities, (200, 201, 400, 401, 403, 404, 409, 413, 415, 422, 503), _log,
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


def endpoint(service: EngagementService, op: Operation) -> Callable[[Request], Any]:
    async def handle(request: Request) -> Response:
        principal = request.user if isinstance(request.user, Principal) else None
        if principal is None:
            return _unauthenticated(request)
        try:
            args: list[Any] = [customer_id(request, name) for name in op.path_params]
            if op.query is not None:
                args.append(op.query.model_validate(dict(request.query_params)))
            if op.body is not None:
                rows, many = activities_in(await _json_body(request, principal))
                logged = await run_in_threadpool(op.run, service, principal, rows)
                status = 201 if any(item.created for item in logged) else 200
                answer: BaseModel = LoggedActivities(results=logged) if many else logged[0]
                return Response(answer.model_dump_json(), status_code=status, media_type=JSON_TYPE)
            result = await run_in_threadpool(op.run, service, principal, *args)
            return Response(result.model_dump_json(), media_type=JSON_TYPE)
        except ValidationError as exc:
            return error(422, "invalid_request", validation_message(exc))
        except HTTPException as exc:
            return http_answer(exc)
        except Exception as exc:  # noqa: BLE001 - one mapping for every failure
            return fault_response(exc)

    return handle


_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
          413: "too_large", 415: "unsupported_media_type", 422: "invalid_request"}  # fmt: skip


def routes(service: EngagementService) -> list[BaseRoute]:
    """The API under /api; paths are exactly the PRD's (§6.3)."""
    api = [  # a customer id travels percent-encoded, so one holding '/' is one parameter (web/routing.py)
        (EncodedRoute if op.path_params else Route)(op.path.removeprefix("/api"), endpoint(service, op), methods=[op.method])
        for op in OPERATIONS
    ]
    return [Mount("/api", routes=api)]


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (unknown path, wrong method, body too large) as the API's JSON errors."""
    assert isinstance(exc, HTTPException)
    return http_answer(exc)


def http_answer(exc: HTTPException) -> JSONResponse:
    return error(exc.status_code, _CODES.get(exc.status_code, "error"), str(exc.detail), exc.headers)
