"""`engagement grant ...`: the apps people connected by OAuth (Claude, for one), listed and revoked by an admin."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.table import Table

from cli.common import open_core, user_errors
from cli.text import plain, safe_console

grant_app = typer.Typer(help="Apps connected by OAuth (Claude's connectors): list, revoke.", no_args_is_help=True)
out = safe_console(soft_wrap=True)
MAX_ID = 2**63 - 1


@grant_app.command("list")
@user_errors
def grant_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False) -> None:
    """Every connected app: its id, whose, which app, what it may do, since when, last used (never a token).

    Example: engagement grant list
    """
    from engagement.access.grants import list_grants
    from engagement.db import read_scope

    with read_scope(open_core().engine) as session:
        rows = list_grants(session)
    if as_json:
        found = [
            {"id": g.id, "user": g.email, "app": g.app_name, "client_id": g.client_id, "scopes": g.scopes,
             "created_at": g.created_at.isoformat(), "last_used_at": g.last_used_at.isoformat(),
             "revoked_at": g.revoked_at and g.revoked_at.isoformat(), "active": g.revoked_at is None}
            for g in rows
        ]  # fmt: skip
        sys.stdout.write(json.dumps(found, indent=2) + "\n")
        return
    table = Table("id", "user", "app", "may", "connected (UTC)", "last used (UTC)", "state")
    for g in rows:
        table.add_row(str(g.id), g.email, plain(g.app_name), " ".join(g.scopes), g.created_at.strftime("%Y-%m-%d %H:%M"),
                      g.last_used_at.strftime("%Y-%m-%d %H:%M"), "revoked" if g.revoked_at else "active")  # fmt: skip
    out.print(table)


@grant_app.command("revoke")
@user_errors
def grant_revoke(
    grant_id: Annotated[int, typer.Argument(help="The grant's id, from `engagement grant list`.", min=1, max=MAX_ID)],
) -> None:
    """Disconnect an app: every token it holds is refused from now on.

    Example: engagement grant revoke 3
    """
    from engagement.access.grants import revoke_grant
    from engagement.db import session_scope

    with session_scope(open_core().engine) as session:
        revoke_grant(session, grant_id)
    out.print(f"Connected app {grant_id} revoked: its tokens stop working now.")
