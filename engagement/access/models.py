"""The tables of dashboard sessions and OAuth access: every secret is kept as its SHA-256 only, except a
registered app's client secret, which the MCP SDK's client authentication compares as issued."""

from __future__ import annotations

from typing import Any

from pydantic import NaiveDatetime
from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

HASH_LENGTH = 64  # a SHA-256 in hex
MAX_CLIENT_ID = 512  # a Client ID Metadata Document's URL, or a registered app's UUID
MAX_SCOPES = 200


class WebSession(SQLModel, table=True):
    """A signed-in browser: the cookie holds a random value, the store its hash. Signing out deletes the row,
    so a copy of the cookie stops working; one made with an API token also ends when the token is revoked."""

    __tablename__ = "web_session"  # type: ignore[assignment]

    session_hash: str = Field(primary_key=True, max_length=HASH_LENGTH)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    token_id: int | None = Field(default=None, foreign_key="api_token.id", index=True)
    via: str = Field(max_length=16)  # token | oidc
    created_at: NaiveDatetime
    expires_at: NaiveDatetime = Field(index=True)


class OAuthClient(SQLModel, table=True):
    """An app that may ask users for access: registered here (RFC 7591), or known by the URL of its Client ID
    Metadata Document, kept until its HTTP caching headers say to fetch it again (`expires_at`)."""

    __tablename__ = "oauth_client"  # type: ignore[assignment]

    client_id: str = Field(primary_key=True, max_length=MAX_CLIENT_ID)
    kind: str = Field(max_length=16)  # registered | metadata
    client_name: str | None = Field(default=None, max_length=200)
    client_secret: str | None = Field(default=None, max_length=128)
    info: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))  # the client's metadata as the SDK models it
    created_at: NaiveDatetime
    expires_at: NaiveDatetime | None = None


class OAuthGrant(SQLModel, table=True):
    """What a user allowed one app: its scopes, on this server's /mcp. Revoking it stops every token of it."""

    __tablename__ = "oauth_grant"  # type: ignore[assignment]
    __table_args__ = (Index("ix_oauth_grant_user", "user_id", "revoked_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id")
    client_id: str = Field(foreign_key="oauth_client.client_id", max_length=MAX_CLIENT_ID, index=True)
    scopes: str = Field(max_length=MAX_SCOPES)
    resource: str = Field(max_length=MAX_CLIENT_ID)
    created_at: NaiveDatetime
    last_used_at: NaiveDatetime
    revoked_at: NaiveDatetime | None = None


class OAuthCode(SQLModel, table=True):
    """An authorization code: single use, ten minutes, bound to its client, redirect URI and PKCE challenge.
    `grant_id` is the grant its exchange made (a second use revokes it)."""

    __tablename__ = "oauth_code"  # type: ignore[assignment]

    code_hash: str = Field(primary_key=True, max_length=HASH_LENGTH)
    client_id: str = Field(foreign_key="oauth_client.client_id", max_length=MAX_CLIENT_ID)
    user_id: int = Field(foreign_key="app_user.id")
    scopes: str = Field(max_length=MAX_SCOPES)
    resource: str = Field(max_length=MAX_CLIENT_ID)
    redirect_uri: str = Field(max_length=2000)
    redirect_uri_explicit: bool
    code_challenge: str = Field(max_length=128)
    created_at: NaiveDatetime
    expires_at: NaiveDatetime = Field(index=True)
    used_at: NaiveDatetime | None = None
    grant_id: int | None = Field(default=None, foreign_key="oauth_grant.id")


class OAuthToken(SQLModel, table=True):
    """An access token (one hour) or a refresh token (rotated on every use: `used_at` marks the spent one,
    whose reuse revokes the whole grant)."""

    __tablename__ = "oauth_token"  # type: ignore[assignment]

    token_hash: str = Field(primary_key=True, max_length=HASH_LENGTH)
    kind: str = Field(max_length=16)  # access | refresh
    grant_id: int = Field(foreign_key="oauth_grant.id", index=True)
    scopes: str = Field(max_length=MAX_SCOPES)
    created_at: NaiveDatetime
    expires_at: NaiveDatetime
    used_at: NaiveDatetime | None = None
