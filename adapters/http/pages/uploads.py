"""Reading an uploaded spreadsheet safely: a size limit read as it streams in, and an
.xlsx (a zip) refused when it would inflate past a limit or at a bomb's ratio, before
anything opens it."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

from starlette.datastructures import UploadFile

from workflow.errors import BontotError

#: the largest file accepted (a province's register is well under it)
MAX_BYTES = 5 * 1024 * 1024
#: what an .xlsx may inflate to, and by how much at most (real sheets stay far below)
MAX_INFLATED = 100 * 1024 * 1024
MAX_RATIO = 100
MAX_MEMBERS = 1000
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
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile:
        raise BontotError(
            f"{name}: " + ("not an Excel file" if lang == "en" else "không phải tệp Excel")
        ) from None
    inflated = sum(m.file_size for m in members)
    packed = max(1, sum(m.compress_size for m in members))
    if len(members) > MAX_MEMBERS or inflated > MAX_INFLATED or inflated / packed > MAX_RATIO:
        raise BontotError(
            f"{name}: " + ("refused: it would inflate to an unsafe size" if lang == "en"
                           else "bị từ chối: tệp giải nén ra quá lớn, không an toàn")
        )  # fmt: skip
