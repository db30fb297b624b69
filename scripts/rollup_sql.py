"""Prints the rollups' trigger SQL (engagement/rollup.py) as the Python constants a migration pastes.

A change to engagement/rollup.py's definition needs a new migration that drops the triggers and creates
them again from this output (tests/engagement/test_rollup_definition.py fails until the pasted SQL equals
what the definition generates): `python scripts/rollup_sql.py > /tmp/sql.py`, then paste.
"""

from __future__ import annotations

import textwrap

from engagement import rollup

WIDTH = 112


def literal(statement: str, indent: str) -> str:
    """One statement as adjacent string literals of at most WIDTH characters, split at spaces."""
    pieces = textwrap.wrap(statement, WIDTH - len(indent) - 3, drop_whitespace=False, break_long_words=False,
                           break_on_hyphens=False, replace_whitespace=False)
    return "\n".join(f"{indent}{piece!r}" for piece in pieces)


def constant(name: str, statements: list[str]) -> str:
    body = ",\n".join(f"    (\n{literal(s, '        ')}\n    )" for s in statements)
    return f"{name} = (\n{body},\n)\n"


def main() -> None:
    print(constant("SQLITE_TRIGGERS", rollup.sqlite_triggers()))
    print(constant("POSTGRESQL_FUNCTIONS", rollup.postgresql_functions()))
    print(constant("POSTGRESQL_TRIGGERS", rollup.postgresql_triggers()))
    print(constant("MONTH_FILL", [rollup.month_fill("sqlite"), rollup.month_fill("postgresql")]))


if __name__ == "__main__":
    main()
