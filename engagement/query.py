"""Typed queries: the base of every question's query model, the parameter types questions share, and the
one wording of a refused parameter.

A query model (engagement/queries.py) lists one question's parameters as fields: type, bounds,
description and default. Making one checks them; the core answers a query that was made and never
checks its arguments again. Every edge takes its parameters from the fields: the MCP tools' input
schemas (tools/_common.py `question_tool`), the REST query parameters and the OpenAPI document
(web/api.py), the command line's options (cli/options.py) and the dashboard's filters (web/filters.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, ValidationInfo, WithJsonSchema, create_model, field_validator
from pydantic.fields import FieldInfo

from engagement.checks import has_nul
from engagement.errors import EngagementError
from engagement.periods import PERIOD_FORMS

MAX_LIMIT = 500
MAX_OFFSET = 1_000_000_000  # far past any portfolio, well inside every database's integers
MAX_REF_LENGTH = 200  # a customer's id or name
MAX_EMAIL_LENGTH = 320  # a CSM's id or email

Q = TypeVar("Q", bound="Query")

SHORT_NAMES: Mapping[str, str] = {"csm_id": "csm", "manager_id": "manager"}
"""What people type for a parameter at the command line (`--csm`) and in a page's address (`/?csm=`), where
it differs from the name the tools and the API use."""


class Query(BaseModel):
    """One question's parameters. Unknown names are refused (a typo must not silently widen an answer)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: Any, info: ValidationInfo) -> Any:
        # PostgreSQL cannot hold NUL in text and SQLite would store it: refused on both, by name.
        if has_nul(value):
            raise ValueError(f"{info.field_name} contains a NUL character (\\x00), which cannot be stored; remove it.")
        return value


def parse(model: type[Q], data: Mapping[str, Any], names: Mapping[str, str] = {}) -> Q:
    """The query of `data`, or an EngagementError naming each refused parameter (as `names` calls it at
    this edge) and what is accepted."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise EngagementError(describe(exc, names)) from None


def describe(exc: ValidationError, names: Mapping[str, str] = {}, whole: str = "query") -> str:
    """A refusal in one wording for every edge: "limit: Input should be less than or equal to 500." A
    check of our own (a ValueError) already names what it refused, so its sentence is given as written."""
    parts = []
    for problem in exc.errors(include_url=False)[:5]:
        loc = [names.get(str(p), str(p)) for p in problem["loc"]]
        text = problem["msg"]
        if problem["type"] == "value_error":
            text = str(problem["ctx"]["error"])
            if loc and text.startswith(f"{loc[-1]} "):
                loc = loc[:-1]
            parts.append(f"{'.'.join(loc)}: {text}" if loc else text)
        else:
            parts.append(f"{'.'.join(loc) or whole}: {text}")
    return "; ".join(part.rstrip(".") for part in parts) + "."


def field_type(info: FieldInfo) -> Any:
    """A field's type with its bounds and description but not its default: a function parameter's annotation
    (the MCP tools' arguments, the command line's options) that checks and documents what the field does."""
    return Annotated[(info.annotation, *info.metadata, Field(description=info.description))]


def as_sent(kind: Any) -> WithJsonSchema:
    """A field published with the JSON schema of `kind` but taken as the caller sent it (its type `Any`): for
    values a rule of our own checks and words (the activity rules, engagement/checks.py, strict), so that
    pydantic neither coerces them (`true` made 1.0 minutes) nor words their refusal."""
    return WithJsonSchema(TypeAdapter(kind).json_schema())


def with_defaults(model: type[Q], name: str, doc: str, **defaults: Any) -> type[Q]:
    """`model` named `name` (described by `doc`) with other defaults, for an edge whose natural default
    differs (the REST API logs `source` "api"); every field keeps its type, bounds and description."""
    fields: Any = {field: (field_type(model.model_fields[field]), value) for field, value in defaults.items()}
    return create_model(name, __base__=model, __module__=model.__module__, __doc__=doc, **fields)


# -- parameter types several questions share -------------------------------------------------------

CustomerRef = Annotated[
    str,
    Field(description="Customer id or name (case-insensitive; a unique part of the name works).", max_length=MAX_REF_LENGTH),
]
PeriodToken = Annotated[str | None, Field(description=f"Period: {PERIOD_FORMS}. Default this_quarter.", max_length=32)]
CsmRef = Annotated[
    str | None,
    Field(
        description="A CSM's id or email (a manager means their team), or 'all'. Default: the configured user's "
        "accounts, else all.",
        max_length=MAX_EMAIL_LENGTH,
    ),
]
SegmentName = Annotated[str | None, Field(description="Enterprise, Mid-Market or SMB.", max_length=32)]
ScoreBound = Annotated[float | None, Field(description="Score bound, 0-100.", ge=0, le=100)]
Limit = Annotated[int, Field(description=f"Rows per page, 1-{MAX_LIMIT}.", ge=1, le=MAX_LIMIT)]
Offset = Annotated[int, Field(description=f"Rows to skip, for the next page, 0-{MAX_OFFSET:,}.", ge=0, le=MAX_OFFSET)]

