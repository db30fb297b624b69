"""The domain package imports none of its edges: every import in engagement/ (at the top, inside functions,
under TYPE_CHECKING) is read from the source and none names the command line, the team server, the MCP
tools, the agents, the prompts or a library only an edge uses."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.servers import ROOT

EDGES = ("cli", "web", "tools", "agents", "server", "prompts")
EDGE_LIBRARIES = ("mcp", "typer", "click", "rich", "starlette", "uvicorn", "jinja2", "anthropic")


def imported(path: Path) -> list[tuple[int, str]]:
    """Every module `path` imports, with the line: absolute names only (the package uses no relative imports)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: a relative import"
            found.append((node.lineno, node.module or ""))
    return found


def test_the_domain_package_imports_no_edge() -> None:
    sources = sorted((ROOT / "engagement").rglob("*.py"))
    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in sources
        for line, name in imported(path)
        if name.split(".")[0] in EDGES + EDGE_LIBRARIES
    ]

    assert len(sources) > 50 and any(name == "engagement.core" for path in sources for _, name in imported(path))
    assert offending == []


def test_the_walk_sees_an_import_hidden_in_a_function(tmp_path: Path) -> None:
    module = tmp_path / "hidden.py"
    module.write_text("def serve() -> None:\n    from web.app import create_app\n", encoding="utf-8")

    assert imported(module) == [(2, "web.app")]
