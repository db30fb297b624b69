"""The company's identity provider for tests: oidc-provider-mock (a real OpenID provider built on authlib) on
127.0.0.1, and a hook that re-signs the ID tokens it issues, for the tests of a wrong audience, a foreign
signature or a rotated key (the key the hook signs with is then the one its JWKS publishes)."""

from __future__ import annotations

import json
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import flask
import httpx
from joserfc import jws, jwt
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import make_server

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # the mock imports authlib.jose, which authlib deprecates
    import oidc_provider_mock


class IdentityProvider:
    def __init__(self) -> None:
        self.app = oidc_provider_mock.app(require_nonce=True)
        self.app.after_request(self._resign)
        self.edit: Callable[[dict[str, Any]], None] | None = None  # changes the ID token's claims
        self.signing_key: RSAKey | None = None  # signs the ID token instead of the mock's key
        self.published: RSAKey | None = None  # the key /jwks publishes instead of the mock's
        self.url = ""

    @contextmanager
    def running(self) -> Iterator[IdentityProvider]:
        server = make_server("127.0.0.1", 0, self.app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        self.url = f"http://127.0.0.1:{server.server_port}"
        try:
            yield self
        finally:
            server.shutdown()
            thread.join(10)

    def user(self, sub: str, **claims: object) -> None:
        answer = httpx.put(f"{self.url}/users/{quote(sub)}", json=claims, trust_env=False)
        assert answer.status_code == 204, answer.text

    def _resign(self, response: flask.Response) -> flask.Response:
        path = flask.request.path
        if path == "/jwks" and self.published is not None:
            response.set_data(json.dumps(KeySet([self.published]).as_dict(private=False)))
        if path == "/oauth2/token" and self.signing_key is not None and response.status_code == 200:
            body = json.loads(response.get_data())
            claims = json.loads(jws.extract_compact(body["id_token"].encode()).payload)
            if self.edit is not None:
                self.edit(claims)
            header = {"alg": "RS256", "kid": self.signing_key.kid}
            body["id_token"] = jwt.encode(header, claims, self.signing_key)
            response.set_data(json.dumps(body))
        return response


def new_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid}, private=True)
