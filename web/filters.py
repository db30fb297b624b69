"""The dashboard's filters, made from a question's typed query (engagement/queries.py): each field the page
does not set itself is a parameter of the page's address and a control of its filter form, so a new
field of the query is a new filter on the page.

A field with a menu the page supplies (the periods, the caller's CSMs, the segments) or a fixed set of
values (a Literal, such as the category) is a menu; a number is a number box with the field's bounds;
any other is a text box. Labels are the field's name in words unless named below.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, get_args, get_origin

from annotated_types import Ge, Le
from pydantic.fields import FieldInfo

from engagement import checks
from engagement.query import MAX_EMAIL_LENGTH, SHORT_NAMES, Query, parse
from web.render.format import words

Q = TypeVar("Q", bound=Query)
MAX_PARAM = MAX_EMAIL_LENGTH  # the longest a value in a page's address may be (a CSM's email)
LABELS = {"csm_id": "CSM", "manager_id": "Team"}

Menu = tuple[tuple[str, str], ...]
"""A menu's choices: (value, label)."""


@dataclass(frozen=True)
class Control:
    """One control of a page's filter form: a menu (`options`) or a box of `kind` text or number."""

    name: str
    label: str
    value: str
    options: Menu | None = None
    blank: str | None = None
    """The menu's label for "not chosen"; None when a menu always has a value chosen (the period)."""
    kind: Literal["text", "number"] = "text"
    minimum: float | None = None
    maximum: float | None = None
    step: str = "any"


def read(model: type[Q], params: Mapping[str, str], fixed: Mapping[str, Any], skip: Sequence[str] = ()) -> tuple[Q, dict[str, str]]:
    """The query a page's address asks (`fixed` the fields the page gives itself), and its filters' raw
    values by parameter name. A value is first held to what any page parameter may be (length, NUL), then
    the query checks it; either refusal names the parameter and what is accepted."""
    values: dict[str, str] = {}
    data: dict[str, Any] = dict(fixed)
    for field in filter_fields(model, fixed, skip):
        name = SHORT_NAMES.get(field, field)
        values[name] = checks.text(name, params.get(name), MAX_PARAM) or ""
        if values[name]:
            data[field] = values[name]
    return parse(model, data, SHORT_NAMES), values


def controls(
    model: type[Query],
    values: Mapping[str, str],
    menus: Mapping[str, tuple[Menu, str | None]],
    fixed: Sequence[str],
    skip: Sequence[str] = (),
) -> list[Control]:
    """The form's controls for the query's filter fields, showing `values`; `menus` gives a field's choices
    and its blank label."""
    return [
        _control(field, model.model_fields[field], values.get(SHORT_NAMES.get(field, field), ""), menus.get(field))
        for field in filter_fields(model, fixed, skip)
    ]


def filter_fields(model: type[Query], fixed: Mapping[str, Any] | Sequence[str], skip: Sequence[str] = ()) -> list[str]:
    """The query's fields a page's address may set: all but those the page gives itself."""
    return [field for field in model.model_fields if field not in fixed and field not in skip]


def _control(field: str, info: FieldInfo, value: str, menu: tuple[Menu, str | None] | None) -> Control:
    name, label = SHORT_NAMES.get(field, field), LABELS.get(field, words(field))
    if menu is not None:
        return Control(name, label, value, options=menu[0], blank=menu[1])
    kinds = [arm for arm in get_args(info.annotation) or (info.annotation,) if arm is not type(None)]
    if len(kinds) == 1 and get_origin(kinds[0]) is Literal:
        return Control(name, label, value, options=tuple((v, words(v)) for v in get_args(kinds[0])), blank="Any")
    if len(kinds) == 1 and kinds[0] in (int, float):
        low = next((m.ge for m in info.metadata if isinstance(m, Ge)), None)
        high = next((m.le for m in info.metadata if isinstance(m, Le)), None)
        return Control(name, label, value, kind="number", minimum=low, maximum=high, step="1" if kinds[0] is int else "any")  # type: ignore[arg-type]
    return Control(name, label, value)
