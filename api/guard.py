"""An ASGI guard in front of every route: request size limits and NUL characters.

Bodies over the limit get 413 before the application reads them; a NUL character anywhere in the
path, query or body (raw, %00 or \\u0000) gets 422, since PostgreSQL text cannot hold it and no
field of this system needs it.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_BODY = 1_000_000  # bytes
# \u0000 that is itself an escape (an even number of backslashes before it, none counts)
JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


async def _answer(send: Any, status: int, error: str, message: str) -> None:
    body = json.dumps({"error": error, "message": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class InputGuard:
    def __init__(self, app: Any, max_body: int = MAX_BODY) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = scope.get("raw_path", b"") + b"?" + scope.get("query_string", b"")
        if any(m in head for m in (b"\x00", b"%00")):
            await _answer(send, 422, "invalid_input", "NUL characters are not accepted")
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            await _answer(
                send, 413, "payload_too_large", f"request body over {self.max_body} bytes"
            )
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await _answer(
                    send, 413, "payload_too_large", f"request body over {self.max_body} bytes"
                )
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        form = b"form-urlencoded" in dict(scope.get("headers") or []).get(b"content-type", b"")
        if b"\x00" in body or JSON_NUL.search(body) or (form and b"%00" in body):
            await _answer(send, 422, "invalid_input", "NUL characters are not accepted")
            return
        sent = False

        async def replay() -> Any:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
