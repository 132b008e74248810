"""`bontot meetings`: the meeting register (criterion 2 evidence), imported from the
e-handbook app's attendance export and checked against the definition's thresholds."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from adapters import logs
from adapters.cli.app import (
    DEFAULT_DEFINITION,
    DbOption,
    JsonOption,
    LangOption,
    NowOption,
    Session,
    app,
    fail,
    session,
)
from adapters.cli.render import dumps
from adapters.persistence.meetings import MeetingRepository
from workflow.access import ADMINISTRATOR, Grant
from workflow.errors import BontotError
from workflow.meeting_rows import check_meeting_rows
from workflow.rules.meetings import (
    Breach,
    Meeting,
    MeetingComplianceParams,
    check_meetings,
)
from workflow.service.ports import UnitRef
from workflow.spec.registry import Definition
from workflow.timefmt import LOCAL_TZ, parse_user_date

meetings_app = typer.Typer(no_args_is_help=True, help="The meeting register (criterion 2).")
app.add_typer(meetings_app, name="meetings")

RULE_KIND = "meeting_compliance"


# -- import --------------------------------------------------------------------------------
def read_rows(data: bytes) -> tuple[list[str], list[dict[str, str | None]]]:
    """A CSV export's header and rows: UTF-8 (with or without BOM), comma, semicolon or
    tab separated (sniffed from the header line)."""
    text = data.decode("utf-8-sig")
    first = text.splitlines()[0] if text else ""
    try:
        dialect: Any = csv.Sniffer().sniff(first, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def _refuse(s: Session, actor: str, grant: Grant, why: str) -> typer.Exit:
    logs.logger().warning("actor.refused", actor=actor, purpose="meetings import", reason=why)
    s.store.record_event(
        "refusal", s.engine.clock.now(), actor, role=grant.role, code="not_authorized",
        detail={"purpose": "meetings import", "reason": why},
    )  # fmt: skip
    return fail(f"{actor}: refused ({why})", 2)


def _authorize(
    s: Session, actor: str, grant: Grant | None, meetings: list[Meeting], lines: list[int]
) -> None:
    """An administrator imports any unit's meetings; a role that acts for its own unit
    (a secretary) only that unit's. Auditors and superiors' boards import nothing."""
    if grant is None or grant.role == ADMINISTRATOR:
        return
    role = s.catalog.latest(DEFAULT_DEFINITION).spec.roles.get(grant.role)
    if role is None or role.acts_for != "unit":
        raise _refuse(s, actor, grant, f"a {grant.role} does not keep a unit's meeting register")
    for meeting, line in zip(meetings, lines, strict=True):
        if meeting.unit_code != grant.scope_code:
            raise _refuse(
                s,
                actor,
                grant,
                f"row {line}: {meeting.unit_code} is not {grant.scope_code}, "
                f"the unit {actor} is {grant.role} of",
            )


@meetings_app.command("import")
def meetings_import(
    file: Path,
    actor: Annotated[str, typer.Option(help="Who imports (with a token once actors exist)")] = (
        "system"
    ),
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    """Import meetings from the e-handbook's CSV export.

    Columns (Vietnamese headers, accents and case ignored; English aliases in brackets):
    ma_to_chuc [unit], ngay [date] dd/mm/yyyy, loai [kind] thuong_ky | chuyen_de | ket_hop
    [regular | thematic | combined], thoi_luong_phut [duration_min], co_mat [present],
    vang_co_ly_do [absent_excused], vang_khong_ly_do [absent_unexcused], so_y_kien
    [speakers], and optionally ds_vang_co_ly_do, ds_vang_khong_ly_do [absent_excused_ids,
    absent_unexcused_ids]: member ids separated by ';'.

    Every row is checked first; one bad row imports nothing. A meeting is keyed by
    (unit, date, kind): the same file again changes nothing, a corrected one overwrites."""
    if not file.is_file():
        raise fail(f"{file}: no such file")
    data = file.read_bytes()
    with session(db, now) as s:
        from adapters.cli.audit_cmds import authenticate

        grant = authenticate(s, actor, "meetings import", now)
        try:
            header, rows = read_rows(data)
        except UnicodeDecodeError as exc:
            raise fail(f"{file}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        meetings = check_meeting_rows(str(file), header, rows, s.store.unit_parents())
        if not meetings:
            raise fail(f"{file}: no meetings in it; nothing imported")
        lines = _row_numbers(rows)
        _authorize(s, actor, grant, meetings, lines)
        sha256 = hashlib.sha256(data).hexdigest()
        result = MeetingRepository(s.store.engine).import_meetings(
            meetings,
            source=file.name,
            sha256=sha256,
            actor=actor,
            role=grant.role if grant else None,
            at=s.engine.clock.now(),
        )
        logs.logger().info(
            "meetings.imported",
            file=str(file),
            sha256=sha256,
            rows=result.rows,
            added=result.added,
            updated=result.updated,
            unchanged=result.unchanged,
            actor=actor,
        )
        typer.echo(
            f"imported {result.rows} meetings of {result.units} units from {file}: "
            f"{result.added} new, {result.updated} updated, {result.unchanged} unchanged"
        )


def _row_numbers(rows: list[dict[str, str | None]]) -> list[int]:
    """The file's row number of each meeting (blank lines are skipped by the check)."""
    return [
        number
        for number, raw in enumerate(rows, start=2)
        if any((value or "").strip() for value in raw.values() if isinstance(value, str))
    ]


# -- check ---------------------------------------------------------------------------------
def meeting_params(definition: Definition) -> tuple[str, MeetingComplianceParams]:
    for name, params in definition.spec.rules.items():
        if params.get("kind", name) == RULE_KIND:
            return name, MeetingComplianceParams.model_validate(params)
    raise BontotError(
        f"definition {definition.spec.id} v{definition.spec.version} sets no meeting thresholds "
        f"(no rule of kind {RULE_KIND!r})"
    )


def _through(s: Session, year: int, text: str | None) -> date:
    if text is not None:
        try:
            return parse_user_date(text)
        except ValueError:
            raise fail(f"--through {text!r}: not a date dd/mm/yyyy") from None
    today = s.engine.clock.now().astimezone(LOCAL_TZ).date()
    return min(today, date(year, 12, 31))


@meetings_app.command("check")
def meetings_check(
    year: Annotated[int, typer.Option()],
    unit: Annotated[str | None, typer.Option(help="One unit")] = None,
    under: Annotated[str | None, typer.Option(help="Every unit the rule applies to under it")] = (
        None
    ),
    through: Annotated[
        str | None,
        typer.Option(help="Judge months and quarters ending by dd/mm/yyyy (default: today)"),
    ] = None,
    definition: Annotated[str, typer.Option(help="Definition id")] = DEFAULT_DEFINITION,
    db: DbOption = None,
    now: NowOption = None,
    as_json: JsonOption = False,
    lang: LangOption = "vi",
) -> None:
    """Every breach of the meeting thresholds in YEAR, with its meeting's date.

    The thresholds are those of the definition version the unit's cycle of YEAR opened
    with (the latest version when it has none). Breaches are a report: exit 0."""
    if (unit is None) == (under is None):
        raise fail("name one of --unit CODE or --under CODE")
    if lang not in ("vi", "en"):
        raise fail(f"--lang {lang!r}: vi or en")
    with session(db, now) as s:
        end = _through(s, year, through)
        if end.year != year:
            raise fail(f"--through {end:%d/%m/%Y} is not in {year}")
        repo = MeetingRepository(s.store.engine)
        latest = s.catalog.latest(definition)
        _, latest_params = meeting_params(latest)
        if unit is not None:
            node = s.store.find_unit(unit)
            if node.kind not in latest_params.applies_to:
                raise fail(
                    f"{unit} is a {node.kind}; the meeting thresholds apply to "
                    f"{', '.join(latest_params.applies_to)}"
                )
            units = [node]
            registers = {unit: repo.meetings(unit, year)}
        else:
            assert under is not None
            node = s.store.find_unit(under)
            units = [u for u in s.store.list_units(under) if u.kind in latest_params.applies_to]
            registers = repo.meetings_under(node, year)
        versions = repo.cycle_definitions(node, year, definition)
        reports = []
        for each in units:
            version = versions.get(each.code)
            used = latest if version is None else s.engine.definition(definition, version)
            _, params = meeting_params(used)
            meetings = registers.get(each.code, [])
            size = each.member_count or max((m.roll for m in meetings), default=0)
            breaches = check_meetings(params, meetings, size, year, through=end)
            reports.append((each, used, size, meetings, breaches))
        logs.logger().info(
            "meetings.checked",
            year=year,
            unit=unit,
            under=under,
            units=len(reports),
            breaches=sum(len(r[4]) for r in reports),
        )
        if as_json:
            typer.echo(dumps(_as_json(year, end, reports)))
        else:
            typer.echo(_as_text(year, end, reports, lang))


Report = tuple[UnitRef, Definition, int, list[Meeting], list[Breach]]


def _as_json(year: int, end: date, reports: list[Report]) -> dict[str, Any]:
    return {
        "year": year,
        "through": f"{end:%d/%m/%Y}",
        "units": [
            {
                "unit": unit.code,
                "name": unit.name,
                "member_count": size,
                "definition": {"id": used.spec.id, "version": used.spec.version},
                "meetings": len(meetings),
                "breaches": [b.as_dict() for b in breaches],
            }
            for unit, used, size, meetings, breaches in reports
        ],
    }


def _as_text(year: int, end: date, reports: list[Report], lang: str) -> str:
    en = lang == "en"
    lines = [
        f"Meeting register {year}, months and quarters judged through {end:%d/%m/%Y}"
        if en
        else f"Sổ sinh hoạt chi bộ năm {year}, xét các tháng, quý đến ngày {end:%d/%m/%Y}"
    ]
    with_breaches = 0
    for unit, used, size, meetings, breaches in reports:
        with_breaches += bool(breaches)
        summary = (
            f"{len(meetings)} meetings, {size} members, {len(breaches)} breaches"
            if en
            else f"{len(meetings)} buổi sinh hoạt, {size} đảng viên, {len(breaches)} vi phạm"
        )
        lines.append("")
        lines.append(f"{unit.code} {unit.name} — {summary} ({used.spec.id} v{used.spec.version})")
        lines += [f"  - {b.describe(lang)}" for b in breaches]
    lines.append("")
    lines.append(
        f"{len(reports)} units, {with_breaches} with breaches"
        if en
        else f"{len(reports)} đơn vị, {with_breaches} đơn vị có vi phạm"
    )
    return "\n".join(lines)
