"""POST /ingest/upload: an export file into the drop folder, for the nightly job to ingest.

The body is the file itself (``Content-Type: application/octet-stream`` or the file's own
type), named by ``?filename=``; no multipart. It is streamed to a hidden partial file,
renamed when complete, and then ``<name>.done`` is written beside it: the nightly job
takes a file only once its marker exists.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from scalpernet.api.deps import Ctx, require
from scalpernet.api.errors import ApiError
from scalpernet.api.responses import JSON
from scalpernet.api.routes import AUTH_ERRORS
from scalpernet.api.schemas import UploadOut, responses
from scalpernet.ingest.readers import SUFFIXES

router = APIRouter(tags=["ingest"])
Uploader = Annotated[Ctx, Depends(require("ingest", "admin"))]
#: Exactly the formats ingestion reads from a folder: anything else would only fail at night.
ALLOWED_SUFFIXES = SUFFIXES
_SAFE = re.compile(r"[^\w.\-]+", re.UNICODE)


def _any_case(suffix: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in suffix)


#: What `filename` must look like (documented in the schema, checked before the body is read).
FILENAME_PATTERN = (r"^[^./\\\x00][^/\\\x00]*("
                    + "|".join(_any_case(s) for s in ALLOWED_SUFFIXES) + ")$")


def _safe_name(filename: str) -> str:
    """The name as stored: FILENAME_PATTERN already holds; odd characters become '_'."""
    return _SAFE.sub("_", filename.strip())


def drop_dir(request: Request) -> Path:
    settings = request.app.state.settings
    return Path(settings.drop_dir or settings.data_dir / "drop")


@router.post("/ingest/upload", response_model=None, status_code=201,
             responses={201: {"model": UploadOut}, **responses(None, 400, 413,
                                                                 *AUTH_ERRORS)},
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/octet-stream": {"schema": {"type": "string",
                                                         "format": "binary"}}}}})
async def upload(
    ctx: Uploader, request: Request,
    filename: Annotated[str, Query(min_length=1, max_length=200, pattern=FILENAME_PATTERN,
                                   description=(
        "The export's file name; its suffix says the format (.csv, .jsonl, .parquet …)."))],
) -> Response:
    """Store one export file in the drop folder with a `.done` marker (ingest, admin)."""
    name = _safe_name(filename)
    key_id = ctx.principal.key_id
    ctx.throttle.upload_started(key_id)
    limit: int = request.app.state.max_upload_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "too_large", f"uploads are limited to {limit} bytes")
    folder = drop_dir(request)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    final = folder / f"{stamp}-{key_id[:8]}-{secrets.token_hex(3)}-{name}"
    partial = folder / f".{final.name}.partial"
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    handle = await asyncio.to_thread(partial.open, "wb")
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise ApiError(413, "too_large", f"uploads are limited to {limit} bytes")
            ctx.throttle.upload_bytes(key_id, len(chunk))
            digest.update(chunk)
            await asyncio.to_thread(handle.write, chunk)
        await asyncio.to_thread(handle.flush)
        await asyncio.to_thread(os.fsync, handle.fileno())
    except BaseException:
        handle.close()
        partial.unlink(missing_ok=True)
        raise
    handle.close()
    if size == 0:
        partial.unlink(missing_ok=True)
        raise ApiError(400, "bad_request", "the upload is empty")
    ctx.extra_params.update({"bytes": size, "sha256": digest.hexdigest()})
    try:
        await ctx.audit_ok((), status=201)
    except ApiError:
        partial.unlink(missing_ok=True)
        raise
    await asyncio.to_thread(partial.rename, final)
    marker = final.with_name(final.name + ".done")
    await asyncio.to_thread(marker.write_text, digest.hexdigest() + "\n", encoding="utf-8")

    return JSON({"stored_as": final.name, "bytes": size, "sha256": digest.hexdigest(),
                           "marker": marker.name}, status_code=201)
