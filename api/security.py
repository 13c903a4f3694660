"""Passwords (argon2 via pwdlib) and expiring bearer tokens (JWT via PyJWT)."""

from __future__ import annotations

from datetime import datetime, timedelta

import jwt

ALGORITHM = "HS256"


class InvalidToken(Exception):
    pass


def create_token(
    username: str, secret: str, now: datetime, ttl: timedelta, purpose: str = "access"
) -> str:
    claims = {
        "sub": username,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
        "typ": purpose,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_token(token: str, secret: str, now: datetime, purpose: str = "access") -> str:
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
    if claims.get("typ") != purpose or int(claims["exp"]) < now.timestamp():
        raise InvalidToken("token expired or of the wrong kind")
    return str(claims["sub"])
