"""The dashboard's pages (PRD §7): the portfolio at `/`, one customer at `/customers/{id}`, the CSM
comparison at `/team`, and the stylesheet at `/static`.

Each page reads the signed-in user's `caller` (the scope of every answer), asks the core's questions,
and renders what they answered: the same models the MCP tools return, never recomputed. A page's
filters are its question's typed query (web/filters.py): the parameters of its address and the controls
of its form are the query's fields. Filters are plain GET forms; the HTML has no script and no inline
style (a strict CSP holds).
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

from engagement.analysis.calls import compare_csms
from engagement.app import capture_sync
from engagement.core import Core
from engagement.customer import customer as customer_detail
from engagement.customer import trends as customer_trends
from engagement.errors import EngagementError, FaultKind, fault_of
from engagement.vocabulary import SEGMENTS
from engagement.portfolio import portfolio as portfolio_answer
from engagement.queries import CsmsQuery, CustomerQuery, PortfolioQuery, TrendsQuery
from web import filters
from web.auth import Principal, csrf_token
from web.render import render
from web.render.format import CATEGORY_LABEL, PERIODS
from web.routing import EncodedRoute, customer_id
from web.team import csm_choices

STATIC_DIR = Path(__file__).parent / "static"
ATTENTION_ROWS = 6
PAGE_ROWS = 25
TEAM_ROWS = 500  # every CSM of a team on one page
TREND_MONTHS = 6
PAGING = ("limit", "offset")  # set by the page (its pager), not filters
TABLE_ONLY = ("category",)  # narrows the portfolio's table, not its figures (the pill shows it)
NOT_FOUND = "No such customer or CSM in your portfolio."
HEADINGS: dict[FaultKind, str] = {
    "invalid": "That filter is not valid",
    "not_found": "Not found",
    "conflict": "That conflicts with what is stored",
    "unavailable": "The database is unavailable",
    "internal": "Something went wrong",
}


def routes(core: Core) -> list[BaseRoute]:
    """The pages over `core`, and their static files; mounted by the team server's app."""

    def portfolio(request: Request, offset: int) -> Response:
        caller = request.user.caller
        csms = csm_choices(core, caller)
        query, f = filters.read(PortfolioQuery, request.query_params, {"limit": PAGE_ROWS, "offset": offset})
        figures = query.model_copy(update={**dict.fromkeys(TABLE_ONLY), "limit": ATTENTION_ROWS, "offset": 0})
        overview = portfolio_answer(core, caller, figures)  # the figures and who needs attention
        table = portfolio_answer(core, caller, query)
        f["period"] = overview.period.label
        menus = {
            "period": (_periods(f["period"]), None),
            "csm_id": (tuple((c.id, c.name + (" (team)" if c.leads else "")) for c in csms),
                       "My portfolio" if caller.user else "All customers"),
            "segment": (tuple((name, name) for name in SEGMENTS), "All segments"),
            "category": (tuple(CATEGORY_LABEL.items()), "All categories"),
        }  # fmt: skip
        return _page(
            request,
            "portfolio.html",
            csms,
            view="portfolio",
            overview=overview,
            table=table,
            f=f,
            controls=filters.controls(PortfolioQuery, f, menus, fixed=PAGING),
            csm_names={c.id: c.name for c in csms},
        )

    def customer(request: Request, offset: int) -> Response:
        caller = request.user.caller
        query, f = filters.read(CustomerQuery, request.query_params, {"customer": customer_id(request, "customer_id")})
        detail = customer_detail(core, caller, query)
        trends = customer_trends(core, caller, TrendsQuery(customer=detail.customer_id, periods=TREND_MONTHS))
        csms = csm_choices(core, caller)
        f["period"] = detail.period
        return _page(
            request,
            "customer.html",
            csms,
            view="customer",
            d=detail,
            trends=trends,
            f=f,
            controls=filters.controls(CustomerQuery, f, {"period": (_periods(f["period"]), None)}, fixed=("customer",)),
            csm_name=next((c.name for c in csms if c.id == detail.csm_id), detail.csm_id or "none"),
            weights=core.scoring.weights.model_dump(),
        )

    def team(request: Request, offset: int) -> Response:
        caller = request.user.caller
        fixed = {"manager_id": None, "limit": TEAM_ROWS, "offset": 0}
        query, f = filters.read(CsmsQuery, request.query_params, fixed)
        whole = portfolio_answer(core, caller, PortfolioQuery(period=query.period, limit=1))
        comparison = compare_csms(core, caller, query)
        f["period"] = comparison.period.label
        try:  # what the capture holds (docs/rules.md, "Engagement visibility"), as get_sync_status answers it
            visibility, visibility_note = capture_sync(core).status(caller).visibility, None
        except EngagementError as error:  # an unsafe credentials folder, say: the rest of the page still shows
            visibility, visibility_note = None, str(error)
        return _page(
            request,
            "team.html",
            csm_choices(core, caller),
            view="team",
            whole=whole,
            comparison=comparison,
            visibility=visibility,
            visibility_note=visibility_note,
            names={row.csm_id: row.name for row in comparison.csms},
            f=f,
            controls=filters.controls(CsmsQuery, f, {"period": (_periods(f["period"]), None)}, fixed=tuple(fixed)),
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


def _guarded(page: Callable[[Request, int], Response]) -> Callable[[Request], Response]:
    """A page behind sign-in, with its page offset read and any failure shown as an error page by the one
    mapping every edge shares (engagement.errors.fault_of): a bad filter 400, not found 404, the
    database away 503, our bug 500 with its reference."""

    def endpoint(request: Request) -> Response:
        if not request.user.is_authenticated:
            sent = request.scope.get("raw_path")  # as sent: a customer id's %2F stays encoded on the way back
            path = sent.decode("ascii") if isinstance(sent, bytes) and sent.isascii() else quote(request.url.path)
            target = path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        try:
            return page(request, _offset(request))
        except Exception as exc:  # noqa: BLE001 - one mapping for every failure, as every edge
            fault = fault_of(exc, f"page {page.__name__}")
            # Never the engine's not-found message: it may name close matches outside the caller's scope.
            message = NOT_FOUND if fault.kind == "not_found" else fault.message
            return _error(request, fault.status, HEADINGS[fault.kind], message)

    return endpoint


def _offset(request: Request) -> int:
    """Where the pager is: the rows skipped."""
    raw = request.query_params.get("offset", "0").strip() or "0"
    if not raw.isdigit() or int(raw) > 10_000_000:
        raise EngagementError(f"offset '{raw[:20]}' is not a row number; give 0 or more.")
    return int(raw)


def _periods(current: str) -> filters.Menu:
    """The period menu; a period given in the address (2026-Q2, 2026-09) is kept at its top."""
    known = [token for token, _ in PERIODS]
    return PERIODS if current in known else ((current, current), *PERIODS)


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
