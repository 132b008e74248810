"""The `year` a read takes: given, or the current one in Asia/Ho_Chi_Minh."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from adapters.bootstrap import App
from workflow.timefmt import LOCAL_TZ

Year = Annotated[int | None, Query(ge=2000, le=2100, description="Default: this year")]


def year_or_now(app: App, year: int | None) -> int:
    return year if year is not None else app.clock.now().astimezone(LOCAL_TZ).year
