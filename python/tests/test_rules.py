"""Institutions as code through the Python API: activities, rule sets, evaluation,
reproduction, activity imports and assessment, on a hand-checked street.

The street 府前街道 (姑苏区, 苏州市) has two communities and a leadership group whose
leader post must be held by the 街道党工委书记: A holds both 2023-01-01..2024-03-01, B
from 2024-04-10, so the post is vacant 2024-03-01..2024-04-09 — 40 days, beyond the
30 tolerated (R3). 联络员会议 are held in Q1, Q2 and Q4 of 2024, not Q3 (R2). A resident
of 道前社区 is hospitalised on 2024-05-01 and visited on 2024-05-10: day 9 of 7 (R6).
"""

from __future__ import annotations

import datetime as _dt
import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import shiliu
from conftest import TODAY, id_number, rows, write_xlsx

pd: Any = pytest.importorskip("pandas")

D = _dt.date
STREET_CODE = "320508001"
DAOQIAN_CODE = "320508001001"
JINFAN_CODE = "320508001002"
RESIDENT_ID_NUMBER = id_number("32050819900501001")
GROUP_NAME = "府前街道社区少数民族工作领导小组"

R2_R3_R6 = """
id = "street-core"
version = "1"
name = "三条核心制度"

[[rule]]
id = "R2"
kind = "cadence"
title = "联络员会议每季度至少召开一次"
activity = "meeting"
subtype = "联络员会议"
min = 1
period = "quarter"
of = { unit_kind = "street" }

[[rule]]
id = "R3"
kind = "structure"
title = "领导小组组长由街道党工委书记担任"
role = "leader"
position = "街道党工委书记"
tolerance_days = 30
of = { body_kind = "leadership_group" }

[[rule]]
id = "R6"
kind = "deadline"
title = "四个必访7天内走访"
on = { life_event = ["hospitalised", "disaster", "dispute", "special"] }
activity = "visit"
within_days = 7
"""


@dataclass(frozen=True)
class Street:
    """Ids of the scenario's records."""

    city: int
    gusu: int
    street: int
    daoqian: int
    jinfan: int
    group: int
    leader_post: int
    a: int
    b: int
    meetings: tuple[int, int, int]
    resident: int
    hospitalised: int
    visit: int


def build_street(reg: shiliu.Registry) -> Street:
    city = reg.add_unit(kind="city", name="苏州市", code="320500", valid_from="1983-01-18")
    gusu = reg.add_unit(kind="district", name="姑苏区", code="320508", parent=city, valid_from="2012-09-01")
    street = reg.add_unit(kind="street", name="府前街道", code=STREET_CODE, parent=gusu, valid_from="2012-09-01")
    daoqian = reg.add_unit(kind="community", name="道前社区", code=DAOQIAN_CODE, parent=street, valid_from="2012-09-01")
    jinfan = reg.add_unit(kind="community", name="锦帆路社区", code=JINFAN_CODE, parent=street, valid_from="2012-09-01")
    group = reg.add_body(unit=street, kind="leadership_group", name=GROUP_NAME, valid_from="2012-09-01")
    leader_post = reg.add_post(body=group, role="leader", valid_from="2012-09-01")
    a = reg.add_person(name="张明")
    b = reg.add_person(name="李华")
    reg.add_position(person=a, title="街道党工委书记", unit=street, valid_from="2023-01-01", valid_to="2024-03-01")
    reg.add_membership(post=leader_post, person=a, valid_from="2023-01-01", valid_to="2024-03-01")
    reg.add_position(person=b, title="街道党工委书记", unit=street, valid_from="2024-04-10")
    reg.add_membership(post=leader_post, person=b, valid_from="2024-04-10")
    meetings = tuple(
        reg.record_activity("meeting", day, street, subtype="联络员会议", participants=[who])[0]
        for day, who in (("2024-02-20", a), ("2024-05-15", b), ("2024-11-12", b))
    )
    resident = reg.add_resident(
        name="马小龙", ethnicity="回族", community=daoqian, arrived_on="2015-03-05", category="registered",
        id_number=RESIDENT_ID_NUMBER,
    )
    hospitalised = reg.add_life_event(resident, "hospitalised", "2024-05-01")
    visit, outcome = reg.record_activity("visit", D(2024, 5, 10), daoqian, subjects=[resident], participants=[b])
    assert outcome == "inserted"
    return Street(
        city, gusu, street, daoqian, jinfan, group, leader_post, a, b,
        (meetings[0], meetings[1], meetings[2]), resident, hospitalised, visit,
    )


@pytest.fixture
def reg() -> Iterator[shiliu.Registry]:
    with shiliu.Registry.in_memory(today=TODAY) as r:
        yield r


@pytest.fixture
def street(reg: shiliu.Registry) -> Street:
    return build_street(reg)


def finding(df: Any, rule: str, **where: Any) -> dict[str, Any]:
    """The one finding of ``rule`` matching ``where`` (column = value)."""
    hits = [f for f in rows(df) if f["rule"] == rule and all(f[k] == v for k, v in where.items())]
    assert len(hits) == 1, (rule, where, hits)
    return hits[0]


# -- rule sets without a registry ---------------------------------------------------------


def test_presets_and_rule_sets_need_no_registry() -> None:
    suzhou = shiliu.RuleSet.preset("suzhou")
    assert (suzhou.id, suzhou.version, suzhou.name) == ("suzhou", "2024.1", "民族工作进社区制度（苏州预置）")
    assert len(suzhou.hash) == 64 and suzhou.text == shiliu.preset_text("suzhou")
    assert suzhou.rule_ids[:3] == ["R1", "R2", "R3"]
    r2 = suzhou.rule("R2")
    assert (r2["kind"], r2["activity"], r2["subtype"], r2["min"], r2["period"]) == (
        "cadence", ["meeting"], ["联络员会议"], 1, "quarter",
    )
    assert suzhou.rule("R3")["tolerance_days"] == 30 and suzhou.rule("R6")["within_days"] == 7
    with pytest.raises(KeyError):
        suzhou.rule("R99")
    # The same rules give the same hash however they are written (TOML, canonical JSON).
    assert shiliu.RuleSet.from_text(suzhou.text).hash == suzhou.hash
    again = shiliu.RuleSet.from_text(suzhou.canonical)
    assert again == suzhou and again.hash == suzhou.hash and again.text == suzhou.canonical
    assert "RuleSet(id='suzhou'" in repr(suzhou)
    # Overrides: as a mapping, as keywords with a dot, or as R6__within_days.
    a = shiliu.RuleSet.preset("suzhou", overrides={"R6.within_days": 10})
    b = shiliu.RuleSet.preset("suzhou", **{"R6.within_days": 10})
    c = shiliu.RuleSet.preset("suzhou", R6__within_days="10")
    assert a.hash == b.hash == c.hash != suzhou.hash
    assert a.rule("R6")["within_days"] == 10 and a.rule("R2") == suzhou.rule("R2")
    with pytest.raises(shiliu.ValidationError, match="R99"):
        shiliu.RuleSet.preset("suzhou", **{"R99.min": 2})
    with pytest.raises(shiliu.ValidationError, match="within_days"):
        shiliu.RuleSet.preset("suzhou", R6__within_days="seven")

    scheme = shiliu.Scheme.preset("model_community")
    assert scheme.text == shiliu.preset_text("model_community")
    assert (scheme.id, scheme.threshold, scheme.unit_kind) == ("model_community", 90.0, "community")
    assert sum(i["points"] for i in scheme.items) == 100
    assert [(i["indicator"], i["id"]) for i in scheme.items][-3:] == [("C", "C1"), ("C", "C2"), ("C", "C3")]
    assert scheme.items[-1]["source"] == "manual" and scheme.items[0]["source"] == {"rule": "R5", "if_none": "none"}
    assert shiliu.Scheme.from_text(scheme.text).indicators == scheme.indicators
    with pytest.raises(shiliu.ValidationError, match="preset"):
        shiliu.preset_text("shanghai")
    with pytest.raises(shiliu.ValidationError):
        shiliu.RuleSet.preset("model_community")  # a scheme, not a rule set
    with pytest.raises(shiliu.ValidationError, match="add up"):
        shiliu.Scheme.from_text(scheme.text.replace("points = 40", "points = 45"))


def test_presets_copied_to_files_read_back(tmp_path: Path) -> None:
    rules_path = tmp_path / "suzhou.toml"
    rules_path.write_text(shiliu.preset_text("suzhou"), encoding="utf-8")
    edited = tmp_path / "edited.toml"
    edited.write_text(shiliu.preset_text("suzhou").replace("within_days = 7", "within_days = 10"), encoding="utf-8")
    assert shiliu.RuleSet.from_file(rules_path) == shiliu.RuleSet.preset("suzhou")
    assert shiliu.RuleSet.from_file(edited) == shiliu.RuleSet.preset("suzhou", R6__within_days=10)
    scheme_path = tmp_path / "scheme.toml"
    scheme_path.write_text(shiliu.preset_text("model_community").replace("threshold = 90", "threshold = 85"), encoding="utf-8")
    scheme = shiliu.Scheme.from_file(scheme_path)
    assert scheme.threshold == 85.0 and scheme.indicators == shiliu.Scheme.preset().indicators
    assert "Scheme(id='model_community'" in repr(scheme)


QUATER = R2_R3_R6.replace('period = "quarter"', 'period = "quater"')


def test_a_rule_error_names_the_rule_and_the_field(reg: shiliu.Registry, tmp_path: Path) -> None:
    with pytest.raises(shiliu.ValidationError) as caught:
        shiliu.RuleSet.from_text(QUATER)
    message = str(caught.value)
    assert "R2" in message and "period" in message and "quater" in message
    assert caught.value.kind == "validation" and isinstance(caught.value, ValueError)
    path = tmp_path / "rules.toml"
    path.write_text(QUATER, encoding="utf-8")
    with pytest.raises(shiliu.ValidationError, match=r"R2.*period"):
        shiliu.RuleSet.from_file(path)
    with pytest.raises(shiliu.StorageError):
        shiliu.RuleSet.from_file(tmp_path / "missing.toml")
    # A missing field, an unknown kind: the rule and the field are named too.
    with pytest.raises(shiliu.ValidationError, match=r"R3.*role"):
        shiliu.RuleSet.from_text(R2_R3_R6.replace('role = "leader"\n', ""))
    with pytest.raises(shiliu.ValidationError, match=r"R6.*kind"):
        shiliu.RuleSet.from_text(R2_R3_R6.replace('kind = "deadline"', 'kind = "deadlin"'))


def test_a_rule_file_with_a_working_day_calendar(reg: shiliu.Registry, street: Street, tmp_path: Path) -> None:
    # 2024-05-01..03 are holidays (then a weekend), 2024-05-11 (a Saturday) a make-up
    # workday: working days 1-5 are 05-06..10, 6 is 05-11, 7 is 05-13 — the visit on 05-10
    # (day 9 in calendar days, late) is on time.
    (tmp_path / "holidays.txt").write_text(
        "2024-05-01 holiday\n2024-05-02 holiday\n2024-05-03 holiday\n2024-05-11 workday\n", encoding="utf-8"
    )
    text = R2_R3_R6.replace("within_days = 7", 'within_days = 7\ndays = "working"')
    path = tmp_path / "rules.toml"
    path.write_text('calendar_file = "holidays.txt"\n' + text, encoding="utf-8")
    with pytest.raises(shiliu.ValidationError, match="calendar"):
        shiliu.RuleSet.from_text(text)
    rules = shiliu.RuleSet.from_file(path)
    assert rules.rule("R6")["days"] == "working" and rules.text == path.read_text(encoding="utf-8")
    r6 = finding(reg.evaluate(rules, period="2024", only=["R6"]), "R6")
    assert (r6["status"], r6["due"]) == ("on_time", pd.Timestamp("2024-05-13"))


# -- evaluation -------------------------------------------------------------------------


def check_hand_findings(df: Any, s: Street) -> None:
    """The hand-checked findings of R2, R3 and R6."""
    r2 = [f for f in rows(df) if f["rule"] == "R2" and f["subject"] == s.street]
    assert [(f["period_from"], f["status"], f["actual"], f["expected"]) for f in r2] == [
        (pd.Timestamp("2024-01-01"), "met", 1.0, 1.0),
        (pd.Timestamp("2024-04-01"), "met", 1.0, 1.0),
        (pd.Timestamp("2024-07-01"), "breach", 0.0, 1.0),
        (pd.Timestamp("2024-10-01"), "met", 1.0, 1.0),
    ]
    assert [f["evidence"] for f in r2] == [[s.meetings[0]], [s.meetings[1]], [], [s.meetings[2]]]
    assert r2[2]["period_to"] == pd.Timestamp("2024-09-30") and r2[2]["status_zh"] == "未达标"

    r3 = finding(df, "R3", subject=s.leader_post)
    assert (r3["subject_kind"], r3["status"], r3["actual"], r3["expected"]) == ("post", "breach", 40.0, 30.0)
    assert r3["unit"] == s.street and r3["unit_name"] == "府前街道"
    assert "2024-03-01" in r3["explanation"] and "40" in r3["explanation_zh"]

    r6 = finding(df, "R6", subject=s.resident)
    assert (r6["subject_kind"], r6["status"], r6["status_zh"], r6["actual"], r6["expected"]) == (
        "resident", "late", "逾期完成", 9.0, 7.0,
    )
    assert (r6["triggered"], r6["due"]) == (pd.Timestamp("2024-05-01"), pd.Timestamp("2024-05-08"))
    assert r6["evidence"] == [s.visit]
    assert (r6["unit"], r6["unit_name"]) == (s.daoqian, "道前社区") and pd.isna(r6["subject_name"])
    assert r6["explanation"] and r6["explanation_zh"]
    assert "逾期" in r6["explanation_zh"] and "马小龙" not in r6["explanation_zh"]


def test_the_hand_checked_findings(reg: shiliu.Registry, street: Street) -> None:
    suzhou = shiliu.RuleSet.preset("suzhou")
    df = reg.evaluate(suzhou, period="2024")
    check_hand_findings(df, street)
    # The header travels in df.attrs.
    a = df.attrs
    assert (a["rule_set"], a["version"], a["hash"]) == ("suzhou", "2024.1", suzhou.hash)
    assert (a["today"], a["period_from"], a["period_to"], a["under"]) == (D(2024, 12, 31), D(2024, 1, 1), D(2024, 12, 31), None)
    assert isinstance(a["run"], int) and len(a["digest"]) == 64
    assert a["transaction"] == reg.transaction - 1  # recording the run was the last transaction
    street_r2 = [c for c in a["compliance"] if c["unit"] == street.street and c["rule"] == "R2"]
    assert [(c["compliant"], c["non_compliant"], c["undecided"], c["rate"]) for c in street_r2] == [(3, 1, 0, 0.75)]

    # The same rules as a text of their own, and as the preset's name: the same findings.
    core = shiliu.RuleSet.from_text(R2_R3_R6)
    check_hand_findings(reg.evaluate(core, "2024", record=False), street)
    by_name = reg.evaluate("suzhou", "2024", record=False)
    assert by_name.attrs["digest"] == a["digest"] and by_name.attrs["run"] is None
    # Only some rules; a subtree.
    only = reg.evaluate(suzhou, "2024", only=["R2", "R6"], record=False)
    assert set(only["rule"]) == {"R2", "R6"} and list(only["rule"].cat.categories) == ["R2", "R6"]
    under = reg.evaluate(core, "2024", under=street.daoqian, record=False)
    assert [(f["rule"], f["subject"]) for f in rows(under)] == [("R6", street.resident)]
    assert under.attrs["under"] == street.daoqian


def test_the_findings_table_has_its_columns_and_dtypes(reg: shiliu.Registry, street: Street) -> None:
    df = reg.evaluate(shiliu.RuleSet.preset("suzhou"), "2024", record=False)
    assert list(df.columns) == [
        "rule", "version", "rule_kind", "subject_kind", "subject", "subject_name", "unit", "unit_name",
        "period_from", "period_to", "status", "status_zh", "expected", "actual", "triggered", "due",
        "evidence", "explanation", "explanation_zh",
    ]
    for col in ("period_from", "period_to", "triggered", "due"):
        assert pd.api.types.is_datetime64_any_dtype(df[col]), col
    for col in ("rule", "rule_kind", "subject_kind", "status", "status_zh"):
        assert isinstance(df[col].dtype, pd.CategoricalDtype), col
    assert list(df["status"].cat.categories) == [
        "met", "breach", "on_time", "late", "overdue", "pending", "warning", "not_applicable",
    ]
    assert list(df["rule"].cat.categories) == shiliu.RuleSet.preset("suzhou").rule_ids
    assert str(df["subject"].dtype) == "Int64" and str(df["unit"].dtype) == "Int64"
    assert df["expected"].dtype == "float64" and df["actual"].dtype == "float64"
    assert all(isinstance(e, list) for e in df["evidence"])
    assert df["due"].isna().sum() == (df["rule_kind"] != "deadline").sum()
    # Analyses the table is for.
    counts = df.groupby("status", observed=False).size()
    assert counts["late"] == 1 and counts["overdue"] == 0
    assert df.loc[df["status"] == "breach", "rule"].astype(str).tolist().count("R2") == 1

    ev = reg.evaluation(shiliu.RuleSet.preset("suzhou"), "2024", record=False)
    assert ev.run is None and ev.digest == df.attrs["digest"] and len(ev.findings) == len(df)
    comp = ev.compliance
    assert list(comp.columns) == ["unit", "code", "name", "depth", "rule", "compliant", "non_compliant", "undecided", "rate"]
    root = comp[(comp["unit"] == street.city) & comp["rule"].isna()].iloc[0]
    assert (root["code"], root["depth"]) == ("320500", 0)
    assert root["compliant"] + root["non_compliant"] + root["undecided"] == len(df)
    st = comp[(comp["unit"] == street.street) & (comp["rule"] == "R3")].iloc[0]
    assert (st["compliant"], st["non_compliant"], st["rate"]) == (0, 1, 0.0)
    assert ev.to_dict()["findings"][0]["rule"] == "R1"


def test_overrides_turn_the_late_visit_on_time(reg: shiliu.Registry, street: Street) -> None:
    relaxed = shiliu.RuleSet.preset("suzhou", **{"R6.within_days": 10})
    r6 = finding(reg.evaluate(relaxed, "2024", only=["R6"]), "R6")
    assert (r6["status"], r6["actual"], r6["expected"], r6["due"]) == ("on_time", 9.0, 10.0, pd.Timestamp("2024-05-11"))
    assert "逾期" not in r6["explanation_zh"]
    strict = shiliu.RuleSet.preset("suzhou", overrides={"R6.within_days": 5})
    assert finding(reg.evaluate(strict, "2024", only=["R6"]), "R6")["status"] == "late"


def test_reproduce_gives_the_same_digest(reg: shiliu.Registry, street: Street) -> None:
    first = reg.evaluation(shiliu.RuleSet.preset("suzhou"), "2024")
    assert first.run is not None
    info = reg.run_info(first.run)
    assert (info["id"], info["digest"], info["transaction"], info["rule_set"]) == (
        first.run, first.digest, first.transaction, "suzhou",
    )
    assert info["findings"] == len(first.findings) and info["recorded_in"] == first.transaction + 1
    # The Q3 meeting is recorded late: a new evaluation differs, the run does not.
    reg.record_activity("meeting", "2024-08-20", street.street, subtype="联络员会议")
    later = reg.evaluate(shiliu.RuleSet.preset("suzhou"), "2024")
    assert later.attrs["digest"] != first.digest
    assert finding(later, "R2", period_from=pd.Timestamp("2024-07-01"))["status"] == "met"
    again = reg.reproduce(first.run)
    assert again.attrs["digest"] == first.digest and again.attrs["run"] == first.run
    assert again.attrs["transaction"] == first.transaction and again.attrs["today"] == first.today
    check_hand_findings(again, street)
    pd.testing.assert_frame_equal(again, first.findings, check_categorical=False)
    assert reg.reproduce_evaluation(first.run).to_dict() == first.to_dict()
    with pytest.raises(shiliu.NotFoundError):
        reg.reproduce(999_999)
    # A view of an earlier transaction evaluates as the registry did then (not recorded).
    past = reg.at_transaction(first.transaction).evaluate("suzhou", "2024")
    assert past.attrs["digest"] == first.digest and past.attrs["run"] is None


def test_only_writers_record_runs(reg: shiliu.Registry, street: Street, tmp_path: Path) -> None:
    path = tmp_path / "street.db"
    with shiliu.Registry.open(path, today=TODAY) as admin:
        s = build_street(admin)
        aid, _ = admin.record_activity("aid", "2024-06-01", s.daoqian, subjects=[s.resident], note="住院慰问，家属电话见台账")
        assert admin.activity(aid)["note"] == "住院慰问，家属电话见台账"
    viewer = shiliu.Principal(name="查看员", role="viewer", scope=s.street)
    with shiliu.Registry.open(path, viewer, today=TODAY) as v:
        assert v.activity(aid)["note"] is None  # personal data: masked for viewers
        assert pd.isna(v.activities(from_="2024-06-01", to="2024-06-01")["note"].iloc[0])
        df = v.evaluate("suzhou", "2024")
        assert df.attrs["run"] is None
        check_hand_findings(df, s)
        with pytest.raises(shiliu.AccessDenied):
            v.evaluate("suzhou", "2024", record=True)
        with pytest.raises(shiliu.ShiliuError):
            v.record_activity("visit", "2024-06-01", s.daoqian, subjects=[s.resident])


def test_bad_requests(reg: shiliu.Registry, street: Street) -> None:
    with pytest.raises(shiliu.ValidationError, match="period"):
        reg.evaluate("suzhou", "2024-Q5")
    with pytest.raises(shiliu.ValidationError):
        reg.evaluate("nowhere", "2024")
    with pytest.raises(TypeError):
        reg.evaluate(42, "2024")  # type: ignore[arg-type]
    # Periods in every notation.
    assert reg.evaluate("suzhou", ("2024-01-01", D(2024, 6, 30)), record=False).attrs["period_to"] == D(2024, 6, 30)
    assert reg.evaluate("suzhou", 2024, record=False).attrs["period_from"] == D(2024, 1, 1)
    h1 = reg.evaluate("suzhou", "2024-H1", only=["R2"], record=False)
    assert h1["period_from"].dt.month.tolist() == [1, 4]


# -- activities ---------------------------------------------------------------------------


def test_recording_and_reading_activities(reg: shiliu.Registry, street: Street) -> None:
    again = reg.record_activity("走访", "2024-05-10", street.daoqian, subjects=[street.resident], participants=[street.b])
    assert again == (street.visit, "unchanged")
    aid, outcome = reg.record_activity(
        "帮扶", "2024-06-01", street.daoqian, subjects=[street.resident], aid_kind="慰问金", amount=500,
        evidence=["发放表.pdf", ("照片.jpg", "ab" * 32)], reference="BF-2024-001", note="住院慰问",
    )
    assert outcome == "inserted"
    changed = reg.record_activity(
        "aid", "2024-06-01", street.daoqian, subjects=[street.resident], aid_kind="慰问金", amount=800,
        reference="BF-2024-001",
    )
    assert changed == (aid, "updated")
    answer, _ = reg.record_activity(
        "visit", "2024-05-02", street.daoqian, subjects=[street.resident], answers=street.hospitalised,
    )
    one = reg.activity(aid)
    assert (one["kind"], one["kind_zh"], one["date"], one["amount"], one["unit_name"]) == ("aid", "帮扶", D(2024, 6, 1), 800.0, "道前社区")
    with pytest.raises(shiliu.ValidationError):
        reg.record_activity("visit", "2025-01-01", street.daoqian)  # in the future
    with pytest.raises(shiliu.NotFoundError):
        reg.record_activity("visit", "2024-06-01", street.daoqian, participants=[999_999])

    df = reg.activities(from_="2024-01-01", to=D(2024, 12, 31))
    assert list(df.columns) == [
        "id", "date", "kind", "kind_zh", "subtype", "title", "unit", "unit_name", "body", "participants",
        "subjects", "answers", "category", "resolved", "aid_kind", "amount", "evidence", "note", "reference",
        "transaction",
    ]
    assert pd.api.types.is_datetime64_any_dtype(df["date"]) and df["date"].is_monotonic_increasing
    assert isinstance(df["kind"].dtype, pd.CategoricalDtype) and str(df["id"].dtype) == "Int64"
    assert str(df["resolved"].dtype) == "boolean" and df["amount"].dtype == "float64"
    assert df["kind"].value_counts()[["meeting", "visit", "aid"]].tolist() == [3, 2, 1]
    visit = df[df["id"] == answer].iloc[0]
    assert (visit["subjects"], visit["participants"], visit["answers"]) == ([street.resident], [], street.hospitalised)
    # With the answering visit on 05-02, R6 is on time.
    assert finding(reg.evaluate("suzhou", "2024", only=["R6"], record=False), "R6")["status"] == "on_time"
    community = reg.activities(street.daoqian, from_="2024-01-01", to="2024-12-31")
    assert set(community["unit"]) == {street.daoqian} and len(community) == 3
    q1 = reg.activities(under=street.street, from_="2024-01-01", to="2024-03-31")
    assert q1["id"].tolist() == [street.meetings[0]]


HEADER = "日期,类型,子类型,主题,单位,机构,参加人员,对象,金额,证明材料,编号,备注"


def activity_rows() -> list[str]:
    return [
        f"2024-08-20,会议,联络员会议,第三季度联络员会议,苏州市/姑苏区/府前街道,{GROUP_NAME},张明、李华,,,会议纪要2024-08.pdf,HY-2024-08,",
        f"2024/9/1,走访,,中秋走访,{DAOQIAN_CODE},,李华,{RESIDENT_ID_NUMBER},,,ZF-2024-09,",
        f"2024年9月20日,帮扶,,困难帮扶,{DAOQIAN_CODE},,李华,{RESIDENT_ID_NUMBER},500元,发放表.pdf,BF-2024-09,生活困难",
        # Bad: no such unit (row 6: title row 1, header row 2, data from row 3).
        "2024-09-25,宣传,,民族团结宣传月,苏州市/姑苏区/不存在街道,,,,,,XC-2024-09,",
        # Bad: a participant nobody knows.
        f"2024-10-08,会议,联络员会议,,{STREET_CODE},,王五,,,,HY-2024-10,",
    ]


def write_gb18030(path: Path, data: list[str]) -> Path:
    text = "府前街道民族工作记录（2024年）,,,,,,,,,,,\n" + HEADER + "\n" + "".join(f"{r}\n" for r in data)
    path.write_bytes(text.encode("gb18030"))
    return path


def test_import_a_gb18030_csv(reg: shiliu.Registry, street: Street, tmp_path: Path) -> None:
    path = write_gb18030(tmp_path / "工作记录.csv", activity_rows())
    dry = reg.import_activities(path, dry_run=True)
    assert (dry.rows_read, dry.inserted, dry.transaction) == (5, 3, None)
    before = reg.transaction
    report = reg.import_activities(path)
    assert (report.rows_read, report.inserted, report.updated, report.unchanged) == (5, 3, 0, 0)
    assert report.transaction == reg.transaction == before + 1
    assert [(r["file"], r["sheet"], r["row"], r["column"], r["value"], r["code"]) for r in rows(report.rejected)] == [
        ("工作记录.csv", None, 6, "单位", "苏州市/姑苏区/不存在街道", "activity.unknown_unit"),
        ("工作记录.csv", None, 7, "参加人员", "王五", "activity.unknown_person"),
    ]
    assert all(r["message"] and r["message_zh"] for r in rows(report.rejected))
    assert "单位" in rows(report.rejected)[0]["message_zh"]
    assert str(report.rejected["row"].dtype) == "Int64"
    assert report.to_dict()["inserted"] == 3

    imported = reg.activities(from_="2024-08-01", to="2024-09-30")
    meeting, visit, aid = rows(imported)
    assert (meeting["kind"], meeting["subtype"], meeting["unit"], meeting["body"]) == ("meeting", "联络员会议", street.street, street.group)
    assert meeting["participants"] == sorted([street.a, street.b])
    assert meeting["evidence"] == [{"document": "会议纪要2024-08.pdf"}] and meeting["reference"] == "HY-2024-08"
    assert (visit["date"], visit["subjects"]) == (pd.Timestamp("2024-09-01"), [street.resident])
    assert (aid["kind"], aid["amount"], aid["date"]) == ("aid", 500.0, pd.Timestamp("2024-09-20"))
    # The imported Q3 meeting closes R2's gap.
    r2 = reg.evaluate("suzhou", "2024", only=["R2"], record=False)
    assert r2["status"].astype(str).tolist() == ["met", "met", "met", "met"]

    again = reg.import_activities(path)
    assert (again.inserted, again.updated, again.unchanged, again.transaction) == (0, 0, 3, None)
    assert reg.transaction == before + 1
    pd.testing.assert_frame_equal(again.rejected, report.rejected)


def test_import_an_xlsx_with_two_sheets(reg: shiliu.Registry, street: Street, tmp_path: Path) -> None:
    header = HEADER.split(",")
    first = [header, *(r.split(",") for r in activity_rows()[:1])]
    second = [
        ["道前社区走访记录"],
        header,
        *(r.split(",") for r in activity_rows()[1:3]),
        f"2024-02-30,走访,,,{DAOQIAN_CODE},,李华,{RESIDENT_ID_NUMBER},,,ZF-2024-02,".split(","),
    ]
    path = write_xlsx(tmp_path / "activities.xlsx", [("会议", first), ("走访", second)])
    only_first = reg.import_activities(path, dry_run=True)
    assert (only_first.rows_read, only_first.inserted) == (1, 1)
    report = reg.import_activities(path, sheet="all")
    assert (report.rows_read, report.inserted, report.unchanged) == (4, 3, 0)
    # The second sheet has a title row: its header is row 2, its data from row 3.
    assert [(r["file"], r["sheet"], r["row"], r["column"], r["value"], r["code"]) for r in rows(report.rejected)] == [
        ("activities.xlsx", "走访", 5, "日期", "2024-02-30", "activity.bad_date"),
    ]
    assert rows(report.rejected)[0]["message_zh"] == "日期格式无法识别"
    again = reg.import_activities(path, sheet="all")
    assert (again.inserted, again.updated, again.unchanged, again.transaction) == (0, 0, 3, None)
    named = reg.import_activities(path, sheet="走访", dry_run=True)
    assert (named.rows_read, named.unchanged) == (3, 2)
    # A mapping for a header the importer does not know.
    renamed = tmp_path / "renamed.xlsx"
    write_xlsx(renamed, [("会议", [["开会日子", *header[1:]], first[1]])])
    with pytest.raises(shiliu.ValidationError):
        reg.import_activities(renamed, dry_run=True)
    mapped = reg.import_activities(renamed, mapping={"开会日子": "date"}, dry_run=True)
    assert (mapped.rows_read, mapped.unchanged) == (1, 1)


# -- assessment -----------------------------------------------------------------------------


def test_assess_ranks_communities_and_a_manual_entry_changes_a_score(reg: shiliu.Registry, street: Street) -> None:
    scheme = shiliu.Scheme.preset("model_community")
    suzhou = shiliu.RuleSet.preset("suzhou")
    df = reg.assess(scheme, suzhou, "2024", under=street.street)
    assert df["rank"].tolist() == [1, 2] and df["unit"].tolist() == [street.jinfan, street.daoqian]
    assert df.attrs["threshold"] == 90.0 and df.attrs["scheme"] == "model_community"
    assert list(df.columns[:7]) == ["rank", "unit", "code", "name", "total", "eligible", "vetoed"]
    assert [c for c in df.columns[7:]] == [i["id"] for i in scheme.items]
    daoqian = df.set_index("name").loc["道前社区"]
    # The late must-visit costs 道前社区 B1 (15 points × 0 % on time); C3 is not entered yet.
    assert (daoqian["B1"], daoqian["C3"], daoqian["eligible"], daoqian["vetoed"]) == (0.0, 0.0, False, [])
    # Items tied to rules that found nothing to judge: no points (A1, A2), or full points
    # where nothing was required (B1–B3: if_none = "full").
    assert df["total"].tolist() == [40.0, 35.0]
    assert df["eligible"].dtype == bool

    entry = reg.enter_assessment(scheme, street.daoqian, "2024", "C3", points=8, reason="居民满意度测评92%")
    assert isinstance(entry, int)
    after = reg.assessment("model_community", "suzhou", "2024", under=street.street)
    scores = after.scores.set_index("unit")
    assert scores.loc[street.daoqian, "C3"] == 8.0 and scores.loc[street.daoqian, "total"] == 43.0
    items = after.items
    c3 = items[(items["unit"] == street.daoqian) & (items["item"] == "C3")].iloc[0]
    assert (c3["basis"], c3["note"], c3["max"], c3["item_name"]) == ("manual", "居民满意度测评92%", 10.0, "居民满意度测评")
    # A new entry supersedes; a veto (一票否决) is listed.
    reg.enter_assessment(scheme, street.daoqian, "2024", "C3", points=10, reason="复核")
    reg.enter_assessment(scheme, street.daoqian, "2024", "V1", veto=True, reason="发生群体性事件")
    last = reg.assess(scheme, suzhou, "2024", under=street.street)
    # 道前社区 scores more (45) but is vetoed: it ranks after 锦帆路社区 (40).
    assert [(r["name"], r["total"], r["vetoed"]) for r in rows(last)] == [("锦帆路社区", 40.0, []), ("道前社区", 45.0, ["V1"])]
    assert last["rank"].tolist() == [1, 2]
    with pytest.raises(shiliu.ValidationError):
        reg.enter_assessment(scheme, street.daoqian, "2024", "B1", points=10, reason="computed items cannot be entered")
    with pytest.raises(shiliu.ValidationError):
        reg.enter_assessment(scheme, street.daoqian, "2024", "C3", points=11, reason="too many")
    with pytest.raises(shiliu.ValidationError):
        reg.enter_assessment(scheme, street.daoqian, "2024", "C3", points=5, reason=" ")


# -- without pandas -------------------------------------------------------------------------


def test_without_pandas_tables_are_lists(reg: shiliu.Registry, street: Street, monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.import_module

    def no_pandas(name: str, package: str | None = None) -> Any:
        if name == "pandas":
            raise ImportError("no pandas here")
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", no_pandas)
    ev = reg.evaluation("suzhou", "2024", record=False)
    assert isinstance(ev.findings, list) and isinstance(ev.compliance, list)
    r6 = [f for f in ev.findings if f["rule"] == "R6"][0]
    assert (r6["status"], r6["due"], r6["evidence"]) == ("late", D(2024, 5, 8), [street.visit])
    assert isinstance(reg.evaluate("suzhou", "2024", record=False), list)
    acts = reg.activities(from_="2024-01-01", to="2024-12-31")
    assert isinstance(acts, list) and acts[0]["date"] == D(2024, 2, 20)
    scores = reg.assess("model_community", "suzhou", "2024")
    assert [s["rank"] for s in scores] == [1, 2]
