"""schemathesis fuzzes the OAuth endpoints (registration, authorization, token, revocation, both metadata
documents) against an OpenAPI description of their wire format (RFC 6749, 7009, 7591, 8414, 9728): no input
gets a 5xx, and every answer, refusals included, has the documented status, content type and shape."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case
from schemathesis.specs.openapi.checks import positive_data_acceptance
from starlette.applications import Starlette
from starlette.testclient import TestClient

from engagement.core import Core
from engagement.settings import Settings
from tests.web.conftest import BASE, Team, already_started
from tests.web.oauth_steps import counts, register
from web.app import create_app

ERROR = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"},
         "error_description": {"type": ["string", "null"]}}}  # fmt: skip
TEXT = {"type": "string", "maxLength": 600}


def answers(*statuses: int, ok: dict[str, Any] | None = None, kind: str = "application/json") -> dict[str, Any]:
    found: dict[str, Any] = {}
    for status in statuses:
        schema = ok if status < 300 and ok is not None else ERROR
        found[str(status)] = {"description": str(status), **({"content": {kind: {"schema": schema}}} if status != 302 else {})}
    return found


def form(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema = {"type": "object", "properties": properties, "required": required}
    return {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": schema}}}


DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "OAuth endpoints", "version": "1"},
    "paths": {
        "/.well-known/oauth-authorization-server": {"get": {"responses": answers(200, ok={"type": "object", "required": ["issuer"]})}},
        "/.well-known/oauth-protected-resource/mcp": {"get": {"responses": answers(200, ok={"type": "object", "required": ["resource"]})}},
        "/register": {"post": {
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["redirect_uris"], "properties": {
                    "redirect_uris": {"type": "array", "items": TEXT, "maxItems": 12}, "client_name": TEXT, "scope": TEXT,
                    "token_endpoint_auth_method": TEXT, "grant_types": {"type": "array", "items": TEXT}}}}}},
            "responses": answers(201, 400, ok={"type": "object", "required": ["client_id", "redirect_uris"]})}},
        "/authorize": {"get": {
            "parameters": [{"name": n, "in": "query", "required": n in ("client_id", "response_type", "code_challenge"),
                            "schema": TEXT} for n in ("client_id", "redirect_uri", "response_type", "code_challenge",
                                                      "code_challenge_method", "state", "scope", "resource")],
            "responses": answers(302, 400)}},
        "/token": {"post": {
            "requestBody": form({n: TEXT for n in ("grant_type", "code", "redirect_uri", "client_id", "client_secret",
                                                   "code_verifier", "refresh_token", "scope", "resource")}, ["grant_type"]),
            "responses": answers(200, 400, 401, ok={"type": "object", "required": ["access_token", "token_type"]})}},
        "/revoke": {"post": {
            "requestBody": form({n: TEXT for n in ("token", "token_type_hint", "client_id", "client_secret")}, ["token"]),
            "responses": {"200": {"description": "revoked, or not a token of this client"}, **answers(400, 401)}}},
    },
}  # fmt: skip


@pytest.fixture
def app(settings: Settings, core: Core, team: Team) -> Iterator[Starlette]:
    fuzzing = settings.model_copy(update={"auth_failures_per_minute": 10_000})  # refusals here are the point, not abuse
    app = create_app(fuzzing, core=core)
    with TestClient(app, base_url=BASE):
        yield app


def test_no_input_to_the_oauth_endpoints_gets_a_server_error_or_an_undocumented_answer(app: Starlette, engine: Any) -> None:
    known = register(TestClient(app, base_url=BASE)).json()  # a real client id, so not every request stops at "unknown"
    schema = schemathesis.openapi.from_asgi("/oauth-openapi.json", already_started(app, {"/oauth-openapi.json": DOCUMENT}), headers={"Host": "127.0.0.1:8000"})
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 6

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def call(case: Case) -> None:
            if isinstance(case.body, dict) and "client_id" in case.body and case.body["client_id"] == "":
                case.body["client_id"] = known["client_id"]
            case.call_and_validate(base_url=BASE, excluded_checks=[positive_data_acceptance])

        call()
    assert counts(engine)["oauth_grant"] == 0  # fuzzing never got past consent
