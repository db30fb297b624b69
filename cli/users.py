"""`engagement user ...` and `engagement token ...`: who may use the team server, and their API tokens."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from typing import Annotated

import typer
from rich.table import Table

from cli.common import open_core, user_errors
from cli.text import safe_console
from engagement.errors import EngagementError

user_app = typer.Typer(help="Team server users: a CSM, a manager (their team) or an admin (everyone).", no_args_is_help=True)
token_app = typer.Typer(help="API tokens for the team server: create (shown once), list, revoke.", no_args_is_help=True)
out = safe_console(soft_wrap=True)
err = safe_console(stderr=True, soft_wrap=True)
LIFETIME = re.compile(r"^(\d+)\s*([hdw])$")
UNITS = {"h": "hours", "d": "days", "w": "weeks"}
MAX_LIFETIME = dt.timedelta(days=3660)
MAX_ID = 2**63 - 1  # the largest id a database integer holds


def parse_lifetime(text: str) -> dt.timedelta | None:
    """`90d`, `12w`, `8h`, or `never`; None means until revoked."""
    value = text.strip().lower()
    if value == "never":
        return None
    match = LIFETIME.match(value)
    if not match or int(match.group(1)) == 0:
        raise EngagementError(f"--expires '{text}' is not a lifetime; use e.g. 90d, 12w, 8h, or never.")
    lifetime = dt.timedelta(**{UNITS[match.group(2)]: int(match.group(1))})
    if lifetime > MAX_LIFETIME:
        raise EngagementError(f"--expires {text} is longer than 10 years; use never for a token kept until revoked.")
    return lifetime


def _when(value: dt.datetime | None, empty: str = "-") -> str:
    return empty if value is None else value.strftime("%Y-%m-%d %H:%M")


@user_app.command("add")
@user_errors
def user_add(
    email: Annotated[str, typer.Argument(help="The user's email; a csm or manager must be a CSM of the store.")],
    role: Annotated[str, typer.Option(help="csm: their customers; manager: their team's; admin: every customer.")],
) -> None:
    """Let someone use the team server with a role.

    Example: engagement user add casey@ourco.com --role csm
    """
    from engagement.db import session_scope
    from engagement.users import add_user

    with session_scope(open_core().engine) as session:
        user = add_user(session, email, role.strip().lower())
        scope = {"csm": f"CSM {user.csm_id}'s customers", "manager": f"the team of CSM {user.csm_id}"}.get(user.role, "every customer")
        address, user_id = user.email, user.id
    out.print(f"Added {address} (user {user_id}) as {role}: sees {scope}.")
    out.print(f"Next: engagement token create --user {address}")


@user_app.command("list")
@user_errors
def user_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False) -> None:
    """The team server's users and roles.

    Example: engagement user list
    """
    from engagement.db import read_scope
    from engagement.users import list_users

    with read_scope(open_core().engine) as session:
        users = list_users(session)
    if as_json:
        rows = [{"id": u.id, "email": u.email, "role": u.role, "csm_id": u.csm_id} for u in users]
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    table = Table("id", "email", "role", "CSM")
    for user in users:
        table.add_row(str(user.id), user.email, user.role, user.csm_id or "-")
    out.print(table)


@token_app.command("create")
@user_errors
def token_create(
    user: Annotated[str, typer.Option("--user", help="The user's email (`engagement user add` first).")],
    expires: Annotated[str, typer.Option(help="Lifetime: 90d, 12w, 8h, or never.")] = "90d",
) -> None:
    """Make an API token for a user; it is printed once and only its hash is kept.

    Example: engagement token create --user casey@ourco.com --expires 90d
    """
    from engagement.db import session_scope
    from engagement.users import issue_token

    lifetime = parse_lifetime(expires)
    with session_scope(open_core().engine) as session:
        issued = issue_token(session, user, lifetime)
    until = "until revoked" if issued.expires_at is None else f"until {_when(issued.expires_at)} UTC"
    err.print(f"Token {issued.id} for {issued.email}, valid {until}. It is shown only now; keep it like a password:")
    sys.stdout.write(issued.token + "\n")  # alone on stdout, so `$(engagement token create ...)` gets just it
    sys.stdout.flush()
    err.print("Use it as `Authorization: Bearer <token>`, or sign in to the dashboard with it.")


@token_app.command("list")
@user_errors
def token_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False) -> None:
    """Every token: its id, user, when it was made, when it expires, whether it is revoked (never the token).

    Example: engagement token list
    """
    from engagement.db import read_scope
    from engagement.users import is_active, list_tokens, utcnow

    now = utcnow()
    with read_scope(open_core().engine) as session:
        rows = list_tokens(session)
    if as_json:
        found = [
            {"id": t.id, "user": u.email, "role": u.role, "created_at": t.created_at.isoformat(),
             "expires_at": t.expires_at and t.expires_at.isoformat(), "revoked_at": t.revoked_at and t.revoked_at.isoformat(),
             "active": is_active(t, now)}
            for t, u in rows
        ]  # fmt: skip
        sys.stdout.write(json.dumps(found, indent=2) + "\n")
        return
    table = Table("id", "user", "role", "created (UTC)", "expires (UTC)", "state")
    for token, holder in rows:
        state = "revoked" if token.revoked_at else ("active" if is_active(token, now) else "expired")
        table.add_row(str(token.id), holder.email, holder.role, _when(token.created_at), _when(token.expires_at, "never"), state)
    out.print(table)


@token_app.command("revoke")
@user_errors
def token_revoke(
    token_id: Annotated[int, typer.Argument(help="The token's id, from `engagement token list`.", min=1, max=MAX_ID)],
) -> None:
    """Revoke a token: every request with it (and every dashboard session made with it) is refused from now on.

    Example: engagement token revoke 3
    """
    from engagement.db import session_scope
    from engagement.users import revoke_token

    with session_scope(open_core().engine) as session:
        revoke_token(session, token_id)
    out.print(f"Token {token_id} revoked.")
