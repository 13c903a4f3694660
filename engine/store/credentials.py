"""A username as a token presents it, and the refusal of one issued before the account's
password last changed: checked where the request's account is read (repository.user_row), so
ending an account's sessions costs no statement of its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engine.errors import EngineError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
SIGNED_IN_BEFORE_CHANGE = "signed in before the password was changed: sign in again"


def microseconds(at: datetime) -> int:
    """`at` as whole microseconds since the epoch, exactly (no float rounding)."""
    return (at - _EPOCH) // _MICROSECOND


class CredentialsChanged(EngineError):
    """The token was issued before the account's password was last changed (or set)."""

    code = "unauthenticated"

    def __init__(self) -> None:
        super().__init__(SIGNED_IN_BEFORE_CHANGE)


class SignedIn(str):
    """A username as a token presents it, with when the token was issued (microseconds since
    the epoch). Passed where a username goes, so the account read on the request's path
    (`repository.user_row`) can refuse it; a plain username (the command line, the flows, the
    system actor) is never refused so."""

    issued_us: int

    def __new__(cls, username: str, issued_us: int) -> SignedIn:
        self = super().__new__(cls, username)
        self.issued_us = issued_us
        return self


SIGNED_OUT = "signed out: sign in again"


class SignedOut(CredentialsChanged):
    """The token was issued before the account last signed out (every session ends then)."""

    def __init__(self) -> None:
        EngineError.__init__(self, SIGNED_OUT)


def check_signed_in(
    username: str, changed_at: datetime | None, signed_out_at: datetime | None = None
) -> None:
    """Raise CredentialsChanged when `username` is a token's and the token is older than the
    password change at `changed_at` (None: never changed since migration 0013), SignedOut
    when it is older than the account's last sign-out (None: never, or not since 0014)."""
    if type(username) is not SignedIn:
        return
    if changed_at is not None and username.issued_us < microseconds(changed_at):
        raise CredentialsChanged()
    if signed_out_at is not None and username.issued_us < microseconds(signed_out_at):
        raise SignedOut()
