"""The server's edge: CSRF protection, Origin checks, security headers, safe redirects,
path-id bounds and request-body size caps.

Every POST must carry the token from the `sb_csrf` cookie, either as the form field
`csrf_token` or the `X-CSRF-Token` header (htmx sends the header). The cookie value is
`<random>.<hmac>` signed with a per-process secret, so a forged cookie is refused too.
An unsafe request whose `Origin` (or, without one, `Referer`) names another site is refused
before its body is read, even with a valid token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSRF_COOKIE = "sb_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_PATH_ID = 2**63 - 1  # the largest id a 64-bit INTEGER column holds (SQLite, PostgreSQL)

# Everything the pages load comes from this server; no inline script or style is allowed.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


def local_path(target: str | None, default: str = "/") -> str:
    """`target` if it is a path on this site ("/diary?x=1"), else `default`.

    Refuses scheme-relative ("//evil.example"), backslash ("/\\evil"), absolute URLs and
    control characters, so a `next` parameter cannot send the browser elsewhere.
    """
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ord(ch) < 32 or ch == "\\" for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


class CsrfSigner:
    def __init__(self, secret: bytes | None = None):
        self._secret = secret or secrets.token_bytes(32)

    def _mac(self, nonce: str) -> str:
        return hmac.new(self._secret, nonce.encode(), hashlib.sha256).hexdigest()[:32]

    def new_token(self) -> str:
        nonce = secrets.token_urlsafe(18)
        return f"{nonce}.{self._mac(nonce)}"

    def is_valid(self, token: str | None) -> bool:
        if not token or "." not in token:
            return False
        nonce, mac = token.rsplit(".", 1)
        return hmac.compare_digest(mac, self._mac(nonce))


async def csrf_protect(request: Request) -> None:
    """Router dependency: refuse any unsafe request without a matching, signed token."""
    if request.method in SAFE_METHODS:
        return
    signer: CsrfSigner = request.app.state.csrf_signer
    cookie = request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get(CSRF_HEADER)
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not signer.is_valid(cookie) or not sent or not hmac.compare_digest(sent, cookie or ""):
        raise HTTPException(
            status_code=403,
            detail="The form's security token is missing or out of date: reload the page "
            "and submit again (CSRF protection).",
        )


class CsrfCookieMiddleware:
    """Give every visitor a signed CSRF cookie and expose its value as request.state."""

    def __init__(self, app: ASGIApp, signer: CsrfSigner):
        self.app = app
        self.signer = signer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _cookie_from_scope(scope, CSRF_COOKIE)
        fresh = not self.signer.is_valid(token)
        if fresh:
            token = self.signer.new_token()
        scope.setdefault("state", {})["csrf_token"] = token

        async def send_with_cookie(message: Message) -> None:
            if fresh and message["type"] == "http.response.start":
                cookie = f"{CSRF_COOKIE}={token}; Path=/; SameSite=Strict; HttpOnly"
                message.setdefault("headers", []).append((b"set-cookie", cookie.encode()))
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _origin_of(url: str) -> str | None:
    """The host[:port] an Origin/Referer/Location URL names (None for a relative one).

    The scheme is left out on purpose: behind a TLS proxy the browser says https while the
    server sees http; the host and port are what tell another site apart.
    """
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return parts.netloc.lower()


def _own_origin(scope: Scope) -> str:
    return (_header(scope, b"host") or "").lower()


class OriginCheckMiddleware:
    """Refuse unsafe requests sent from another site (403), before the body is read.

    Browsers send `Origin` on every cross-site POST; when it is missing, `Referer` is used.
    A request with neither (a script, curl) still has to pass the CSRF token check.
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        origin = _header(scope, b"origin")
        referer = _header(scope, b"referer")
        sent = origin if origin is not None else referer
        if sent is not None:
            claimed = _origin_of(sent) if sent != "null" else None
            if claimed != _own_origin(scope):
                await _plain(send, 403, "Refused: this request came from another site.")
                return
        await self.app(scope, receive, send)


class SecurityHeadersMiddleware:
    """Security headers on every response, and redirects only to this site's own pages."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        own = _own_origin(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in {name for name, _ in SECURITY_HEADERS}
                ]
                headers = [_safe_location(k, v, own) for k, v in headers]
                message = {**message, "headers": headers + SECURITY_HEADERS}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _safe_location(key: bytes, value: bytes, own_origin: str) -> tuple[bytes, bytes]:
    """A Location header pointing off-site becomes "/" (the last line against open redirects)."""
    if key.lower() not in (b"location", b"hx-redirect", b"hx-location"):
        return key, value
    target = value.decode("latin-1")
    if _origin_of(target) == own_origin:
        return key, value
    return key, local_path(target).encode("latin-1")


class PathIdBoundMiddleware:
    """A path segment made of digits beyond a 64-bit integer is no record of ours: 404.

    Without this, `/activities/99999999999999999999999` reaches the database driver, which
    raises OverflowError (SQLite) or an out-of-range error (PostgreSQL).
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for segment in scope.get("path", "").split("/"):
                digits = segment.lstrip("+-")
                if digits.isdigit() and (len(digits) > 19 or int(digits) > MAX_PATH_ID):
                    await _plain(send, 404, "Not found: no such record.")
                    return
        await self.app(scope, receive, send)


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _cookie_from_scope(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == name:
                    return str(v)
    return None


class BodySizeLimitMiddleware:
    """Refuse request bodies over a per-path cap with 413, before and while reading them."""

    def __init__(self, app: ASGIApp, limit_for_path: Callable[[str], int]):
        self.app = app
        self.limit_for_path = limit_for_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        limit = self.limit_for_path(scope["path"])
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit)
            return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge(status_code=413, detail=_too_large_text(limit))
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not response_started:
                await _too_large(send, limit)


class _BodyTooLarge(HTTPException):
    """An HTTPException, so FastAPI's body parsing passes it on unchanged."""


def _too_large_text(limit: int) -> str:
    return f"Upload too large: the limit here is {limit / 1048576:.0f} MiB. Choose a smaller file."


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def _too_large(send: Send, limit: int) -> None:
    await _plain(send, 413, _too_large_text(limit))
