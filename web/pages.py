"""The dashboard's pages (PRD §7): the portfolio at `/`, one customer at `/customers/{id}`, the CSM
comparison at `/team`, and the stylesheet at `/static`.

Each page reads the signed-in user's `caller` (the scope of every answer), asks the service, and
renders what it answered: the same models the MCP tools return, never recomputed.
Filters are plain GET forms; the HTML has no script and no inline style (a strict CSP holds).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from engagement import checks
from engagement.analysis import analysis_of
from engagement.errors import EngagementError, FaultKind, fault_of
from engagement.models import SEGMENTS
from engagement.service import EngagementService
from web.auth import Principal, csrf_token
from web.render import render
from web.render.format import PERIODS
from web.routing import EncodedRoute, customer_id
from web.team import csm_choices

STATIC_DIR = Path(__file__).parent / "static"
ATTENTION_ROWS = 6
PAGE_ROWS = 25
TEAM_ROWS = 500  # every CSM of a team on one page
TREND_MONTHS = 6
MAX_PARAM = 320  # the longest a CSM email may be
FILTERS = ("period", "csm", "segment", "category")
NOT_FOUND = "No such customer or CSM in your portfolio."
HEADINGS: dict[FaultKind, str] = {
    "invalid": "That filter is not valid",
    "not_found": "Not found",
    "conflict": "That conflicts with what is stored",
    "unavailable": "The database is unavailable",
    "internal": "Something went wrong",
}


def routes(service: EngagementService) -> list[BaseRoute]:
    """The pages over `service`, and their static files; mounted by the team server's app."""

    def portfolio(request: Request, f: dict[str, str], offset: int) -> Response:
        caller = request.user.caller
        csms = csm_choices(service, caller)
        chosen = {"csm": f["csm"] or None, "period": f["period"] or None, "segment": f["segment"] or None}
        overview = service.portfolio(caller, **chosen, limit=ATTENTION_ROWS)  # the figures and who needs attention
        table = service.portfolio(caller, **chosen, category=f["category"] or None, limit=PAGE_ROWS, offset=offset)
        f["period"] = overview.period.label
        return _page(
            request,
            "portfolio.html",
            csms,
            view="portfolio",
            overview=overview,
            table=table,
            f=f,
            periods=_periods(f["period"]),
            csms={"default": "My portfolio" if caller.user else "All customers", "choices": csms},
            segments=SEGMENTS,
            csm_names={c.id: c.name for c in csms},
        )

    def customer(request: Request, f: dict[str, str], offset: int) -> Response:
        caller = request.user.caller
        ref = customer_id(request, "customer_id")
        detail = service.customer(caller, ref=ref, period=f["period"] or None)
        trends = service.trends(caller, ref=detail.customer_id, periods=TREND_MONTHS, granularity="month")
        csms = csm_choices(service, caller)
        f["period"] = detail.period
        return _page(
            request,
            "customer.html",
            csms,
            view="customer",
            d=detail,
            trends=trends,
            f=f,
            periods=_periods(f["period"]),
            csm_name=next((c.name for c in csms if c.id == detail.csm_id), detail.csm_id or "none"),
            weights=service.scoring.weights.model_dump(),
        )

    def team(request: Request, f: dict[str, str], offset: int) -> Response:
        caller = request.user.caller
        period = f["period"] or None
        whole = service.portfolio(caller, period=period, limit=1)
        comparison = analysis_of(service).compare_csms(caller, period=period, limit=TEAM_ROWS)
        f["period"] = comparison.period.label
        return _page(
            request,
            "team.html",
            csm_choices(service, caller),
            view="team",
            whole=whole,
            comparison=comparison,
            f=f,
            periods=_periods(f["period"]),
        )

    def _page(request: Request, template: str, visible: list[Any], **context: Any) -> HTMLResponse:
        return HTMLResponse(render(template, **chrome(request, len(visible) > 1), **context))

    return [
        Route("/", _guarded(portfolio), name="portfolio"),
        EncodedRoute("/customers/{customer_id}", _guarded(customer), name="customer"),  # links encode the id whole
        Route("/team", _guarded(team), name="team"),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        Route("/favicon.ico", _favicon),  # browsers ask for it on pages without an icon link (the login)
    ]


def _favicon(request: Request) -> Response:
    return RedirectResponse("/static/favicon.svg", status_code=301)


def _guarded(page: Callable[[Request, dict[str, str], int], Response]) -> Callable[[Request], Response]:
    """A page behind sign-in, with its filters read and any failure shown as an error page by the one
    mapping every edge shares (engagement.errors.fault_of): a bad filter 400, not found 404, the
    database away 503, our bug 500 with its reference."""

    def endpoint(request: Request) -> Response:
        if not request.user.is_authenticated:
            sent = request.scope.get("raw_path")  # as sent: a customer id's %2F stays encoded on the way back
            path = sent.decode("ascii") if isinstance(sent, bytes) and sent.isascii() else quote(request.url.path)
            target = path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        try:
            filters, offset = _filters(request)
            return page(request, filters, offset)
        except Exception as exc:  # noqa: BLE001 - one mapping for every failure, as every edge
            fault = fault_of(exc, f"page {page.__name__}")
            # Never the engine's not-found message: it may name close matches outside the caller's scope.
            message = NOT_FOUND if fault.kind == "not_found" else fault.message
            return _error(request, fault.status, HEADINGS[fault.kind], message)

    return endpoint


def _filters(request: Request) -> tuple[dict[str, str], int]:
    params = request.query_params
    filters = {name: checks.text(name, params.get(name), MAX_PARAM) or "" for name in FILTERS}
    raw = params.get("offset", "0").strip() or "0"
    if not raw.isdigit() or int(raw) > 10_000_000:
        raise EngagementError(f"offset '{raw[:20]}' is not a row number; give 0 or more.")
    return filters, int(raw)


def _periods(current: str) -> list[tuple[str, str]]:
    """The period menu; a period given in the address (2026-Q2, 2026-09) is kept at its top."""
    known = [token for token, _ in PERIODS]
    return PERIODS if current in known else [(current, current), *PERIODS]


def chrome(request: Request, many_csms: bool) -> dict[str, Any]:
    """What the frame of every page shows: who is signed in (and a way out of a browser session), and
    the team view when they see more than one CSM."""
    user: Principal = request.user
    return {
        "user_label": "Local, no sign-in" if user.via == "open" else user.email,
        "signout_csrf": csrf_token(request) if user.via == "cookie" else None,
        "show_team": many_csms,
        "as_of": user.caller.as_of,
    }


def _error(request: Request, status: int, heading: str, message: str) -> HTMLResponse:
    context = {"view": "error", "heading": heading, "message": message, **chrome(request, False)}
    return HTMLResponse(render("error.html", **context), status_code=status)
