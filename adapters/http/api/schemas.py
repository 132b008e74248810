"""The API's JSON shapes as pydantic models, so that the OpenAPI document says what each
route answers. The figures themselves are made once, by the helpers the command line's
`--json` uses (adapters/cli/render.py and its neighbours); these models only describe
them, field for field."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from adapters.http.years import FIRST_YEAR, LAST_YEAR


class Labels(BaseModel):
    vi: str
    en: str


class CheckOut(BaseModel):
    key: str
    label: Labels
    actual: str
    required: str
    passed: bool
    overridable: bool = True


class UnitOut(BaseModel):
    code: str
    parent_code: str | None
    name: str
    kind: str
    type: str
    member_count: int
    contacts: dict[str, str]


class UnitList(BaseModel):
    under: str | None
    total: int
    offset: int
    units: list[UnitOut]


class StateRow(BaseModel):
    definition: str
    state: str
    outcome: str | None
    label: Labels
    count: int


class TargetOut(BaseModel):
    counted: int
    recognized: int
    share: float | None
    target: float | None
    gap_units: int


class GoalOut(BaseModel):
    """One of a definition's goals for the year (a measure over a population, >= or >),
    and how far the node is from it."""

    label: Labels
    measure: str
    over: list[str]
    comparator: str
    value: float
    year: int | None
    counted: int
    meeting: int
    share: float | None
    needed: int
    met: bool
    gap_units: int


class PilotOut(BaseModel):
    committee: str
    org_type: str
    cells: int
    joined: int
    minimum: int
    maximum: int
    ok: bool


class BoardOut(BaseModel):
    year: int
    under: str | None
    states: list[StateRow]
    total: int
    targets: dict[str, TargetOut]
    overdue: dict[str, int]
    #: per definition, its goals in force for the year
    goals: dict[str, list[GoalOut]]
    #: per definition, its pilot in the pilot's year, per committee and organisation type
    pilot: dict[str, list[PilotOut]] = {}


class DefinitionRef(BaseModel):
    id: str
    version: int


class CycleRow(BaseModel):
    unit: str
    unit_kind: str
    year: int
    definition: DefinitionRef
    state: str
    outcome: str | None
    version: int


class CycleList(BaseModel):
    year: int
    under: str | None
    states: list[str]
    #: the last cycle id of this page: pass it as `after` for the next (None: no more)
    next_after: int | None
    cycles: list[CycleRow]


class HistoryEntry(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    seq: int
    event: str
    from_: str | None = Field(alias="from")
    to: str
    actor: str
    role: str
    at: str
    payload: dict[str, Any]
    checks: list[dict[str, Any]]


class DeadlineOut(BaseModel):
    key: str
    due_at: str
    met_at: str | None


class NoticeOut(BaseModel):
    kind: str
    deadline: str
    step: int | str
    role: str
    address: str | None
    due_at: str
    at: str
    delivery: str


class CycleOut(BaseModel):
    """One cycle with its history: the `ETag` header carries `version`."""

    unit: str
    year: int
    definition: DefinitionRef
    state: str
    version: int
    entries: list[HistoryEntry]
    deadlines: list[DeadlineOut]
    notices: list[NoticeOut]


class RefusalOut(BaseModel):
    code: str
    message: str
    failed_checks: list[CheckOut]


class FireIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payload: dict[str, Any] = Field(default_factory=dict)
    #: default: the actor's own role (open mode: the one role the event allows)
    role: str | None = None
    definition: str | None = None
    #: a written reason to overrule the rule's verdict (appraise, reject)
    override: str | None = Field(default=None, min_length=1)


class FireOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    unit: str
    year: int
    event: str
    actor: str
    role: str
    applied: bool
    from_: str | None = Field(alias="from")
    to: str | None
    version: int | None
    met_deadlines: list[str]
    reopened_deadlines: list[str]
    checks: list[CheckOut]
    refusal: RefusalOut | None


class BulkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=FIRST_YEAR, le=LAST_YEAR)
    under: str = Field(min_length=1)
    role: str | None = None
    select: Literal["all", "passing", "failing"] = "all"
    states: list[str] | None = None
    payload: dict[str, Any] = Field(default_factory=dict)
    decision: str | None = None
    reason: str | None = None
    dry_run: bool = False
    batch_size: int = Field(default=500, ge=1, le=10_000)


class BulkItemOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    unit: str
    cycle: int
    from_: str = Field(alias="from")
    result: Literal["would_apply", "applied", "refused", "skipped"]
    to: str | None
    code: str | None
    reason: str | None
    failing_checks: list[CheckOut]
    overruled: list[str]


class BulkOut(BaseModel):
    event: str
    under: str
    year: int
    dry_run: bool
    counts: dict[str, int]
    items: list[BulkItemOut]


class OverdueUnit(BaseModel):
    code: str
    parent_code: str | None
    name: str


class OverdueOut(BaseModel):
    unit: OverdueUnit
    definition: DefinitionRef
    state: str | None
    deadline: str
    milestone: bool
    due_at: str
    days_late: int


class OverdueList(BaseModel):
    year: int
    under: str | None
    items: list[OverdueOut]


class RegisterSummary(BaseModel):
    records: int
    cells: list[Any]


class MeetingsOut(BaseModel):
    held: int
    breaches: list[dict[str, Any]]


class VerdictOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    unit: str
    year: int
    definition: str
    state: str
    rule: str | None
    passed: bool
    checks: list[CheckOut]
    register_: RegisterSummary | None = Field(default=None, alias="register")
    meetings: MeetingsOut | None = None


class ReportOut(BaseModel):
    """The yearly report as `bontot report --format json` writes it."""

    year: int
    under: str | None
    superiors: list[dict[str, Any]]
    units: list[dict[str, Any]]


class Problem(BaseModel):
    """RFC 9457 problem details, with the refusal's code and the service's own reason."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    reason: str | None = None
    failed_checks: list[CheckOut] | None = None
    errors: list[dict[str, Any]] | None = None


class Health(BaseModel):
    status: str
