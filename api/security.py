"""Passwords (argon2 via pwdlib) and expiring bearer tokens (JWT via PyJWT)."""

from __future__ import annotations

from datetime import datetime, timedelta

import jwt

from engine.store.credentials import SignedIn, microseconds

ALGORITHM = "HS256"


class InvalidToken(Exception):
    pass


def create_token(
    username: str, secret: str, now: datetime, ttl: timedelta, purpose: str = "access"
) -> str:
    claims = {
        "sub": username,
        "iat": int(now.timestamp()),
        # `iat` is in whole seconds: a token issued earlier in the second a password changed
        # would pass for one issued after it. The microsecond tells them apart (SignedIn).
        "iat_us": microseconds(now),
        "exp": int((now + ttl).timestamp()),
        "typ": purpose,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_token(
    token: str, secret: str, now: datetime, purpose: str = "access", *, expired_ok: bool = False
) -> SignedIn:
    """The username the token was issued to, with when it was issued (the account's read
    refuses it if the password changed since: `engine.store.credentials`). `expired_ok`: an
    expired token's name too (never to sign in with: to know whose forms a page gave)."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"verify_exp": False, "require": ["sub", "exp"]},
        )
    except jwt.PyJWTError as e:
        raise InvalidToken(str(e)) from None
    # Expiry is checked against the injected clock, so tests and the service agree on "now".
    expired = int(claims["exp"]) < now.timestamp() and not expired_ok
    if claims.get("typ") != purpose or expired:
        raise InvalidToken("token expired or of the wrong kind")
    issued = claims.get("iat_us")
    if type(issued) is not int:
        # a token from before the microsecond claim: the start of its second, so any password
        # change recorded since (migration 0013 came after it) ends it
        iat = claims.get("iat")
        issued = int(iat) * 1_000_000 if isinstance(iat, int | float) else 0
    return SignedIn(str(claims["sub"]), issued)
