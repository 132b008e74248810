"""The documents a secretariat prints: the report workbook, the Word decision and report,
exported lists; opened with their own libraries and held against `status --json` on a
mixed year (two units recognised, one refused at appraisal). LibreOffice renders them to
PDF to count pages where it is installed."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from adapters.documents.word import decision_docx
from tests.e2e.test_evidence_cli import proposed  # noqa: F401  (the fixture)
from tests.support.cli import Cli
from workflow.service.reports import Report
from workflow.spec.model import DocumentsSpec, Labels, SignatureSpec

NOW = "2026-03-20"


@pytest.fixture
def decided(proposed: Cli) -> Cli:  # noqa: F811
    cli = proposed
    for event, actor, role, extra in (
        ("appraise", "btc.x01", "superior_org_board", []),
        ("recognise", "btv.x01", "superior_standing_committee", ["--decision", "125-QĐ/ĐU"]),
    ):
        cli("bulk", event, "--year", "2025", "--under", "X01", "--actor", actor, "--role", role,
            "--now", "2026-03-02" if event == "recognise" else "2026-01-20", "--json", *extra)
    return cli


def _pdf_pages(path: Path) -> int:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return int(next(line.split()[-1] for line in out.stdout.splitlines()
                    if line.startswith("Pages:")))


def _to_pdf(path: Path) -> Path:
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir",
                    str(path.parent), str(path)], capture_output=True, check=True, timeout=180)
    return path.with_suffix(".pdf")


needs_office = pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdfinfo") is None,
    reason="LibreOffice (soffice) and poppler (pdfinfo) are needed to render to PDF; "
           ".ci/run installs them",
)


def test_the_report_workbook_is_print_ready_and_holds_the_status_figures(decided: Cli) -> None:
    cli = decided
    status = cli.json("status", "--year", "2025", "--under", "X01", "--now", NOW)
    cli("report", "--year", "2025", "--under", "X01", "--output", "r.xlsx", "--now", NOW)
    book = load_workbook(cli.folder / "r.xlsx")
    assert book.sheetnames == ["Tổng hợp", "Đơn vị", "Quá hạn"]
    units = book["Đơn vị"]
    assert units["A1"].value == "ĐẢNG ỦY XÃ TÂN LẬP"
    assert units["A2"].value == "Báo cáo kết quả xây dựng chi bộ, đảng bộ cơ sở “bốn tốt” năm 2025"
    assert units.page_setup.orientation == "landscape"
    assert units.page_setup.fitToWidth == 1 and units.sheet_properties.pageSetUpPr.fitToPage
    assert units.print_title_rows == "$5:$5"
    assert units.freeze_panes == "A6" and units.auto_filter.ref.startswith("A5:")
    header = [c.value for c in units[5]]
    body = [r for r in units.iter_rows(min_row=6, values_only=True)]
    # the commune's caption, then its units in the tree's order, the school's cell under it
    assert [r[1] for r in body] == [None, "CB-THON1", "DB-TRUONG", "DB-TRUONG-1"]
    assert body[0][0] == "Đảng ủy xã Tân Lập"
    assert units.row_dimensions[9].outline_level == 2
    kinds = {r[1]: r[header.index("Loại tổ chức")] for r in body[1:]}
    assert kinds == {"CB-THON1": "Chi bộ cơ sở", "DB-TRUONG": "Đảng bộ cơ sở",
                     "DB-TRUONG-1": "Chi bộ trực thuộc"}
    maths = body[3]
    assert maths[header.index("Kết quả thẩm định theo tiêu chuẩn")] is None
    # no cell prints as ###: every date or number fits its column's width
    for row in units.iter_rows(min_row=6):
        for cell in row:
            if cell.value is None or isinstance(cell.value, str):
                continue
            width = units.column_dimensions[cell.column_letter].width
            assert width >= (10 if cell.is_date else len(str(cell.value))) + 1, cell.coordinate

    summary = book["Tổng hợp"]
    s_header = [c.value for c in summary[5]]
    total = next(r for r in summary.iter_rows(min_row=6) if r[0].value == "Tổng cộng")
    values = dict(zip(s_header, (c.value for c in total), strict=True))
    figures = status["targets"]["bon-tot"]
    assert values["Số tổ chức cơ sở đảng"] == figures["counted"] == 2
    assert values["Được công nhận"] == figures["recognized"] == 2
    share = total[s_header.index("Tỷ lệ")]
    assert share.value == figures["share"] / 100 and "%" in share.number_format
    assert values["Tổng số đơn vị"] == status["total"] == 3
    assert total[0].font.b

    cli("report", "--year", "2025", "--under", "X01", "--output", "en.xlsx", "--lang", "en",
        "--now", NOW)
    english = load_workbook(cli.folder / "en.xlsx")
    assert english.sheetnames == ["Summary", "Units", "Late"]
    en_units = english["Units"]
    en_header = [c.value for c in en_units[5]]
    en_rows = {r[1]: r for r in en_units.iter_rows(min_row=6, values_only=True) if r[1]}
    assert en_rows["CB-THON1"][en_header.index("Kind")] == "Grassroots party cell"
    assert en_rows["CB-THON1"][en_header.index("Stage")] == "Recognised"
    assert en_units["A2"].value.startswith("Report on building “four-good”")
    bad = cli("report", "--year", "2025", "--lang", "fr", "--output", "x.xlsx", ok=False)
    assert bad.returncode != 0 and "--lang fr" in bad.stderr and "Traceback" not in bad.stderr


def test_the_word_decision_and_report_carry_the_same_figures(decided: Cli) -> None:
    cli = decided
    status = cli.json("status", "--year", "2025", "--under", "X01", "--now", NOW)
    cli("documents", "decision", "--year", "2025", "--under", "X01", "--output", "qd.docx",
        "--now", NOW)
    decision = Document(str(cli.folder / "qd.docx"))
    text = "\n".join(p.text for p in decision.paragraphs)
    heading = decision.tables[0].rows[0].cells
    assert "ĐẢNG ỦY XÃ TÂN LẬP" in heading[0].text and "-QĐ/ĐU" in heading[0].text
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in heading[1].text
    assert "ngày 20 tháng 03 năm 2026" in heading[1].text
    assert "QUYẾT ĐỊNH" in text and "“bốn tốt” năm 2025" in text
    assert "Công nhận 2 tổ chức" in text
    assert decision.styles["Normal"].font.name == "Times New Roman"
    annex = decision.tables[-1]
    names = [row.cells[1].text for row in annex.rows[1:]]
    assert names == ["Chi bộ thôn 1", "Đảng bộ Trường THPT"]
    assert {row.cells[3].text for row in annex.rows[1:]} <= {
        "Hoàn thành tốt nhiệm vụ", "Hoàn thành xuất sắc nhiệm vụ", ""}
    signature = decision.tables[1].rows[0].cells[1].text
    assert "T/M BAN THƯỜNG VỤ" in signature and "BÍ THƯ" in signature

    cli("documents", "report", "--year", "2025", "--under", "X01", "--output", "bc.docx",
        "--now", NOW)
    report = Document(str(cli.folder / "bc.docx"))
    text = "\n".join(p.text for p in report.paragraphs)
    figures = status["targets"]["bon-tot"]
    assert (f"Số tổ chức cơ sở đảng: {figures['counted']}; được công nhận: "
            f"{figures['recognized']}, đạt 100,0 %") in text
    stage_table = report.tables[1]
    counted = {row.cells[0].text: row.cells[1].text for row in stage_table.rows[1:]}
    assert counted["Tổng cộng"] == str(status["total"])
    # the maths cell was refused at appraisal and is still proposed: nobody not recognised
    assert "II. CÁC ĐƠN VỊ KHÔNG ĐƯỢC CÔNG NHẬN\nKhông có." in text

    english = cli("documents", "decision", "--year", "2025", "--under", "X01", "--output",
                  "en.docx", "--lang", "en", "--now", NOW)
    assert english.returncode == 0
    en_text = "\n".join(p.text for p in Document(str(cli.folder / "en.docx")).paragraphs)
    assert "DECISION" in en_text and "Article 1. 2 grassroots" in en_text


def test_lists_export_to_csv_with_a_bom_and_semicolons_and_to_xlsx(decided: Cli) -> None:
    cli = decided
    cli("export", "board", "--year", "2025", "--under", "X01", "--format", "csv", "--output",
        "board.csv", "--now", NOW)
    raw = (cli.folder / "board.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Chương trình", "Giai đoạn", "Số đơn vị"]
    assert sum(int(r[2]) for r in rows[1:]) == 3
    cli("export", "history", "CB-THON1", "--year", "2025", "--format", "xlsx", "--output",
        "h.xlsx", "--lang", "en", "--now", NOW)
    sheet = load_workbook(cli.folder / "h.xlsx").active
    assert sheet is not None
    assert [c.value for c in sheet[3]][:2] == ["No.", "Step"]
    steps = [r[1] for r in sheet.iter_rows(min_row=4, values_only=True)]
    assert steps[:2] == ["Cycle opened", "Register"]
    cli("export", "verdict", "DB-TRUONG-1", "--year", "2025", "--format", "csv", "--output",
        "v.csv", "--delimiter", ",", "--now", NOW)
    checks = list(csv.reader(io.StringIO((cli.folder / "v.csv").read_text("utf-8-sig"))))
    assert checks[0] == ["Tiêu chí", "Thực tế", "Yêu cầu", "Kết quả"]
    verdict = cli.json("verdict", "DB-TRUONG-1", "--year", "2025", "--now", NOW)
    assert [r[3] == "Đạt" for r in checks[1:]] == [c["passed"] for c in verdict["checks"]]
    bad = cli("export", "board", "--year", "2025", "--format", "pdf", "--output", "x.pdf",
              ok=False)
    assert bad.returncode != 0 and "chỉ xlsx hoặc csv" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_the_audit_log_and_the_outbox_export_with_the_same_records(decided: Cli) -> None:
    cli = decided
    logged = cli.json("audit", "log", "--under", "X01")
    cli("export", "audit-log", "--under", "X01", "--format", "csv", "--output", "log.csv")
    rows = list(csv.reader(io.StringIO((cli.folder / "log.csv").read_text("utf-8-sig")),
                           delimiter=";"))
    assert rows[0][:4] == ["Thời điểm", "Loại bản ghi", "Mã tổ chức", "Bước"]
    assert len(rows) - 1 == len(logged)
    assert [r[2] for r in rows[1:]] == [item["unit"] or "" for item in logged]
    # a step shows the definition's label of its event, never the code name
    steps = [r for r in rows[1:] if r[1] == "Bước đã thực hiện"]
    assert steps and "appraise" not in {r[3] for r in steps}
    # stages and roles by their labels too, the cycle's opening as a step
    assert "Được công nhận" in {r[5] for r in steps} and "recognized" not in {r[5] for r in steps}
    assert "Ban Tổ chức cấp ủy cấp trên" in {r[7] for r in steps}
    assert "superior_org_board" not in {r[7] for r in rows[1:]}
    assert "Mở chu kỳ" in {r[3] for r in steps} and "open" not in {r[3] for r in steps}
    assert "refusal" not in {r[1] for r in rows[1:]}
    refused = cli.json("audit", "log", "--under", "X01", "--refusals")
    cli("export", "audit-log", "--under", "X01", "--refusals", "--output", "refused.xlsx",
        "--lang", "en")
    sheet = load_workbook(cli.folder / "refused.xlsx").active
    assert sheet is not None
    body = list(sheet.iter_rows(min_row=4, values_only=True))
    assert len(body) == len(refused) and all(r[1] == "Refused" for r in body)
    shown = cli.json("outbox")
    cli("export", "outbox", "--format", "csv", "--output", "outbox.csv", "--lang", "en")
    lines = list(csv.reader(io.StringIO((cli.folder / "outbox.csv").read_text("utf-8-sig")),
                            delimiter=";"))
    assert lines[1:4] == [["Pending", str(shown["pending"]), "", "", ""],
                          ["Sent", str(shown["sent"]), "", "", ""],
                          ["Parked", str(shown["parked"]), "", "", ""]]


def test_a_definition_changes_the_issuing_body_title_and_signature(tmp_path: Path) -> None:
    from adapters.catalog import load_catalog

    spec = load_catalog().latest("bon-tot").spec
    documents = DocumentsSpec(
        issuing_body=Labels(vi="Đảng ủy phường Bến Nghé", en="Ben Nghe ward committee"),
        decision_title=Labels(vi="công nhận tổ chức đảng trong sạch năm {year}", en="x"),
        signature=SignatureSpec(title=Labels(vi="PHÓ BÍ THƯ", en="DEPUTY"), name="Nguyễn Văn A"),
    )
    changed = spec.model_copy(update={"documents": documents})
    data = decision_docx(Report(2025, None, [], [], {"bon-tot": changed}), "vi",
                         date(2026, 3, 2))
    document = Document(io.BytesIO(data))
    assert "ĐẢNG ỦY PHƯỜNG BẾN NGHÉ" in document.tables[0].rows[0].cells[0].text
    text = "\n".join(p.text for p in document.paragraphs)
    assert "công nhận tổ chức đảng trong sạch năm 2025" in text
    signature = document.tables[1].rows[0].cells[1].text
    assert "PHÓ BÍ THƯ" in signature and "Nguyễn Văn A" in signature


@needs_office
def test_the_demo_province_prints_its_summary_on_few_pages(tmp_path: Path) -> None:
    cli = Cli(tmp_path, f"sqlite:///{tmp_path / 'demo.db'}")
    cli("demo")
    cli("report", "--year", "2025", "--under", "T01", "--output", "t01.xlsx", "--now", NOW)
    book = load_workbook(tmp_path / "t01.xlsx")
    for name in ("Đơn vị", "Quá hạn"):
        del book[name]
    book.save(tmp_path / "summary.xlsx")
    assert _pdf_pages(_to_pdf(tmp_path / "summary.xlsx")) <= 4
    assert _pdf_pages(_to_pdf(tmp_path / "t01.xlsx")) <= 40  # 531 units, about 30 a page
    cli("documents", "report", "--year", "2025", "--under", "T01", "--output", "bc.docx",
        "--now", NOW)
    assert 1 < _pdf_pages(_to_pdf(tmp_path / "bc.docx")) <= 20
    # the decision on one page, its annex of 148 recognised units about 22 rows a page
    cli("documents", "decision", "--year", "2025", "--under", "T01", "--output", "qd.docx",
        "--now", NOW)
    assert 1 + 148 // 22 <= _pdf_pages(_to_pdf(tmp_path / "qd.docx")) <= 10
    status = json.loads(cli("status", "--year", "2025", "--under", "T01", "--json").stdout)
    assert status["targets"]["bon-tot"]["counted"] == 200
    assert status["targets"]["bon-tot"]["recognized"] == 148  # the annex's rows above
