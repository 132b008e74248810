"""Reading an uploaded spreadsheet safely: a size limit read as it streams in, and an
.xlsx (a zip) refused when it would inflate past a limit or at a bomb's ratio, before
anything opens it."""

from __future__ import annotations

import tempfile
from pathlib import Path

from starlette.datastructures import UploadFile

from adapters.xlsx_reading import check_zip
from workflow.errors import BontotError

#: the largest file accepted (a province's register is well under it)
MAX_BYTES = 5 * 1024 * 1024
SUFFIXES = (".csv", ".xlsx")


async def received(upload: UploadFile, folder: Path, lang: str) -> tuple[Path, bytes]:
    """The upload written to `folder` under its own suffix, and its bytes."""
    name = Path(upload.filename or "").name
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise BontotError(
            f"{name or '?'}: " + ("only .csv or .xlsx files" if lang == "en"
                                  else "chỉ nhận tệp .csv hoặc .xlsx")
        )  # fmt: skip
    data = bytearray()
    while chunk := await upload.read(64 * 1024):
        data += chunk
        if len(data) > MAX_BYTES:
            raise BontotError(
                f"{name}: " + (f"larger than {MAX_BYTES // 1024 // 1024} MB" if lang == "en"
                               else f"lớn hơn {MAX_BYTES // 1024 // 1024} MB")
            )  # fmt: skip
    path = Path(tempfile.mkstemp(suffix=suffix, dir=folder)[1])
    path.write_bytes(bytes(data))
    if suffix == ".xlsx":
        refuse_bomb(path, name, lang)
    return path, bytes(data)


def refuse_bomb(path: Path, name: str, lang: str) -> None:
    """Refused before anything opens it: not a zip, or one that would inflate unsafely."""
    check_zip(path, name, lang)
