"""`bontot documents decision|report`: the Word documents a standing committee signs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from adapters import i18n, logs
from adapters.cli.context import (
    DbOption,
    LangOption,
    NowOption,
    YearOption,
    fail,
    fail_said,
    session,
)
from adapters.documents.word import (
    TEMPLATES_ENV,
    TemplateFault,
    decision_docx,
    fault_text,
    report_docx,
)
from workflow.timefmt import LOCAL_TZ

group = typer.Typer(no_args_is_help=True, help="Word documents to sign.")

TemplatesOption = Annotated[
    Path | None,
    typer.Option("--templates", envvar=TEMPLATES_ENV,
                 help="A folder with the jurisdiction's own decision.docx / report.docx "
                 "(Jinja templates, as shipped); a file it lacks is taken from bontot"),
]

def _write(kind: str, year: int, under: str, output: Path, templates: Path | None,
           db: str | None, now: str | None, lang: str) -> None:
    if templates is not None and not templates.is_dir():
        # the folder may come from BONTOT_TEMPLATES: name both places it can be set
        raise fail_said(lang, "cli.no_templates", folder=templates)
    with session(db, now) as app:
        built = app.cycles.report(year, under)
        today = app.cycles.clock.now().astimezone(LOCAL_TZ).date()
        make = decision_docx if kind == "decision" else report_docx
        try:
            data = make(built, lang, today, templates)
        except TemplateFault as fault:
            raise fail(fault_text(fault, lang)) from None
        try:
            output.write_bytes(data)
        except OSError as exc:
            raise fail_said(lang, "cli.cannot_write", file=output, reason=exc.strerror) from None
        logs.logger().info("document.written", kind=kind, year=year, under=under,
                           output=str(output))
        units = i18n.number(len(built.units), lang, 0)
        typer.echo(i18n.text(lang, "cli.document_written", file=output, units=units))


@group.command("decision")
def decision(
    year: YearOption,
    under: Annotated[str, typer.Option(help="The committee that decides")],
    output: Annotated[Path, typer.Option(help="The .docx file to write")],
    templates: TemplatesOption = None,
    db: DbOption = None,
    now: NowOption = None,
    lang: LangOption = "vi",
) -> None:
    """The draft decision recognising the units "bốn tốt", with the annexed list."""
    _write("decision", year, under, output, templates, db, now, lang)


@group.command("report")
def report_document(
    year: YearOption,
    under: Annotated[str, typer.Option(help="The committee that reports")],
    output: Annotated[Path, typer.Option(help="The .docx file to write")],
    templates: TemplatesOption = None,
    db: DbOption = None,
    now: NowOption = None,
    lang: LangOption = "vi",
) -> None:
    """The report to the superior's standing committee: figures by stage, the share
    against the target, units not recognised with the reason, late units."""
    _write("report", year, under, output, templates, db, now, lang)
