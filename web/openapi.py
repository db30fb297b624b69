"""The OpenAPI 3.1 document of the REST API, made from the same operations, typed queries and answer models it serves."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from web.api import OPERATIONS, ApiError, Operation

REF = "#/components/schemas/{model}"
REASONS = {
    200: "The answer.", 201: "Stored; the answer.", 400: "A value is refused, or the body is not JSON; the message says what is accepted.",
    401: "No token, or one that is unknown, expired or revoked.", 403: "Not allowed for this user or browser.",
    404: "No such customer or CSM in the caller's portfolio.",
    409: "An external_id (with its source) is another activity's; nothing was stored. Use another external_id.",
    413: "The body is too large.",
    415: "The body is not JSON in UTF-8.", 422: "A parameter or the body does not match this document; the message says which.",
    429: "Too many failed authentications from this address (a wrong token): wait the Retry-After seconds.",
    503: "The database is unavailable; try again shortly.",
}  # fmt: skip


def _parameter_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter's schema: a query string cannot say null, so an optional one is its non-null branch."""
    options = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    base = dict(options[0]) if len(options) == 1 else {k: v for k, v in schema.items() if k not in ("title", "description")}
    base.pop("title", None)
    if "default" in schema and schema["default"] is not None:
        base["default"] = schema["default"]
    return base


def _parameters(op: Operation) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "description": "Customer id or name (case-insensitive).",
            "schema": {"type": "string", "minLength": 1, "maxLength": 200},
        }
        for name, _ in op.path_params
    ]
    if op.query is None:
        return params
    schema = op.query.model_json_schema()
    required = set(schema.get("required", []))
    for name in op.query_fields():
        field = schema["properties"][name]
        param = {"name": name, "in": "query", "required": name in required, "schema": _parameter_schema(field)}
        if "description" in field:
            param["description"] = field["description"]
        params.append(param)
    return params


def openapi_document(title: str, version: str) -> dict[str, Any]:
    """The whole document: every operation, its parameters, body and answers, and the bearer scheme."""
    keyed = [("error", "serialization", TypeAdapter(ApiError))]
    for op in OPERATIONS:
        if op.answer is not None:
            keyed.append((f"answer:{op.operation_id}", "serialization", TypeAdapter(op.answer)))
        if op.body is not None:
            keyed.append((f"body:{op.operation_id}", "validation", op.body))
    schemas, definitions = TypeAdapter.json_schemas(keyed, ref_template=REF)
    refs = {key: schema for (key, _mode), schema in schemas.items()}

    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        responses: dict[str, Any] = {}
        for status in (*op.statuses, 429):  # 429: any request with a wrong token, past the address's limit (web/ratelimit.py)
            answer = refs[f"answer:{op.operation_id}"] if status < 300 and op.answer is not None else refs["error"]
            responses[str(status)] = {"description": REASONS[status], "content": {"application/json": {"schema": answer}}}
        responses["429"]["headers"] = {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}}
        operation: dict[str, Any] = {
            "operationId": op.operation_id,
            "summary": op.summary,
            "parameters": _parameters(op),
            "responses": responses,
        }
        if op.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": refs[f"body:{op.operation_id}"]}},
            }
        paths.setdefault(op.path, {})[op.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "engagement token create"}},
        },
        "security": [{"bearer": []}],
    }
