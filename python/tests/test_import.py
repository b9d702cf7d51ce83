"""Importing units from CSV in the layout of gen_population.py's units.csv."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import shiliu
from conftest import TODAY, rows

pd: Any = pytest.importorskip("pandas")


UNITS_CSV = """code,name,level,parent_code,valid_from,valid_to
320500,苏州市,city,,1990-01-01,
320502,沧浪区,district,320500,1990-01-01,2012-09-01
320508,姑苏区,district,320500,2012-09-01,
320502001,甲乙街道,street,320502,1990-01-01,2012-09-01
320502001,甲乙街道,street,320508,2012-09-01,
320502001001,丙丁社区,community,320502001,1990-01-01,
320599001,孤儿街道,street,320599,1990-01-01,
320502001,甲乙街道,street,320508,2015-01-01,
"""


@pytest.fixture
def units_csv(tmp_path: Path) -> Path:
    path = tmp_path / "units.csv"
    path.write_text(UNITS_CSV, encoding="utf-8")
    return path


def test_import_units(tmp_path: Path, units_csv: Path) -> None:
    with shiliu.Registry.open(tmp_path / "import.db", today=TODAY) as r:
        report = r.import_units(units_csv)
        assert report["transaction"] == r.transaction == 1
        counts = {k: report[k] for k in ("rows_read", "units_created", "units_unchanged", "events")}
        # 5 units; the street's two rows are one unit moved on 2012-09-01 (one event).
        assert counts == {"rows_read": 8, "units_created": 5, "units_unchanged": 0, "events": 1}
        # Row numbers as the file shows them: the header is row 1.
        assert [(p["file"], p["row"], p["column"], p["value"], p["code"]) for p in report["rejected"]] == [
            ("units.csv", 8, "parent_code", "320599", "unit.orphan"),
            ("units.csv", 9, "valid_from", "2015-01-01", "unit.overlap"),
        ]
        assert all(p["reason"] for p in report["rejected"])
        assert report["warnings"] == []
        city = r.find_by_code("320500", "2003-01-01")["id"]
        canglang = r.find_by_code("320502", "2003-01-01")["id"]
        gusu = r.find_by_code("320508", "2013-01-01")["id"]
        street_then = r.find_by_code("320502001", "2003-01-01")
        street_now = r.find_by_code("320502001", "2013-01-01")
        assert street_then["id"] == street_now["id"]
        assert (street_then["parent"], street_now["parent"]) == (canglang, gusu)
        assert r.find_by_code("320502", "2003-01-01")["parent"] == city
        assert r.find_by_path("姑苏区/甲乙街道/丙丁社区", TODAY)["code"] == "320502001001"
        assert r.find_by_path("沧浪区/甲乙街道/丙丁社区", "2003-01-01")["code"] == "320502001001"
        with pytest.raises(shiliu.NotFoundError):
            r.find_by_code("320599001", "2003-01-01")
        assert r.transaction_info(1)["batch"] == "import units units.csv"
        tree = r.tree(TODAY)

        again = r.import_units(units_csv)
        assert (again["units_created"], again["units_unchanged"], again["events"]) == (0, 5, 0)
        assert again["rejected"] == report["rejected"]
        pd.testing.assert_frame_equal(r.tree(TODAY), tree)


def test_import_lineage(tmp_path: Path, units_csv: Path) -> None:
    reorgs = tmp_path / "reorganisations.csv"
    reorgs.write_text("date,event,from_codes,to_codes\n2012-09-01,merge,320502,320508\n2012-09-01,merge,320577,320508\n")
    with shiliu.Registry.in_memory(today=TODAY) as r:
        report = r.import_units(units_csv, reorgs)
        assert report["rows_read"] == 10
        assert report["events"] == 2  # the street's move and the district merge
        assert [(p["file"], p["row"], p["column"], p["code"]) for p in report["rejected"]] == [
            ("reorganisations.csv", 3, "from_codes", "reorg.unknown_code"),
            ("units.csv", 8, "parent_code", "unit.orphan"),
            ("units.csv", 9, "valid_from", "unit.overlap"),
        ]
        gusu = r.find_by_code("320508", TODAY)["id"]
        [step] = rows(r.predecessors(gusu))
        assert (step["predecessor_name"], step["kind"], step["date"]) == ("沧浪区", "merge", "2012-09-01")
        canglang = r.find_by_code("320502", "2003-01-01")["id"]
        assert list(r.successors(canglang, TODAY)["id"]) == [gusu]


def test_import_dry_run_writes_nothing(tmp_path: Path, units_csv: Path) -> None:
    with shiliu.Registry.open(tmp_path / "dry.db", today=TODAY) as r:
        report = r.import_units(units_csv, dry_run=True)
        assert report["transaction"] is None
        assert report["rows_read"] == 8 and report["units_created"] >= 3
        assert r.transaction == 0
        with pytest.raises(shiliu.NotFoundError):
            r.find_by_code("320500", "2003-01-01")
        real = r.import_units(units_csv)
        assert real["units_created"] == report["units_created"]
        assert real["rejected"] == report["rejected"]
        t = r.transaction
        assert r.import_units(units_csv, dry_run=True)["units_unchanged"] == real["units_created"]
        assert r.transaction == t


def test_import_missing_column_and_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("foo,bar\n1,2\n", encoding="utf-8")
    with shiliu.Registry.in_memory(today=TODAY) as r:
        with pytest.raises(shiliu.ValidationError) as info:
            r.import_units(bad)
        assert "code" in str(info.value)
        with pytest.raises(shiliu.ShiliuError):
            r.import_units(tmp_path / "missing.csv")
        assert r.transaction == 0
