"""Organisation types (loại hình) by their labels, seed 002 §II.1.1.b's wording: a units
file may name them so (with or without accents), a wrong one is refused listing them,
and the unit tree and the year's report say them, never their code names."""

from __future__ import annotations

import csv
import io

from tests.support.cli import UNITS_CSV, Cli

HEADER = UNITS_CSV.splitlines()[0] + "\n"


def test_a_units_file_may_name_organisation_types_by_their_labels(cli: Cli) -> None:
    (cli.folder / "types.csv").write_text(
        HEADER
        + "CB-DN1,Chi bộ Công ty May 10,grassroots_cell,Doanh nghiệp,X01,25,\n"
        "CB-QS1,Chi bộ Ban Chỉ huy quân sự,grassroots_cell,don vi luc luong vu trang,X01,9,\n"
        "CB-YT1,Chi bộ Trạm y tế,grassroots_cell,"
        '"Cơ quan hành chính, đơn vị sự nghiệp",X01,7,\n'
        "CB-KP1,Chi bộ khu phố 1,grassroots_cell,"
        '"Village, neighbourhood, ward, commune",X01,30,\n',
        encoding="utf-8",
    )
    cli("units", "import", "types.csv")
    types = dict(cli.rows("SELECT code, org_type FROM unit WHERE code LIKE 'CB-__1'"))
    assert types == {"CB-DN1": "enterprise", "CB-QS1": "armed_forces",
                     "CB-YT1": "administrative", "CB-KP1": "village"}  # fmt: skip


def test_a_wrong_organisation_type_is_refused_listing_the_labels(cli: Cli) -> None:
    (cli.folder / "bad.csv").write_text(
        HEADER + "CB-TH1,Chi bộ Trường Tiểu học,grassroots_cell,trường học,X01,12,\n",
        encoding="utf-8",
    )
    done = cli("units", "import", "bad.csv", ok=False)
    assert done.returncode == 1
    assert (
        "dòng 2, cột «type»: «trường học» không phải loại hình tổ chức đảng; ghi một trong: "
        "Cơ quan hành chính, đơn vị sự nghiệp; Đơn vị lực lượng vũ trang; "
        "Thôn, khu phố, phường, xã; Doanh nghiệp; Loại hình khác (hoặc mã của loại hình)"
    ) in done.stderr
    assert "armed_forces" not in done.stderr
    english = cli("units", "import", "bad.csv", "--lang", "en", ok=False)
    assert (
        "“trường học” is not an organisation type; write one of: Administrative agency, "
        "public service unit; Armed forces unit; Village, neighbourhood, ward, commune; "
        "Enterprise; Other type (or its code)"
    ) in english.stderr
    assert cli.rows("SELECT code FROM unit WHERE code = 'CB-TH1'") == []


def test_the_unit_tree_says_each_type_by_its_label(cli: Cli) -> None:
    listed = cli("units", "list", "--under", "X01").stdout.splitlines()
    thon1 = next(line for line in listed if "CB-THON1" in line)
    assert thon1.endswith("Chi bộ thôn 1 (Thôn, khu phố, phường, xã)")
    truong = next(line for line in listed if "DB-TRUONG " in line)
    assert truong.endswith("Đảng bộ Trường THPT (Cơ quan hành chính, đơn vị sự nghiệp)")
    root = cli("units", "list").stdout.splitlines()[0]  # a committee of no type: none said
    assert root.endswith("Tỉnh ủy mẫu")
    english = cli("units", "list", "--under", "X01", "--lang", "en").stdout
    assert "Chi bộ thôn 1 (Village, neighbourhood, ward, commune)" in english
    # JSON keeps the code, for programs
    assert {u["code"]: u["type"] for u in cli.json("units", "list", "--under", "X01")}[
        "CB-THON1"
    ] == "village"


def test_the_years_report_has_each_units_type_by_its_label(cli: Cli) -> None:
    cli("cycle", "open", "--year", "2025", "--under", "X01", "--now", "2025-01-05")
    cli("report", "--year", "2025", "--under", "X01", "--format", "csv", "--output", "r.csv")
    text = (cli.folder / "r.csv").read_text(encoding="utf-8-sig")
    rows = {r["Mã tổ chức"]: r for r in csv.DictReader(io.StringIO(text), delimiter=";")}
    assert rows["CB-THON1"]["Loại hình"] == "Thôn, khu phố, phường, xã"
    assert rows["DB-TRUONG-1"]["Loại hình"] == "Cơ quan hành chính, đơn vị sự nghiệp"
