"""The dashboard's "Connected apps": the apps a user allowed by OAuth, each with a Disconnect button (a
CSRF-protected form) that revokes the grant, so its tokens stop at once."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from engagement.access.grants import GrantRow, list_grants, revoke_grant
from engagement.access.models import OAuthGrant
from engagement.db import read_scope, session_scope
from web.auth import Principal, authenticator, check_csrf, csrf_token
from web.pages import chrome
from web.render import render

MAX_FORM_FIELDS = 4


def _grants(request: Request, user_id: int) -> list[GrantRow]:
    with read_scope(authenticator(request).engine) as session:
        return list_grants(session, user_id=user_id, active_only=True)


def _disconnect(request: Request, user_id: int, grant_id: int) -> bool:
    """Revoke one of the user's own grants; False when it is not theirs (or not there)."""
    with session_scope(authenticator(request).engine) as session:
        grant = session.get(OAuthGrant, grant_id)
        if grant is None or grant.user_id != user_id:
            return False
        revoke_grant(session, grant_id)
        return True


def _signed_in(request: Request) -> Principal | None:
    user = request.user
    return user if isinstance(user, Principal) and user.user_id is not None else None


async def page(request: Request) -> Response:
    user = _signed_in(request)
    if user is None:
        return RedirectResponse("/login?next=%2Fapps", status_code=303)
    assert user.user_id is not None
    grants = await run_in_threadpool(_grants, request, user.user_id)
    notice = "The app was disconnected." if request.query_params.get("done") == "1" else None
    html = render("apps.html", view="apps", grants=grants, csrf=csrf_token(request), notice=notice, **chrome(request, False))
    return HTMLResponse(html)


async def disconnect(request: Request) -> Response:
    user = _signed_in(request)
    if user is None:
        return RedirectResponse("/login?next=%2Fapps", status_code=303)
    assert user.user_id is not None
    async with request.form(max_files=0, max_fields=MAX_FORM_FIELDS) as form:
        check_csrf(request, form)
    raw = request.path_params["grant_id"]
    if not raw.isdigit() or len(raw) > 18 or not await run_in_threadpool(_disconnect, request, user.user_id, int(raw)):
        return RedirectResponse("/apps", status_code=303)  # not theirs: the same answer as one already gone
    return RedirectResponse("/apps?done=1", status_code=303)


def routes() -> list[Route]:
    return [Route("/apps", page, methods=["GET"]), Route("/apps/{grant_id}/disconnect", disconnect, methods=["POST"])]
