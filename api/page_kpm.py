"""The KPM household pages of their own: the month's commitment verification file, uploaded
(DOMAIN "Monthly: commitment verification"). The page runs the same `verify_file` as
`pkh kpm verify-month`, with the signed-in officer as its actor: the engine decides what the
officer may record (role, region, suspension), row by row, as it does for the command line."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api import page_views as pv
from api.guard import MAX_BODY
from api.i18n import text
from api.page_frame import Ctx, render, require_roles, verify_roles
from api.page_routing import PageRoute
from api.page_session import Form, Page
from api.wiring import App
from engine.errors import EngineError, InvalidInput
from workflows.kpm_verify import verify_file

router = APIRouter(route_class=PageRoute, include_in_schema=False)

VERIFY_PAGE = "/kpm/verifikasi"
FILE_FIELD = "berkas"
# the columns of the file, as `pkh kpm verify-month` reads them, and a small example
COLUMNS = ("periode", "kode_anggota", "nik", "hadir")
EXAMPLE = (
    "periode,kode_anggota,nik,hadir\n2026-01,327101260000103,,1\n2026-01,,3271014606850002,0\n"
)
# what a rejected row's reason names besides the file's own columns
REASON_FIELDS = {"household": ("rumah tangga", "household"), "row": ("baris", "row")}


def _page(
    ctx: Ctx,
    status: int = 200,
    *,
    error: dict[str, Any] | None = None,
    report: dict[str, Any] | None = None,
) -> HTMLResponse:
    return render(
        ctx,
        "kpm_verify.html",
        status,
        error=error,
        report=report,
        columns=COLUMNS,
        example=EXAMPLE,
        max_mb=MAX_BODY // 1_000_000,
        file_field=FILE_FIELD,
    )


@router.get(VERIFY_PAGE)
def verify_form(ctx: Page) -> HTMLResponse:
    require_roles(ctx, verify_roles(ctx.app))
    return _page(ctx)


@router.post(VERIFY_PAGE)
async def verify_upload(request: Request, form: Form, ctx: Page) -> Response:
    require_roles(ctx, verify_roles(ctx.app))
    upload = (await request.form()).get(FILE_FIELD)  # parsed once: the CSRF check read it
    if not isinstance(upload, UploadFile) or not (upload.filename or upload.size):
        return _page(ctx, 400, error=_said(ctx, "verify_no_file"))
    content = await upload.read()
    if not content:
        return _page(ctx, 400, error=_said(ctx, "verify_empty_file", name=_name(upload)))
    name = _name(upload)
    try:
        report = await run_in_threadpool(_verify, ctx.app, ctx.me.username, name, content)
    except InvalidInput as e:  # the file as a whole: not CSV/UTF-8, a column missing
        return _page(ctx, 422, error=_said_input(e, ctx.lang))
    except EngineError as e:  # the officer may record none of it (role, suspension)
        status, error = pv.engine_error(e, ctx.lang)
        return _page(ctx, status, error=error)
    report["file"] = name
    report["rejected"] = [
        {"line": r["line"], "reason": _reason(r["reason"], ctx.lang)} for r in report["rejected"]
    ]
    return _page(ctx, report=report)


def _verify(app: App, username: str, name: str, content: bytes) -> dict[str, Any]:
    """The uploaded file, written under its own name (the reader's messages name it; its
    suffix says CSV or Excel, as on the command line), verified as `pkh kpm verify-month`."""
    with tempfile.TemporaryDirectory(prefix="pkh-verify-") as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        return verify_file(app, path, actor=username).as_dict()


# The longest file name kept, in UTF-8 bytes: well within a file system's 255, whatever the
# script (a Javanese or Chinese letter is 3 bytes, 100 of them would not fit)
NAME_BYTES = 100


def _name(upload: UploadFile) -> str:
    """The uploaded file's own name, safe as a file name here (no folder, no odd characters,
    at most NAME_BYTES bytes: its end kept, which says CSV or Excel)."""
    name = re.sub(r"[^\w.\- ]", "_", Path((upload.filename or "").replace("\\", "/")).name)
    name = name.strip(" .")[-NAME_BYTES:]  # a character is one byte at least
    while len(name.encode()) > NAME_BYTES:
        name = name[1:]
    return name.strip(" .") or "berkas.csv"


def _said(ctx: Ctx, key: str, **values: Any) -> dict[str, Any]:
    return {"message": text(key, ctx.lang, **values), "reasons": [], "reload": False}


def _said_input(e: InvalidInput, lang: str) -> dict[str, Any]:
    """A whole file refused: the reader's own words (Indonesian `message_id`, English)."""
    said = e.message_id if lang == "id" and e.message_id else e.message
    if lang == "en" and " / " in said and e.message_id and said.startswith(e.message_id):
        said = said[len(e.message_id) + 3 :]  # "Indonesian / English": the English half
    return {"message": said, "reasons": [], "reload": False}


def _reason(reason: Any, lang: str) -> str:
    """A rejected row's reason in the page's language (kpm_verify.Said keeps both apart)."""
    said_id, said_en = getattr(reason, "id", None), getattr(reason, "en", None)
    if said_id is None or said_en is None:
        return str(reason)
    field = str(getattr(reason, "field", ""))
    words = REASON_FIELDS.get(field)
    named = (words[0] if lang == "id" else words[1]) if words else field
    return f"{named}: {said_id if lang == 'id' else said_en}" if named else str(said_id)
