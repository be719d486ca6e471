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

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import AwareDatetime, BaseModel, EmailStr, Field, field_validator

from audit import Origin
from identity import (
    KNOWN_ROLES,
    AuthMethod,
    Caller,
    CallerKind,
    InvalidClientError,
    OAuthRequestError,
    UnsupportedGrantTypeError,
    actor_of,
)
from web.deps import (
    SESSION_COOKIE,
    CallerDep,
    IdentityDep,
    LoginGuardDep,
    ServicesDep,
    client_ip,
    require,
)
from web.errors import ForbiddenError

router = APIRouter(tags=["auth"])

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
AdminCaller = Annotated[Caller, Depends(require("admin:manage", "identity"))]


def request_origin(request: Request) -> Origin:
    request_id = getattr(request.state, "request_id", None)
    return Origin(ip=client_ip(request), request_id=request_id)


# --- OAuth 2.0 client credentials ----------------------------------------------------------


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int


def basic_credentials(authorization: str) -> tuple[str, str] | None:
    """RFC 6749 section 2.3.1: Basic with form-urlencoded client id and secret.

    Returns None when the header is not Basic (a Bearer header is not client authentication).
    """
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidClientError("malformed Basic credentials", "Basic") from exc
    client_id, sep, client_secret = decoded.partition(":")
    if not sep:
        raise InvalidClientError("malformed Basic credentials", "Basic")
    return unquote_plus(client_id), unquote_plus(client_secret)


def client_credentials(
    basic: tuple[str, str] | None, client_id: str | None, client_secret: str | None
) -> tuple[str, str]:
    if basic is not None:
        if client_secret:
            raise OAuthRequestError("use one client authentication method, not two")
        if client_id and client_id != basic[0]:
            raise OAuthRequestError("client_id in the body differs from the Basic credentials")
        return basic
    if not client_id or not client_secret:
        raise InvalidClientError("client authentication required")
    return client_id, client_secret


TOKEN_FORM = "application/x-www-form-urlencoded"
TOKEN_REQUEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["grant_type"],
    "properties": {
        "grant_type": {"type": "string", "enum": ["client_credentials"]},
        "client_id": {"type": "string", "minLength": 1, "maxLength": 128},
        "client_secret": {"type": "string", "minLength": 1, "maxLength": 512},
        "scope": {"type": "string", "maxLength": 2000, "description": "Space-separated roles"},
    },
}
FORM_FIELD_LIMITS = {"grant_type": 64, "client_id": 128, "client_secret": 512, "scope": 2000}


async def token_form(request: Request) -> dict[str, str]:
    """The form fields, validated here so that errors follow RFC 6749 (400, not 422)."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type and media_type != TOKEN_FORM:
        raise OAuthRequestError(
            f"the token request must be form-encoded ({TOKEN_FORM}, RFC 6749 section 4.4.2),"
            f" not {media_type}"
        )
    form = await request.form()
    fields: dict[str, str] = {}
    for name, limit in FORM_FIELD_LIMITS.items():
        values = form.getlist(name)
        if len(values) > 1:
            raise OAuthRequestError(f"{name} is repeated")
        if values and isinstance(values[0], str) and values[0]:
            if len(values[0]) > limit:
                raise OAuthRequestError(f"{name} is longer than {limit} characters")
            fields[name] = values[0]
    return fields


@router.post(
    "/oauth/token",
    summary="OAuth 2.0 client credentials grant (RFC 6749 section 4.4)",
    response_model=TokenResponse,
    responses={400: {"description": "invalid_request / unsupported_grant_type / invalid_scope"}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {TOKEN_FORM: {"schema": TOKEN_REQUEST_SCHEMA}},
        }
    },
)
async def token(
    request: Request,
    response: Response,
    identity: IdentityDep,
    guard: LoginGuardDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> TokenResponse:
    form = await token_form(request)
    grant_type = form.get("grant_type")
    if not grant_type:
        raise OAuthRequestError("grant_type is required")
    if grant_type != "client_credentials":
        raise UnsupportedGrantTypeError("only grant_type=client_credentials is supported")
    basic = basic_credentials(authorization) if authorization else None
    found_id, found_secret = client_credentials(
        basic, form.get("client_id"), form.get("client_secret")
    )
    guard.admit(client_ip(request), f"client:{found_id}")

    def checked() -> Any:
        with guard.work.slot():  # argon2 work bounded (issue 15, item 9)
            return identity.issue_token(
                found_id, found_secret, form.get("scope"), request_origin(request)
            )

    try:
        # argon2 and the database block: keep them off the event loop
        issued = await run_in_threadpool(checked)
    except InvalidClientError as exc:
        if basic is not None:
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
    *,
    identity: IdentityDep,
    services: ServicesDep,
    guard: LoginGuardDep,
) -> LoginResponse:
    guard.admit(client_ip(request), f"email:{body.email}")
    with guard.work.slot():  # argon2 work bounded: a slot per core, a short queue, then 429
        result = identity.login(body.email, body.password, body.totp, request_origin(request))
    response.set_cookie(
        SESSION_COOKIE,
        result.session_token,
        max_age=identity.config.session_absolute_seconds,
        path="/",
        secure=services.cookie_secure,
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
    request: Request, caller: CallerDep, identity: IdentityDep, services: ServicesDep
) -> Response:
    session_token = request.cookies.get(SESSION_COOKIE)
    if session_token and caller.attributes.get("session_id"):
        identity.logout(session_token, request_origin(request))
    response = Response(status_code=204)
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        secure=services.cookie_secure,
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


class PasswordChangeRequest(BaseModel):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(
        min_length=1,
        max_length=1024,
        description="At least 12 characters, not the current password, not the email address",
    )


@router.post(
    "/v1/me/password",
    summary="Change your own password (a signed-in user's session; needs X-CSRF-Token)",
    status_code=204,
    responses={
        403: {"description": "Not a signed-in user's session (e.g. a bearer token)"},
        422: {"description": "Wrong current password, or a new password the policy refuses"},
    },
)
def change_password(
    body: PasswordChangeRequest,
    request: Request,
    caller: CallerDep,
    identity: IdentityDep,
    guard: LoginGuardDep,
) -> Response:
    """Every signed-in user may change their own password (no permission to hold); the
    caller's other sessions end, this one stays."""
    if caller.auth_method is not AuthMethod.SESSION or caller.kind is not CallerKind.USER:
        raise ForbiddenError(
            "a password is changed from a signed-in user's session",
            ["bearer tokens name service accounts or external users, who have no password here"],
        )
    guard.admit(client_ip(request), f"password:{caller.id}")
    with guard.work.slot():  # argon2 work bounded, as for sign-in
        identity.change_password(
            caller, body.current_password, body.new_password, request_origin(request)
        )
    return Response(status_code=204, headers=NO_STORE)


RoleName = Annotated[
    str, Field(min_length=1, max_length=64, json_schema_extra={"enum": sorted(KNOWN_ROLES)})
]


ENGAGEMENT_DESCRIPTION = (
    "When auditor access ends (RFC 3339 with an offset, in the future); "
    "required when roles include auditor"
)
EngagementExpiry = Annotated[
    AwareDatetime | None, Field(default=None, description=ENGAGEMENT_DESCRIPTION)
]


class NewUserRequest(BaseModel):
    email: EmailStr = Field(max_length=320)
    roles: list[RoleName] = Field(min_length=1, max_length=20)
    engagement_expires_at: EngagementExpiry = None


class NewUserResponse(BaseModel):
    user_id: str
    password: str = Field(description="Shown once")
    totp_uri: str = Field(description="otpauth:// provisioning URI, shown once")


@router.post(
    "/v1/users",
    summary="Create a user (admin); returns a one-time password and TOTP URI",
    status_code=201,
    response_model=NewUserResponse,
    responses={409: {"description": "A user with this email exists"}},
)
def create_user(
    body: NewUserRequest,
    request: Request,
    response: Response,
    caller: AdminCaller,
    identity: IdentityDep,
) -> NewUserResponse:
    created = identity.create_user(
        body.email,
        body.roles,
        actor_of(caller),
        request_origin(request),
        engagement_expires_at=body.engagement_expires_at,
    )
    response.headers.update(NO_STORE)
    return NewUserResponse(
        user_id=created.user_id, password=created.password, totp_uri=created.totp_uri
    )


class NewServiceAccountRequest(BaseModel):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$")
    roles: list[RoleName] = Field(min_length=1, max_length=20)
    engagement_expires_at: EngagementExpiry = None


class ClientCredentialsResponse(BaseModel):
    client_id: str
    client_secret: str = Field(description="Shown once")


@router.post(
    "/v1/service-accounts",
    summary="Create a service account (admin); returns its client secret once",
    status_code=201,
    response_model=ClientCredentialsResponse,
    responses={409: {"description": "A service account with this name exists"}},
)
def create_service_account(
    body: NewServiceAccountRequest,
    request: Request,
    response: Response,
    caller: AdminCaller,
    identity: IdentityDep,
) -> ClientCredentialsResponse:
    created = identity.create_service_account(
        body.name,
        body.roles,
        actor_of(caller),
        request_origin(request),
        engagement_expires_at=body.engagement_expires_at,
    )
    response.headers.update(NO_STORE)
    return ClientCredentialsResponse(
        client_id=created.client_id, client_secret=created.client_secret
    )


class RotateRequest(BaseModel):
    grace_seconds: int | None = Field(
        default=None, ge=0, le=604_800, description="How long the old secret keeps working"
    )

    @field_validator("grace_seconds", mode="before")
    @classmethod
    def _no_booleans(cls, value: object) -> object:
        if isinstance(value, bool):
            raise ValueError("grace_seconds must be a number of seconds")
        return value


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
