"""`engagement install ...`: put this server into Claude Desktop or Claude Code with one command.

The edge over `engagement/install.py`: options in, messages out. Wired into `cli/main.py` with
`app.add_typer(install_app, name="install")`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.text import Text

from engagement import install
from cli.common import user_errors
from cli.text import plain, safe_console

install_app = typer.Typer(
    help="Connect Claude to this server: write Claude Desktop's config, or add it to Claude Code.",
    no_args_is_help=True,
)
out = safe_console(soft_wrap=True)
err = safe_console(stderr=True, soft_wrap=True)
P = ParamSpec("P")
R = TypeVar("R")

PrintOption = Annotated[bool, typer.Option("--print", help="Show what would be written or run; change nothing.")]
UserOption = Annotated[
    str | None,
    typer.Option(help="Your CSM id or email (a manager's shows the team): the accounts 'my accounts' means. "
                 "Default: ENGAGEMENT_USER."),
]
DatabaseOption = Annotated[
    str | None, typer.Option(help="SQLAlchemy URL of the store. Default: ENGAGEMENT_DATABASE_URL, else the local SQLite file.")
]


def _launch(user: str | None, database_url: str | None) -> install.ServerLaunch:
    environ = dict(os.environ)
    # Options win over the environment; both end up as the entry's env.
    if user:
        environ["ENGAGEMENT_USER"] = user
    if database_url:
        environ["ENGAGEMENT_DATABASE_URL"] = database_url
    return install.server_launch(install.settings_env(environ, Path.cwd()))


@install_app.command("claude-desktop")
@user_errors
def claude_desktop(
    print_only: PrintOption = False,
    config: Annotated[
        Path | None, typer.Option("--config", dir_okay=False, help="Config file to update. Default: Claude Desktop's for this OS.")
    ] = None,
    user: UserOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Add (or update) the 'engagement' server in Claude Desktop's claude_desktop_config.json.

    Every other server in the file is kept, and the previous file is saved beside it as a .bak.

    Example: engagement install claude-desktop --user priya.raman@northwind-cs.example
    """
    path = config or install.claude_desktop_config_path()
    launch = _launch(user, database_url)
    merged = install.merge_server(install.read_config(path), install.SERVER_NAME, launch.config_entry())
    if print_only:
        # The snippet alone on stdout, so `--print > file` or a pipe gets clean JSON.
        sys.stdout.write(install.render_config({"mcpServers": {install.SERVER_NAME: launch.config_entry()}}))
        err.print(f"Would be merged into {path} (nothing written).")
        return
    result = install.write_config(path, merged)
    if not result.changed:
        out.print(f"Claude Desktop's config already has this 'engagement' entry: {path}")
    else:
        out.print(Text.assemble(("Added the 'engagement' server", "green"), plain(f" to Claude Desktop's config: {path}")))
        if result.backup:
            out.print(f"The previous file is kept as {result.backup}")
    log = install.claude_desktop_log_dir() / f"mcp-server-{install.SERVER_NAME}.log"
    out.print(
        "Quit Claude Desktop completely and open it again. Under the tools menu of a new chat you will see "
        f"'{install.SERVER_NAME}' with its tools; ask \"show me engagement metrics for my accounts\".\n"
        f"If it is missing or shows an error, the server's log is {log}"
    )


@install_app.command("claude-code")
@user_errors
def claude_code(
    scope: Annotated[
        install.ClaudeCodeScope,
        typer.Option(help="user: all your projects; project: this directory's .mcp.json; local: only you, here."),
    ] = "user",
    print_only: PrintOption = False,
    user: UserOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Add the 'engagement' server to Claude Code with `claude mcp add` (or print that line).

    Example: engagement install claude-code --scope user
    """
    launch = _launch(user, database_url)
    add = install.claude_code_command(launch, scope)
    if print_only:
        sys.stdout.write(install.shell_line(add) + "\n")
        return
    claude = shutil.which("claude")
    if claude is None:
        err.print(Text.assemble(("Error:", "red"), " the Claude Code CLI ('claude') is not on PATH. Once it is, run:"))
        sys.stdout.write(install.shell_line(add) + "\n")
        raise typer.Exit(1)
    # `claude mcp add` refuses a name that exists; removing first makes the install repeatable.
    remove = install.claude_code_remove_command(scope)
    subprocess.run([claude, *remove[1:]], capture_output=True, check=False)
    done = subprocess.run([claude, *add[1:]], check=False)
    if done.returncode != 0:
        err.print(Text.assemble(("Error:", "red"), f" `claude mcp add` failed (exit {done.returncode}). The line was:"))
        sys.stdout.write(install.shell_line(add) + "\n")
        raise typer.Exit(1)
    out.print(
        Text.assemble(
            (f"Added the 'engagement' server to Claude Code ({scope} scope).", "green"),
            " Start `claude` and run /mcp: 'engagement' shows as connected with its tools.",
        )
    )
