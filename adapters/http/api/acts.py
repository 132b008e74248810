"""Acting on cycles: `POST /cycles/{unit}/{year}/events/{event}` fires one event (with
`If-Match`: only on the version read), `POST /bulk/{event}` decides many, `dry_run`
first. A refusal is a problem; the cycle is as it was."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path, Request, Response

from adapters import logs
from adapters.cli.render import bulk_dict
from adapters.http.api import problems
from adapters.http.api.auth import Authenticated, Services
from adapters.http.api.etags import etag, expected_version
from adapters.http.api.problems import ApiProblem, ProblemRoute
from adapters.http.api.schemas import BulkIn, BulkOut, FireIn, FireOut, Problem
from adapters.http.years import PathYear
from workflow.service.bulk import BulkRequest, outcome_counts

REFUSALS: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "content": {problems.MEDIA_TYPE: {}}}
    for status in (401, 403, 404, 409, 412, 422)
}
Event = Annotated[str, Path(min_length=1, max_length=64)]


def router() -> APIRouter:
    api = APIRouter(route_class=ProblemRoute, tags=["acts"])

    @api.post("/cycles/{unit}/{year}/events/{event}", response_model=FireOut, responses=REFUSALS)
    def fire(
        app: Services,
        caller: Authenticated,
        request: Request,
        response: Response,
        unit: str,
        year: PathYear,
        event: Event,
        body: Annotated[FireIn, Body()],
        if_match: Annotated[str | None, Header()] = None,
    ) -> Any:
        """Fire EVENT on the unit's cycle of YEAR as the caller (its role by default).
        With `If-Match` (the ETag read), a cycle changed since is refused with 412."""
        payload = dict(body.payload)
        if body.override is not None:
            payload["override"] = body.override
        fired = app.acts.fire(
            unit, event, year, caller.actor, body.role, payload, body.definition,
            expected_version(if_match), caller.credential,
        )  # fmt: skip
        result = fired.result
        refusal = result.decision.refusal
        log = logs.logger().bind(
            unit=unit, year=year, event=event, actor=caller.actor, role=fired.role, via="api"
        )
        if refusal is not None:
            log.warning("transition.refused", reason=refusal.code, detail=refusal.message)
            return problems.refusal(
                refusal, result.unit_code, event, problems.language(request),
                fired.definition.spec,
            )  # fmt: skip
        assert result.version is not None
        log.info(
            "transition.applied",
            source=result.decision.from_state, dest=result.decision.to_state,
            version=result.version,
        )  # fmt: skip
        response.headers["ETag"] = etag(result.version)
        return result.as_dict()

    @api.post("/bulk/{event}", response_model=BulkOut, responses=REFUSALS)
    def bulk(
        app: Services, caller: Authenticated, event: Event, body: Annotated[BulkIn, Body()]
    ) -> dict[str, Any]:
        """Fire EVENT on every cycle under a node that can take it, as the caller;
        `dry_run` says per cycle what would happen and why, and changes nothing."""
        if "override" in body.payload:
            # an override is one appraiser's reasoned judgement of one unit
            raise ApiProblem("payload_not_allowed", "override_in_bulk")
        payload = dict(body.payload)
        for key, value in (("decision", body.decision), ("reason", body.reason)):
            if value is not None:
                payload[key] = value
        under = app.actors.scope(caller.grant, body.under, f"api bulk {event}")
        assert under is not None
        request = BulkRequest(
            event, body.year, under, caller.actor, body.role or "", payload, None, body.select,
            frozenset(body.states) if body.states else None, body.dry_run, body.batch_size,
        )  # fmt: skip
        decided, items = app.acts.bulk(request, caller.credential)
        logs.logger().bind(event=decided.event, role=decided.role).info(
            "bulk.decided", under=under, year=body.year, actor=caller.actor,
            dry_run=body.dry_run, via="api", **outcome_counts(items),
        )  # fmt: skip
        return bulk_dict(decided.event, under, body.year, body.dry_run, items)

    return api
