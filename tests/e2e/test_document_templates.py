"""The Word templates: the ones shipped in the package are what make_templates.py writes,
a jurisdiction's folder (`--templates`, `BONTOT_TEMPLATES`) holding its own replaces
them, and a broken one is refused with a message naming it. Run end to end on the mixed
year of test_documents_cli (two units recognised, one refused at appraisal)."""

from __future__ import annotations

import zipfile
from importlib import resources
from pathlib import Path

from docx import Document

from adapters.documents.make_templates import write
from tests.e2e.test_documents_cli import NOW, decided  # noqa: F401  (the fixture)
from tests.e2e.test_evidence_cli import proposed  # noqa: F401  (the fixture)
from tests.support.cli import Cli

SHIPPED = resources.files("adapters.documents").joinpath("templates")


def _texts(path: Path) -> tuple[str, str, str]:
    """(paragraphs, heading block, signature block) of a rendered document."""
    document = Document(str(path))
    return ("\n".join(p.text for p in document.paragraphs),
            document.tables[0].rows[0].cells[0].text, document.tables[1].rows[0].cells[1].text)


def _jurisdiction_template(folder: Path, replacements: dict[str, str]) -> Path:
    """The shipped decision.docx with some of its tags replaced by a ward's own text, as
    an office would edit its copy in Word."""
    document = Document(str(SHIPPED.joinpath("decision.docx")))
    runs = [run for p in document.paragraphs for run in p.runs]
    runs += [run for t in document.tables for row in t.rows for cell in row.cells
             for p in cell.paragraphs for run in p.runs]
    seen = set()
    for run in runs:
        if run.text in replacements:
            seen.add(run.text)
            run.text = replacements[run.text]
    assert seen == set(replacements), "the shipped template lost a tag the test edits"
    folder.mkdir(exist_ok=True)
    document.save(str(folder / "decision.docx"))
    return folder


def test_the_shipped_templates_are_what_the_script_makes(tmp_path: Path) -> None:
    for made in write(tmp_path):
        with zipfile.ZipFile(made) as fresh, \
                zipfile.ZipFile(str(SHIPPED.joinpath(made.name))) as shipped:
            for part in ("word/document.xml", "word/styles.xml", "word/header1.xml"):
                assert fresh.read(part) == shipped.read(part), f"{made.name} {part}: rerun " \
                    "python -m adapters.documents.make_templates"


def test_the_shipped_decision_is_laid_out_as_a_party_document(decided: Cli) -> None:  # noqa: F811
    cli = decided
    cli("documents", "decision", "--year", "2025", "--under", "X01", "--output", "qd.docx",
        "--now", NOW)
    document = Document(str(cli.folder / "qd.docx"))
    section = document.sections[0]
    # A4 portrait, margins of Hướng dẫn 36: 20 mm top and bottom, 30 left, 15 right
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert [round(m.mm) for m in (section.top_margin, section.bottom_margin,
                                  section.left_margin, section.right_margin)] == [20, 20, 30, 15]
    assert document.styles["Normal"].font.size.pt == 14
    text, heading, signature = _texts(cli.folder / "qd.docx")
    assert heading.split("\n") == ["ĐẢNG ỦY XÃ TÂN LẬP", "*", "Số        -QĐ/ĐU"]
    assert "{{" not in text and "{%" not in text and "{{" not in heading + signature
    assert signature.split("\n")[:2] == ["T/M BAN THƯỜNG VỤ", "BÍ THƯ"]
    recipients = document.tables[1].rows[0].cells[0].text.split("\n")
    assert recipients[0] == "Nơi nhận:" and recipients[-1] == "- Lưu Văn phòng."


def test_a_jurisdictions_template_sets_its_own_body_title_and_signature(
    decided: Cli,  # noqa: F811
) -> None:
    cli = decided
    folder = _jurisdiction_template(cli.folder / "ward", {
        "{{ issuing_body }}": "ĐẢNG ỦY PHƯỜNG BẾN NGHÉ",
        "{{ title }}": "về việc công nhận tổ chức cơ sở đảng “bốn tốt” năm {{ year }}",
        "{{ signature.title }}": "PHÓ BÍ THƯ THƯỜNG TRỰC",
        "{{ signature.name }}": "Trần Thị B",
    })
    status = cli.json("status", "--year", "2025", "--under", "X01", "--now", NOW)
    cli("documents", "decision", "--year", "2025", "--under", "X01", "--output", "ward.docx",
        "--templates", str(folder), "--now", NOW)
    text, heading, signature = _texts(cli.folder / "ward.docx")
    assert heading.split("\n")[0] == "ĐẢNG ỦY PHƯỜNG BẾN NGHÉ"
    assert "về việc công nhận tổ chức cơ sở đảng “bốn tốt” năm 2025" in text
    assert signature.split("\n")[1] == "PHÓ BÍ THƯ THƯỜNG TRỰC"
    assert signature.split("\n")[-1] == "Trần Thị B"
    # what the template does not touch still comes from the report: the same figures
    recognised = status["targets"]["bon-tot"]["recognized"]
    assert recognised == 2
    assert f"Điều 1. Công nhận {recognised} tổ chức cơ sở đảng" in text
    annex = Document(str(cli.folder / "ward.docx")).tables[-1]
    assert [r.cells[1].text for r in annex.rows[1:]] == ["Chi bộ thôn 1", "Đảng bộ Trường THPT"]

    # the same folder from the environment; it has no report.docx: the shipped one serves
    cli.env["BONTOT_TEMPLATES"] = str(folder)
    cli("documents", "decision", "--year", "2025", "--under", "X01", "--output", "env.docx",
        "--now", NOW)
    assert _texts(cli.folder / "env.docx")[1].startswith("ĐẢNG ỦY PHƯỜNG BẾN NGHÉ")
    cli("documents", "report", "--year", "2025", "--under", "X01", "--output", "bc.docx",
        "--now", NOW)
    report_text, report_heading, _sig = _texts(cli.folder / "bc.docx")
    assert report_heading.startswith("ĐẢNG ỦY XÃ TÂN LẬP") and "BÁO CÁO" in report_text


def test_a_template_with_a_jinja_error_is_refused_naming_the_file(decided: Cli) -> None:  # noqa: F811
    cli = decided
    folder = _jurisdiction_template(cli.folder / "broken", {"{{ title }}": "{{ title }"})
    done = cli("documents", "decision", "--year", "2025", "--under", "X01", "--output",
               "x.docx", "--templates", str(folder), "--now", NOW, ok=False)
    assert done.returncode == 1
    assert f"Mẫu văn bản {folder / 'decision.docx'}: lỗi cú pháp trong mẫu" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (cli.folder / "x.docx").exists()
    english = cli("documents", "decision", "--year", "2025", "--under", "X01", "--output",
                  "x.docx", "--templates", str(folder), "--now", NOW, "--lang", "en", ok=False)
    assert f"Word template {folder / 'decision.docx'}: Jinja syntax error" in english.stderr

    # a name the document does not have, and a file that is not a Word file
    _jurisdiction_template(folder, {"{{ title }}": "{{ chairman }}"})
    unknown = cli("documents", "decision", "--year", "2025", "--under", "X01", "--output",
                  "x.docx", "--templates", str(folder), "--now", NOW, ok=False)
    assert "mẫu dùng một tên không có" in unknown.stderr and "chairman" in unknown.stderr
    (folder / "decision.docx").write_text("not a zip", encoding="utf-8")
    junk = cli("documents", "decision", "--year", "2025", "--under", "X01", "--output",
               "x.docx", "--templates", str(folder), "--now", NOW, ok=False)
    assert "không phải tệp Word" in junk.stderr and "Traceback" not in junk.stderr
    assert not (cli.folder / "x.docx").exists()
    # a folder named in the environment that is not there
    cli.env["BONTOT_TEMPLATES"] = str(cli.folder / "missing")
    gone = cli("documents", "report", "--year", "2025", "--under", "X01", "--output",
               "x.docx", "--now", NOW, ok=False)
    assert f"BONTOT_TEMPLATES {cli.folder / 'missing'}: không có thư mục này" in gone.stderr
    assert not (cli.folder / "x.docx").exists()


def test_a_sandboxed_template_cannot_reach_python(decided: Cli) -> None:  # noqa: F811
    cli = decided
    folder = _jurisdiction_template(cli.folder / "evil", {
        "{{ title }}": "{{ w.__class__.__mro__[1].__subclasses__() }}"})
    done = cli("documents", "decision", "--year", "2025", "--under", "X01", "--output",
               "x.docx", "--templates", str(folder), "--now", NOW, ok=False)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "decision.docx" in done.stderr and not (cli.folder / "x.docx").exists()
