"""HTTP face of the identity room: OAuth token endpoint, JWKS, login/logout, accounts.

``POST /oauth/token`` answers RFC 6749 section 5.2 errors as problem+json documents that also
carry the ``error`` and ``error_description`` members (400 for malformed requests, 401 for
client authentication failures).
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import unquote_plus

from fastapi import APIRouter, Depends, Form, Header, Request, Response
from pydantic import BaseModel, Field

from audit import Origin
from identity import (
    Caller,
    IdentityService,
    InvalidClientError,
    OAuthRequestError,
    UnsupportedGrantTypeError,
    actor_of,
)
from web.deps import SESSION_COOKIE, CallerDep, ContainerDep, client_ip, require

router = APIRouter(tags=["auth"])

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
AdminCaller = Annotated[Caller, Depends(require("admin:manage", "identity"))]


def identity_service(container: ContainerDep) -> IdentityService:
    service = container.authenticator
    if not isinstance(service, IdentityService):
        raise RuntimeError("the identity room is not wired into this container")
    return service


IdentityDep = Annotated[IdentityService, Depends(identity_service)]


def request_origin(request: Request) -> Origin:
    request_id = getattr(request.state, "request_id", None)
    return Origin(ip=client_ip(request), request_id=request_id)


# --- OAuth 2.0 client credentials ----------------------------------------------------------


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int


def basic_credentials(authorization: str) -> tuple[str, str]:
    """RFC 6749 section 2.3.1: Basic with form-urlencoded client id and secret."""
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        raise InvalidClientError("unsupported client authentication scheme; use Basic", "Basic")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidClientError("malformed Basic credentials", "Basic") from exc
    client_id, sep, client_secret = decoded.partition(":")
    if not sep:
        raise InvalidClientError("malformed Basic credentials", "Basic")
    return unquote_plus(client_id), unquote_plus(client_secret)


def client_credentials(
    authorization: str | None, client_id: str | None, client_secret: str | None
) -> tuple[str, str]:
    if authorization:
        if client_secret:
            raise OAuthRequestError("use one client authentication method, not two")
        basic_id, basic_secret = basic_credentials(authorization)
        if client_id and client_id != basic_id:
            raise OAuthRequestError("client_id in the body differs from the Basic credentials")
        return basic_id, basic_secret
    if not client_id or not client_secret:
        raise InvalidClientError("client authentication required")
    return client_id, client_secret


@router.post(
    "/oauth/token",
    summary="OAuth 2.0 client credentials grant (RFC 6749 section 4.4)",
    response_model=TokenResponse,
    responses={400: {"description": "invalid_request / unsupported_grant_type / invalid_scope"}},
)
def token(
    *,
    request: Request,
    response: Response,
    identity: IdentityDep,
    grant_type: Annotated[str | None, Form(max_length=64)] = None,
    client_id: Annotated[str | None, Form(max_length=128)] = None,
    client_secret: Annotated[str | None, Form(max_length=512)] = None,
    scope: Annotated[str | None, Form(max_length=2000)] = None,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> TokenResponse:
    if not grant_type:
        raise OAuthRequestError("grant_type is required")
    if grant_type != "client_credentials":
        raise UnsupportedGrantTypeError("only grant_type=client_credentials is supported")
    found_id, found_secret = client_credentials(authorization, client_id, client_secret)
    try:
        issued = identity.issue_token(found_id, found_secret, scope, request_origin(request))
    except InvalidClientError as exc:
        if authorization:
            exc.challenge = "Basic"
        raise
    response.headers.update(NO_STORE)
    return TokenResponse(access_token=issued.access_token, expires_in=issued.expires_in)


@router.get("/.well-known/jwks.json", summary="Public keys that verify trustplane's tokens")
def jwks(identity: IdentityDep, response: Response) -> dict[str, Any]:
    response.headers["Cache-Control"] = "public, max-age=300"
    return identity.jwks()


# --- human sessions ----------------------------------------------------------------------


class LoginRequest(BaseModel):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1024)
    totp: str = Field(min_length=1, max_length=16, description="RFC 6238 six-digit code")


class LoginResponse(BaseModel):
    csrf_token: str = Field(description="Send back in X-CSRF-Token on state changes")
    expires_at: datetime = Field(description="Absolute end of the session")
    idle_expires_at: datetime = Field(description="End of the session without activity")


@router.post(
    "/auth/login",
    summary="Sign in with email, password and TOTP; sets the tp_session cookie",
    response_model=LoginResponse,
)
def login(
    body: LoginRequest,
    request: Request,
    response: Response,
    identity: IdentityDep,
    container: ContainerDep,
) -> LoginResponse:
    result = identity.login(body.email, body.password, body.totp, request_origin(request))
    response.set_cookie(
        SESSION_COOKIE,
        result.session_token,
        max_age=identity.config.session_absolute_seconds,
        path="/",
        secure=container.settings.cookie_secure,
        httponly=True,
        samesite="strict",
    )
    response.headers.update(NO_STORE)
    return LoginResponse(
        csrf_token=result.csrf_token,
        expires_at=result.expires_at,
        idle_expires_at=result.idle_expires_at,
    )


@router.post(
    "/auth/logout",
    summary="End the cookie session (needs the X-CSRF-Token header)",
    status_code=204,
)
def logout(
    request: Request, caller: CallerDep, identity: IdentityDep, container: ContainerDep
) -> Response:
    session_token = request.cookies.get(SESSION_COOKIE)
    if session_token and caller.attributes.get("session_id"):
        identity.logout(session_token, request_origin(request))
    response = Response(status_code=204)
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        secure=container.settings.cookie_secure,
        httponly=True,
        samesite="strict",
    )
    return response


# --- the caller and account administration ----------------------------------------------


class Me(BaseModel):
    id: str
    kind: str
    roles: list[str]


@router.get("/v1/me", summary="The authenticated caller", response_model=Me)
def me(caller: CallerDep) -> Me:
    return Me(id=caller.id, kind=caller.kind.value, roles=sorted(caller.roles))


class NewUserRequest(BaseModel):
    email: str = Field(min_length=3, max_length=320)
    roles: list[str] = Field(min_length=1, max_length=20)


class NewUserResponse(BaseModel):
    user_id: str
    password: str = Field(description="Shown once")
    totp_uri: str = Field(description="otpauth:// provisioning URI, shown once")


@router.post(
    "/v1/users",
    summary="Create a user (admin); returns a one-time password and TOTP URI",
    status_code=201,
    response_model=NewUserResponse,
)
def create_user(
    body: NewUserRequest,
    request: Request,
    response: Response,
    caller: AdminCaller,
    identity: IdentityDep,
) -> NewUserResponse:
    created = identity.create_user(
        body.email, body.roles, actor_of(caller), request_origin(request)
    )
    response.headers.update(NO_STORE)
    return NewUserResponse(
        user_id=created.user_id, password=created.password, totp_uri=created.totp_uri
    )


class NewServiceAccountRequest(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    roles: list[str] = Field(min_length=1, max_length=20)


class ClientCredentialsResponse(BaseModel):
    client_id: str
    client_secret: str = Field(description="Shown once")


@router.post(
    "/v1/service-accounts",
    summary="Create a service account (admin); returns its client secret once",
    status_code=201,
    response_model=ClientCredentialsResponse,
)
def create_service_account(
    body: NewServiceAccountRequest,
    request: Request,
    response: Response,
    caller: AdminCaller,
    identity: IdentityDep,
) -> ClientCredentialsResponse:
    created = identity.create_service_account(
        body.name, body.roles, actor_of(caller), request_origin(request)
    )
    response.headers.update(NO_STORE)
    return ClientCredentialsResponse(
        client_id=created.client_id, client_secret=created.client_secret
    )


class RotateRequest(BaseModel):
    grace_seconds: int | None = Field(
        default=None, ge=0, le=604_800, description="How long the old secret keeps working"
    )


class RotatedResponse(ClientCredentialsResponse):
    previous_secret_valid_until: datetime | None


@router.post(
    "/v1/service-accounts/{client_id}/rotate-secret",
    summary="Replace a service account's client secret (admin)",
    response_model=RotatedResponse,
)
def rotate_secret(
    *,
    client_id: str,
    request: Request,
    response: Response,
    caller: AdminCaller,
    identity: IdentityDep,
    body: RotateRequest | None = None,
) -> RotatedResponse:
    grace = body.grace_seconds if body else None
    rotated = identity.rotate_secret(
        client_id, actor_of(caller), request_origin(request), grace_seconds=grace
    )
    response.headers.update(NO_STORE)
    return RotatedResponse(
        client_id=rotated.client_id,
        client_secret=rotated.client_secret,
        previous_secret_valid_until=rotated.previous_secret_valid_until,
    )
