"""A command's options made from its question's typed query (engagement/queries.py): one option per field
(`--csm` for csm_id, as engagement.query.SHORT_NAMES says people type it), its description the help and
its default the option's; the query checks the values, so the command line refuses what every edge refuses.

    @app.command()
    @user_errors
    @query_options(PortfolioQuery, defaults={"limit": 10})
    def report(query: PortfolioQuery, as_json: JsonOption = False) -> None: ...
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, TypeVar

import typer

from engagement.query import SHORT_NAMES, Query, parse

R = TypeVar("R")


def option_name(field: str) -> str:
    return "--" + SHORT_NAMES.get(field, field).replace("_", "-")


def query_options(
    model: type[Query],
    *,
    arguments: Sequence[str] = (),
    defaults: Mapping[str, Any] = {},
    helps: Mapping[str, str] = {},
) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """The decorated command's `query` parameter becomes an option for each field of `model` (a positional
    argument for each field in `arguments`); it is called with the query made from them. `defaults` and
    `helps` are where the command's own default or words differ from the query's."""

    def decorate(command: Callable[..., R]) -> Callable[..., R]:
        own = [
            p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
            for p in inspect.signature(command, eval_str=True).parameters.values()
            if p.name != "query"
        ]
        fields = [_parameter(name, model, name in arguments, defaults, helps) for name in model.model_fields]
        names = {name: (name if name in arguments else option_name(name)) for name in model.model_fields}

        @functools.wraps(command)
        def run(**values: Any) -> R:
            given = {name: values.pop(name) for name in model.model_fields}
            query = parse(model, {name: value for name, value in given.items() if value is not None}, names)
            return command(query=query, **values)

        # Typer reads a command's options from its signature: the query's fields first, then the command's own.
        run.__signature__ = inspect.Signature([*fields, *own])  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in (*fields, *own)}
        return run

    return decorate


def _parameter(name: str, model: type[Query], positional: bool, defaults: Mapping[str, Any], helps: Mapping[str, str]) -> inspect.Parameter:
    info = model.model_fields[name]
    words = helps.get(name, info.description)
    kind = typer.Argument(help=words) if positional else typer.Option(option_name(name), help=words)
    default = inspect.Parameter.empty if info.is_required() else defaults.get(name, info.default)
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[info.annotation, kind], default=default)
