"""Importing residents' ledgers (台账) through ``Registry.import_residents``: nothing lost,
nothing leaked (mirrors core/tests/ledger.rs on the conftest Suzhou network)."""

from __future__ import annotations

import json
import threading
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import shiliu
from conftest import TODAY, Suzhou, id_number, rows, write_xlsx

HEADER = "序号,姓名,性别,民族,公民身份号码,出生日期,联系电话,所属社区,人员类别,流出地,来苏时间,离开时间"
BAIBU = "320502021017"
"""百步街社区's code (the community exists from 2012-09-01 in these tests)."""


@dataclass(frozen=True)
class Ledger:
    """The Suzhou registry with 双塔街道 and its 百步街社区 added (from 2012-09-01)."""

    s: Suzhou
    shuangta: int
    baibu: int


@pytest.fixture
def ledger(reg: shiliu.Registry, suzhou: Suzhou) -> Ledger:
    shuangta = reg.add_unit(kind="street", name="双塔街道", code="320502021", parent=suzhou.gusu, valid_from="2012-09-01")
    baibu = reg.add_unit(kind="community", name="百步街社区", code=BAIBU, parent=shuangta, valid_from="2012-09-01")
    return Ledger(suzhou, shuangta, baibu)


def good_rows() -> list[str]:
    return [
        f"1,马小龙,男,回族,{id_number('64010419900501001')},1990-05-01,13812345678,{BAIBU},流动,640104,2015/3/5,",
        f"2,金美玉,女,朝鲜族,{id_number('22240119850203002')},1985-02-03,13912345678,道前社区,户籍,,2010年7月1日,",
        # A 15-digit legacy number: upgraded, with a warning.
        "3,关山,男,满族,210102700101011,,13712345678,道前社区,户籍,,20080101,",
        # A legacy ethnicity name: mapped to 德昂族, with a warning.
        f"4,岩温,男,崩龙族,{id_number('53310319950909003')},1995-09-09,,{BAIBU},流动,533103,2019.6.1,",
        # No ID number: matched on name, birth date, sex and community (uncertain).
        f"5,阿依古丽,女,维吾尔族,,2000-01-01,,{BAIBU},流动,650102,2021-03-01,",
    ]


def bad_rows() -> list[str]:
    return [
        f"6,错一,男,回族,1.10105E+17,,,{BAIBU},流动,,2015-01-01,",
        f"7,错二,女,回族,110105194912310021,,,{BAIBU},流动,,2015-01-01,",
        f"8,错三,男,火星族,{id_number('11010519800101001')},,,{BAIBU},流动,,2015-01-01,",
        f"9,错四,男,回族,{id_number('11010519800101003')},,,{BAIBU},流动,,2024-02-30,",
        f"10,错五,男,回族,{id_number('11010519800101005')},,,不存在社区,流动,,2015-01-01,",
        f"11,马小龙,男,回族,{id_number('64010419900501001')},,,{BAIBU},流动,,2016-01-01,",
    ]


SECRETS = (
    id_number("64010419900501001"),
    id_number("22240119850203002"),
    id_number("53310319950909003"),
    id_number("11010519800101001"),
    id_number("11010519800101003"),
    id_number("11010519800101005"),
    "110105194912310021",
    "210102700101011",
    shiliu.parse_id_number("210102700101011", today=None).number,
    "13812345678",
    "13912345678",
    "13712345678",
)
"""Full ID numbers and phones of the ledger: never in a report."""


def write_gb18030(path: Path, data: Sequence[str]) -> Path:
    """A GB18030 ledger: title row, header, the rows, a blank row, a 合计 row, a note."""
    text = "道前社区少数民族居民台账（2024年）,,,,,,,,,,,\n" + HEADER + "\n"
    text += "".join(f"{r}\n" for r in data)
    text += ",,,,,,,,,,,\n合计,11人,,,,,,,,,,\n制表人：张三,,,,,,,,,,,\n"
    path.write_bytes(text.encode("gb18030"))
    return path


def living(reg: shiliu.Registry, under: int, as_of: str) -> int:
    return len(reg.residents(under, as_of))


# -- the GB18030 ledger ------------------------------------------------------------------


def test_a_gb18030_ledger_keeps_every_good_row_and_reports_every_bad_one(
    reg: shiliu.Registry, ledger: Ledger, tmp_path: Path
) -> None:
    path = write_gb18030(tmp_path / "台账.csv", [*good_rows(), *bad_rows()])
    calls: list[tuple[int, int]] = []
    report = reg.import_residents(path, progress=lambda done, total: calls.append((done, total)))
    assert isinstance(report, shiliu.ImportReport)
    assert calls[-1] == (11, 11)
    assert (report.rows_read, report.inserted, report.updated, report.unchanged) == (11, 5, 0, 0)
    assert (report.skipped_existing, report.departed) == (0, 0)
    assert report.transaction is not None and report.transaction == reg.transaction
    # Rows as the file shows them: title row 1, header row 2, data from row 3.
    rejected = report.rejected
    assert list(rejected.columns) == ["file", "sheet", "row", "column", "value", "code", "message", "message_zh"]
    assert [(r["row"], r["code"], r["column"]) for r in rows(rejected)] == [
        (8, "id_number.excel_mangled", "公民身份号码"),
        (9, "id_number.invalid", "公民身份号码"),
        (10, "ethnicity.unknown", "民族"),
        (11, "value.bad_date", "来苏时间"),
        (12, "community.unknown", "所属社区"),
        (13, "row.duplicate", "公民身份号码"),
    ]
    assert set(rejected["file"]) == {"台账.csv"}
    assert all(m for m in rejected["message"]) and all(m for m in rejected["message_zh"])
    by_code = {r["code"]: r for r in rows(rejected)}
    assert "should be X" in by_code["id_number.invalid"]["message"]
    assert by_code["ethnicity.unknown"]["value"] == "火星族"
    assert by_code["community.unknown"]["value"] == "不存在社区"
    assert by_code["value.bad_date"]["value"] == "2024-02-30"
    assert "row 3" in by_code["row.duplicate"]["message"]  # the first 马小龙
    # Skipped rows, row warnings, the uncertain match.
    skipped = {(r["row"], r["reason"]) for r in rows(report.skipped)}
    assert {(14, "blank"), (15, "total"), (16, "note")} <= skipped
    warnings = {(r["row"], r["code"]) for r in rows(report.warnings)}
    assert (5, "id_number.upgraded") in warnings
    assert (6, "ethnicity.legacy_name") in warnings
    assert report.uncertain_matches == [7]
    assert [w["code"] for w in report.file_warnings] == ["ingest.unmapped_column"]  # 序号
    # Nothing in the report carries a full ID number or phone.
    text = json.dumps(report.to_dict(), ensure_ascii=False)
    for secret in SECRETS:
        assert secret not in text, f"{secret} leaked"
    assert text == json.dumps(report.to_dict(), ensure_ascii=False)  # to_dict is a copy
    report.to_dict()["rejected"].clear()
    assert len(report.to_dict()["rejected"]) == 6
    # The residents are there, masked; 崩龙族 became 德昂族.
    listed = reg.residents(ledger.s.gusu, TODAY)
    assert len(listed) == 5
    assert listed["masked"].all() and all("*" in n for n in listed["name"])
    deang = listed[listed["ethnicity"] == "46"]
    assert list(deang["ethnicity_name"]) == ["德昂族"]
    assert living(reg, ledger.shuangta, TODAY) == 3  # the others live in 道前社区


def test_the_report_is_a_frozen_dataclass_with_plain_json(reg: shiliu.Registry, ledger: Ledger, tmp_path: Path) -> None:
    path = write_gb18030(tmp_path / "a.csv", good_rows())
    report = reg.import_residents(path)
    with pytest.raises(AttributeError):
        report.inserted = 0  # type: ignore[misc]
    d = report.to_dict()
    assert {k: d[k] for k in ("rows_read", "inserted", "updated", "unchanged", "skipped_existing", "departed")} == {
        "rows_read": 5, "inserted": 5, "updated": 0, "unchanged": 0, "skipped_existing": 0, "departed": 0,
    }
    assert d["transaction"] == report.transaction
    assert d["rejected"] == [] and len(report.rejected) == 0
    assert list(report.rejected.columns) == ["file", "sheet", "row", "column", "value", "code", "message", "message_zh"]
    assert list(report.skipped.columns) == ["file", "sheet", "row", "reason", "text"]
    assert list(report.warnings.columns) == ["file", "sheet", "row", "code", "message"]
    assert str(report.warnings["row"].dtype) == "Int64"
    assert reg.last_transaction == report.transaction


def test_without_pandas_tables_are_lists(
    reg: shiliu.Registry, ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    real = importlib.import_module

    def no_pandas(name: str, package: str | None = None) -> Any:
        if name == "pandas":
            raise ImportError("no pandas here")
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", no_pandas)
    path = write_gb18030(tmp_path / "b.csv", [*good_rows(), *bad_rows()])
    report = reg.import_residents(path)
    assert isinstance(report.rejected, list) and len(report.rejected) == 6
    assert report.rejected[0]["row"] == 8 and report.rejected[0]["sheet"] is None
    assert report.rejected == report.to_dict()["rejected"]
    assert isinstance(report.warnings, list) and isinstance(report.skipped, list)
    listed = reg.residents(ledger.s.gusu, TODAY)
    assert isinstance(listed, list) and len(listed) == 5


def test_reimports_change_nothing_even_shuffled_and_an_edit_changes_one(
    reg: shiliu.Registry, ledger: Ledger, tmp_path: Path
) -> None:
    path = tmp_path / "a.csv"
    write_gb18030(path, good_rows())
    assert reg.import_residents(path).inserted == 5
    tx = reg.transaction
    shuffled = list(reversed(good_rows()))
    shuffled[0], shuffled[2] = shuffled[2], shuffled[0]
    write_gb18030(path, shuffled)
    again = reg.import_residents(path)
    assert (again.inserted, again.updated, again.unchanged, again.transaction) == (0, 0, 5, None)
    assert reg.transaction == tx
    edited = good_rows()
    edited[1] = edited[1].replace("13912345678", "13900001111")
    write_gb18030(path, edited)
    once = reg.import_residents(path)
    assert (once.inserted, once.updated, once.unchanged) == (0, 1, 4)
    assert once.transaction == reg.transaction == tx + 1
    # Policies for residents already registered.
    assert reg.import_residents(path, on_conflict="skip").skipped_existing == 5
    rejected = reg.import_residents(path, on_conflict="reject").rejected
    assert list(rejected["code"]) == ["resident.exists"] * 5
    assert reg.transaction == tx + 1


def test_a_snapshot_departs_the_missing_and_a_dry_run_writes_nothing(
    reg: shiliu.Registry, ledger: Ledger, tmp_path: Path
) -> None:
    path = write_gb18030(tmp_path / "s.csv", good_rows())
    tx = reg.transaction
    dry = reg.import_residents(path, dry_run=True)
    assert (dry.inserted, dry.transaction) == (5, None)
    assert reg.transaction == tx
    assert living(reg, ledger.s.gusu, TODAY) == 0
    reg.import_residents(path)
    fewer = good_rows()[1:]
    write_gb18030(path, fewer)
    with pytest.raises(shiliu.ValidationError):
        reg.import_residents(path, mode="snapshot")  # needs a unit and a date
    snap = reg.import_residents(path, mode="snapshot", snapshot_unit=ledger.s.gusu, snapshot_date="2024-06-30")
    assert (snap.departed, snap.unchanged, snap.inserted) == (1, 4, 0)
    assert snap.transaction is not None
    assert living(reg, ledger.s.gusu, "2024-06-29") == 5
    assert living(reg, ledger.s.gusu, "2024-06-30") == 4
    # The one who left is 马小龙 (the first row).
    assert "马**" not in set(reg.residents(ledger.s.gusu, "2024-06-30")["name"])


def test_options_reach_the_core(reg: shiliu.Registry, ledger: Ledger, tmp_path: Path) -> None:
    # A UTF-8 file with unusual headers, mapped explicitly; header row given.
    text = "说明：测试\n证件号,名字,族别,住址社区,入住日期\n"
    text += f"{id_number('64010419900501001')},马小龙,回族,{BAIBU},2015-03-05\n"
    path = tmp_path / "mapped.txt"
    path.write_text(text, encoding="utf-8")
    mapping = {"证件号": "id_number", "名字": "name", "族别": "ethnicity", "住址社区": "community", "入住日期": "arrived_on"}
    report = reg.import_residents(path, mapping, "utf-8", format="csv", header_row=2)
    assert (report.inserted, len(report.rejected)) == (1, 0)
    # GB18030 bytes read as UTF-8 on request fail; auto-detection reads them.
    gb = write_gb18030(tmp_path / "gb.csv", good_rows())
    with pytest.raises(shiliu.ShiliuError):
        reg.import_residents(gb, encoding="utf-8", dry_run=True)
    assert reg.import_residents(gb, encoding="gb18030", dry_run=True).inserted == 4
    with pytest.raises(shiliu.ValidationError):
        reg.import_residents(gb, on_conflict="explode", dry_run=True)  # type: ignore[arg-type]
    # A pinned view is read-only.
    with pytest.raises(shiliu.ValidationError):
        reg.at_transaction(1).import_residents(gb)


# -- progress ---------------------------------------------------------------------------


def big_ledger(path: Path, n: int) -> Path:
    lines = ["姓名,民族,公民身份号码,所属社区,来苏时间"]
    for i in range(n):
        first17 = f"320502{1950 + i // 1000:04d}0101{i % 1000:03d}"
        lines.append(f"居民{i},回族,{id_number(first17)},道前社区,2015-01-01")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_progress_reaches_the_total(reg: shiliu.Registry, ledger: Ledger, tmp_path: Path) -> None:
    path = big_ledger(tmp_path / "big.csv", 9000)
    calls: list[tuple[int, int]] = []
    report = reg.import_residents(path, progress=lambda d, t: calls.append((d, t)))
    assert report.inserted == 9000
    assert calls == [(4096, 9000), (8192, 9000), (9000, 9000)]


def test_progress_true_draws_a_bar_on_stderr(
    reg: shiliu.Registry, ledger: Ledger, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_gb18030(tmp_path / "bar.csv", good_rows())
    report = reg.import_residents(path, progress=True)
    assert report.inserted == 5
    out = capsys.readouterr()
    assert out.out == ""
    assert "bar.csv" in out.err and "5/5" in out.err and "100%" in out.err
    assert "#" * 30 in out.err and out.err.endswith("\n")
    # False and None draw nothing.
    reg.import_residents(path, progress=False)
    assert capsys.readouterr().err == ""


def test_an_exception_in_the_callback_cancels_the_import(reg: shiliu.Registry, ledger: Ledger, tmp_path: Path) -> None:
    path = big_ledger(tmp_path / "big.csv", 9000)
    tx = reg.transaction
    seen: list[int] = []

    class Stop(Exception):
        pass

    def stop(done: int, total: int) -> None:
        seen.append(done)
        raise Stop(f"stopped at {done}/{total}")

    with pytest.raises(Stop, match="stopped at 4096/9000"):
        reg.import_residents(path, progress=stop)
    assert seen == [4096]  # never called again after raising
    assert reg.transaction == tx
    assert living(reg, ledger.s.gusu, TODAY) == 0
    # Also at the very end (the only call for a small file): nothing is committed.
    small = write_gb18030(tmp_path / "small.csv", good_rows())
    def lookup(done: int, total: int) -> None:
        raise KeyError(f"{done}/{total}")

    with pytest.raises(KeyError, match="5/5"):
        reg.import_residents(small, progress=lookup)
    assert reg.transaction == tx
    assert living(reg, ledger.s.gusu, TODAY) == 0
    # The registry is fine afterwards.
    assert reg.import_residents(small).inserted == 5


def test_the_callback_may_not_call_back_into_a_registry(
    reg: shiliu.Registry, ledger: Ledger, suzhou: Suzhou, tmp_path: Path
) -> None:
    """The import holds the write lock while it reports progress: a write (or an audited
    read) from the callback would wait for itself, so every call is refused instead."""
    small = write_gb18030(tmp_path / "small.csv", good_rows())
    tx = reg.transaction

    def write(done: int, total: int) -> None:
        reg.add_unit(kind="street", name="回调街道", parent=suzhou.gusu, valid_from="2020-01-01")

    with pytest.raises(shiliu.ValidationError, match="progress callback"):
        reg.import_residents(small, progress=write)
    with shiliu.Registry.open(suzhou.path, today=TODAY) as other:

        def read(done: int, total: int) -> None:
            other.tree(TODAY)

        with pytest.raises(shiliu.ValidationError, match="progress callback"):
            reg.import_residents(small, progress=read)
    assert reg.transaction == tx
    # Outside the callback the handle works as before.
    assert reg.import_residents(small, progress=lambda d, t: None).inserted == 5


def test_an_import_and_queries_run_at_once(suzhou: Suzhou, ledger: Ledger, tmp_path: Path) -> None:
    """The GIL is released during the import and readers are not blocked by it: the
    progress callback (running inside the import) waits for another thread to answer a
    tree query."""
    path = big_ledger(tmp_path / "big.csv", 9000)
    with shiliu.Registry.open(suzhou.path, today=TODAY) as reg:
        expected = rows(reg.tree(TODAY))
        importing = threading.Event()
        answered = threading.Event()
        stop = threading.Event()
        waited: list[bool] = []
        queries: list[int] = []

        def progress(done: int, total: int) -> None:
            if done < total and not waited:
                importing.set()
                waited.append(answered.wait(timeout=30))

        def query() -> None:
            assert importing.wait(timeout=60)
            while not stop.is_set():
                assert rows(reg.tree(TODAY)) == expected
                assert living(reg, suzhou.gusu, TODAY) == 0  # the import is not committed yet
                queries.append(1)
                answered.set()
                if len(queries) >= 3:
                    break

        reader = threading.Thread(target=query)
        reader.start()
        try:
            report = reg.import_residents(path, progress=progress)
        finally:
            stop.set()
            reader.join(timeout=60)
        assert not reader.is_alive()
        assert waited == [True]
        assert len(queries) >= 1
        assert report.inserted == 9000
        assert living(reg, suzhou.gusu, TODAY) == 9000


# -- XLSX --------------------------------------------------------------------------------


@pytest.fixture
def two_sheets(tmp_path: Path) -> Path:
    header = HEADER.split(",")
    first = [header, *(r.split(",") for r in good_rows()[:2])]
    second = [["二社区台账"], header, *(r.split(",") for r in good_rows()[2:])]
    second.append(f"12,错六,男,火星族,{id_number('11010519800101007')},,,{BAIBU},流动,,2015-01-01,".split(","))
    return write_xlsx(tmp_path / "ledger.xlsx", [("一社区", first), ("二社区", second)])


def test_an_xlsx_with_two_sheets(reg: shiliu.Registry, ledger: Ledger, two_sheets: Path) -> None:
    first = reg.import_residents(two_sheets, dry_run=True)
    assert (first.rows_read, first.inserted) == (2, 2)
    named = reg.import_residents(two_sheets, sheet="二社区", dry_run=True)
    assert (named.rows_read, named.inserted) == (4, 3)
    with pytest.raises(shiliu.ShiliuError):
        reg.import_residents(two_sheets, sheet="三社区", dry_run=True)
    report = reg.import_residents(two_sheets, sheet="all")
    assert (report.rows_read, report.inserted) == (6, 5)
    # The second sheet has a title row: its header is row 2, data from row 3.
    assert [(r["file"], r["sheet"], r["row"], r["column"], r["code"]) for r in rows(report.rejected)] == [
        ("ledger.xlsx", "二社区", 6, "民族", "ethnicity.unknown"),
    ]
    warnings = {(r["sheet"], r["row"], r["code"]) for r in rows(report.warnings)}
    assert ("二社区", 3, "id_number.upgraded") in warnings
    assert ("二社区", 4, "ethnicity.legacy_name") in warnings
    assert living(reg, ledger.s.gusu, TODAY) == 5


def test_an_export_reads_back(reg: shiliu.Registry, ledger: Ledger, suzhou: Suzhou, tmp_path: Path) -> None:
    """Round trip through the Rust side: import, export to XLSX and CSV, import again."""
    reg.import_residents(write_gb18030(tmp_path / "in.csv", good_rows()))
    tx = reg.transaction
    clerk = shiliu.Principal("clerk", "operator", suzhou.gusu, purpose="年度核查")
    with shiliu.Registry.open(suzhou.path, clerk, today=TODAY) as op:
        xlsx = op.export_residents(suzhou.gusu, TODAY, tmp_path / "out.xlsx")
        assert xlsx == {"rows": 5, "masked": False}
        csv = op.export_residents(suzhou.gusu, TODAY, tmp_path / "out.csv")
        assert csv == {"rows": 5, "masked": False}
        odd = op.export_residents(suzhou.gusu, TODAY, tmp_path / "out.dat", format="xlsx")
        assert odd["rows"] == 5
        with pytest.raises(ValueError, match="format"):
            op.export_residents(suzhou.gusu, TODAY, tmp_path / "out.dat")
    assert zipfile.is_zipfile(tmp_path / "out.xlsx") and zipfile.is_zipfile(tmp_path / "out.dat")
    text = (tmp_path / "out.csv").read_bytes().decode("utf-8")
    assert text.startswith("\ufeff编号") and "马小龙" in text and id_number("64010419900501001") in text
    for name in ("out.xlsx", "out.csv"):
        again = reg.import_residents(tmp_path / name, sheet="all")
        assert (again.rows_read, again.unchanged, again.inserted, again.updated) == (5, 5, 0, 0), name
        assert len(again.rejected) == 0 and again.transaction is None
    assert reg.transaction == tx
    log = [e for e in reg.audit_log()["entries"] if e["action"] == "export_personal"]
    assert len(log) == 3 and {e["purpose"] for e in log} == {"年度核查"}


def test_a_masked_export_leaks_nothing(reg: shiliu.Registry, ledger: Ledger, suzhou: Suzhou, tmp_path: Path) -> None:
    reg.import_residents(write_gb18030(tmp_path / "in.csv", good_rows()))
    viewer = shiliu.Principal("v", "viewer", suzhou.gusu)
    with shiliu.Registry.open(suzhou.path, viewer, today=TODAY) as v:
        assert v.export_residents(suzhou.gusu, TODAY, tmp_path / "v.csv") == {"rows": 5, "masked": True}
        with pytest.raises(shiliu.AccessDenied):
            v.import_residents(tmp_path / "in.csv")
    text = (tmp_path / "v.csv").read_text(encoding="utf-8-sig")
    assert "马**" in text and "138****5678" in text
    for secret in SECRETS:
        assert secret not in text
    # A masked ledger read back in is rejected row by row (the names are masked), never
    # taken for real residents.
    back = reg.import_residents(tmp_path / "v.csv", dry_run=True)
    assert [(r["row"], r["code"]) for r in rows(back.rejected)] == [(n, "value.masked") for n in range(2, 7)]
    assert back.inserted == 0 and all("*" in v for v in back.rejected["value"])


def test_a_masked_name_is_not_imported(reg: shiliu.Registry, ledger: Ledger, suzhou: Suzhou, tmp_path: Path) -> None:
    reg.import_residents(write_gb18030(tmp_path / "in.csv", good_rows()))
    with shiliu.Registry.open(suzhou.path, shiliu.Principal("v", "viewer", suzhou.gusu), today=TODAY) as v:
        v.export_residents(suzhou.gusu, TODAY, tmp_path / "v.csv")
    back = reg.import_residents(tmp_path / "v.csv", dry_run=True)
    assert back.inserted == 0


@pytest.fixture
def analyst(suzhou: Suzhou) -> Iterator[shiliu.Registry]:
    with shiliu.Registry.open(suzhou.path, shiliu.Principal("a", "analyst", suzhou.gusu), today=TODAY) as r:
        yield r


def test_an_analyst_may_not_import_people(analyst: shiliu.Registry, ledger: Ledger, tmp_path: Path) -> None:
    with pytest.raises(shiliu.AccessDenied):
        analyst.import_residents(write_gb18030(tmp_path / "a.csv", good_rows()))


def test_an_operator_outside_scope_has_every_row_rejected(suzhou: Suzhou, ledger: Ledger, two_sheets: Path) -> None:
    street = shiliu.Principal("op", "operator", suzhou.pingjianglu)
    with shiliu.Registry.open(suzhou.path, street, today=TODAY) as op:
        report = op.import_residents(two_sheets, sheet="all")
    assert report.inserted == 0 and report.transaction is None
    assert set(report.rejected["code"]) <= {"community.outside_scope", "ethnicity.unknown"}
    assert list(report.rejected["code"]).count("community.outside_scope") == 5
