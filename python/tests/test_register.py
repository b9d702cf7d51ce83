"""The resident register through the Python API: adding, upserting, moving, departing,
ethnicity changes, circumstances, masking, audited reveals and refusals."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import shiliu
from conftest import TODAY, Suzhou, id_number, rows
from shiliu._registry import Role

MA = "11010519491231002X"
"""马兰's ID number (a valid one)."""

Opener = Callable[..., shiliu.Registry]

RESIDENT_COLUMNS = [
    "id", "name", "sex", "birth_date", "id_number", "ethnicity", "ethnicity_name", "phone",
    "category", "origin", "community", "masked",
]


@pytest.fixture
def open_as(suzhou: Suzhou) -> Iterator[Opener]:
    """Opens the Suzhou file for a principal scoped to 姑苏区 (unless told otherwise)."""
    handles: list[shiliu.Registry] = []

    def opener(role: Role, scope: int | None = suzhou.gusu, purpose: str | None = None) -> shiliu.Registry:
        principal = shiliu.Principal(f"{role}@gusu", role, scope, purpose=purpose)
        handles.append(shiliu.Registry.open(suzhou.path, principal, today=TODAY))
        return handles[-1]

    yield opener
    for h in handles:
        h.close()


@pytest.fixture
def ma(reg: shiliu.Registry, suzhou: Suzhou) -> int:
    """马兰, 回族, living in 道前社区 since 2015-03-05."""
    return reg.add_resident(
        name="马兰",
        ethnicity="回族",
        community=suzhou.daoqian,
        arrived_on=datetime.date(2015, 3, 5),
        category="migrant",
        id_number=MA,
        phone="13812345678",
        origin="640104",
    )


def test_add_resident_and_read_it_back_masked(reg: shiliu.Registry, suzhou: Suzhou, ma: int) -> None:
    assert reg.last_warnings == []
    r = reg.resident(ma, TODAY)
    assert r["id"] == ma
    assert (r["name"], r["id_number"], r["phone"]) == ("马*", "110105********002X", "138****5678")
    assert (r["sex"], r["birth_date"]) == ("female", datetime.date(1949, 12, 31))  # from the ID number
    assert (r["ethnicity"], r["ethnicity_name"], r["category"], r["origin"]) == ("03", "回族", "migrant", "640104")
    assert r["community"] == suzhou.daoqian and r["masked"] is True
    assert [(x["unit"], x["valid_from"], x["valid_to"]) for x in r["residences"]] == [
        (suzhou.daoqian, datetime.date(2015, 3, 5), None)
    ]
    with pytest.raises(TypeError):
        reg.add_resident(
            name="时间", ethnicity="回族", community=suzhou.daoqian,
            arrived_on=datetime.datetime(2015, 3, 5), category="migrant",
        )
    # The same ID number twice is a conflict; warnings come back as data.
    with pytest.raises(shiliu.ShiliuError):
        reg.add_resident(name="马兰", ethnicity="回", community=suzhou.daoqian, arrived_on="2016-01-01",
                         category="registered", id_number=MA)
    old = reg.add_resident(name="关山", ethnicity=shiliu.ethnicity("满族"), community=suzhou.jinfan,
                           arrived_on="2008-01-01", category="户籍", id_number="210102700101011")
    assert [w["code"] for w in reg.last_warnings] == ["id_number.upgraded"]
    assert reg.resident(old, TODAY)["id_number"] == "210102********0112"
    assert reg.resident(old, TODAY)["ethnicity"] == "11"


def test_residents_as_a_table(reg: shiliu.Registry, suzhou: Suzhou, ma: int) -> None:
    other = reg.add_resident(name="阿依古丽", ethnicity="维吾尔族", community=suzhou.jinfan,
                             arrived_on="2021-03-01", category="migrant", sex="female",
                             birth_date=datetime.date(2000, 1, 1))
    table = reg.residents(suzhou.gusu, TODAY)
    assert list(table.columns) == RESIDENT_COLUMNS
    assert sorted(int(i) for i in table["id"]) == sorted([ma, other])
    got = {int(r["id"]): r for r in rows(table)}
    assert (got[ma]["name"], got[ma]["id_number"], got[ma]["community"]) == ("马*", "110105********002X", suzhou.daoqian)
    assert got[other]["name"] == "阿***"
    assert table.loc[table["id"] == other, "id_number"].isna().all()  # no ID number
    assert got[other]["birth_date"] == datetime.date(2000, 1, 1)
    assert str(table["community"].dtype) == "Int64"
    # On a date before anyone arrived, the table is empty but keeps its columns.
    empty = reg.residents(suzhou.gusu, "2014-01-01")
    assert len(empty) == 0 and list(empty.columns) == RESIDENT_COLUMNS
    # The working hierarchy: 道前社区 belongs to 南片.
    south = reg.residents(suzhou.south_area, TODAY, hierarchy="working")
    assert list(south["id"]) == [ma]


def test_upsert_move_and_depart(reg: shiliu.Registry, suzhou: Suzhou) -> None:
    fields: dict[str, Any] = dict(name="金美玉", ethnicity="朝鲜族", community=suzhou.daoqian,
                                  arrived_on="2010-07-01", category="registered",
                                  id_number=id_number("22240119850203002"), phone="13912345678")
    rid, outcome = reg.upsert_resident(**fields)
    assert outcome == "inserted"
    assert reg.upsert_resident(**fields) == (rid, "unchanged")
    tx = reg.transaction
    assert reg.upsert_resident(**{**fields, "phone": "13900001111"}) == (rid, "updated")
    assert reg.transaction == tx + 1
    assert reg.resident(rid, TODAY)["phone"] == "139****1111"
    reg.move_resident(rid, suzhou.jinfan, datetime.date(2020, 5, 1))
    assert reg.resident(rid, "2020-04-30")["community"] == suzhou.daoqian
    assert reg.resident(rid, "2020-05-01")["community"] == suzhou.jinfan
    assert [x["unit"] for x in reg.resident(rid, TODAY)["residences"]] == [suzhou.daoqian, suzhou.jinfan]
    reg.depart_resident(rid, "2023-01-01")
    assert list(reg.residents(suzhou.gusu, "2022-12-31")["id"]) == [rid]
    assert len(reg.residents(suzhou.gusu, "2023-01-01")) == 0
    with pytest.raises(shiliu.NotFoundError):
        reg.resident(999_999, TODAY)


def test_masking_for_a_viewer(open_as: Opener, suzhou: Suzhou, ma: int) -> None:
    viewer = open_as("viewer")
    table = viewer.residents(suzhou.gusu, TODAY)
    assert list(table["name"]) == ["马*"]
    assert list(table["id_number"]) == ["110105********002X"]
    assert list(table["phone"]) == ["138****5678"]
    assert bool(table["masked"].iloc[0]) is True
    assert viewer.resident(ma, TODAY)["name"] == "马*"
    with pytest.raises(shiliu.AccessDenied):
        viewer.reveal_resident(ma, TODAY)
    # Out of scope: a viewer of 平江街道 cannot see 道前社区's residents.
    street = open_as("viewer", scope=suzhou.pingjianglu)
    with pytest.raises(shiliu.AccessDenied):
        street.resident(ma, TODAY)
    assert len(street.residents(suzhou.pingjianglu, TODAY)) == 0


def test_reveal_needs_an_operator_with_a_purpose_and_is_audited(
    reg: shiliu.Registry, open_as: Opener, suzhou: Suzhou, ma: int
) -> None:
    with pytest.raises(shiliu.AccessDenied, match="purpose"):
        open_as("operator").reveal_resident(ma, TODAY)
    operator = open_as("operator", purpose="走访登记")
    shown = operator.reveal_resident(ma, TODAY)
    assert (shown["name"], shown["id_number"], shown["phone"]) == ("马兰", MA, "13812345678")
    assert shown["masked"] is False
    # The ordinary read stays masked for the same operator.
    assert operator.resident(ma, TODAY)["name"] == "马*"
    log = reg.audit_log()
    assert log["broken_at"] is None
    reveals = [e for e in log["entries"] if e["action"] == "reveal_resident"]
    assert len(reveals) == 1
    assert (reveals[0]["principal"], reveals[0]["purpose"]) == ("operator@gusu", "走访登记")
    assert str(ma) in reveals[0]["target"] and "马兰" not in str(reveals[0])


def test_an_analyst_sees_no_residents(open_as: Opener, suzhou: Suzhou, ma: int) -> None:
    analyst = open_as("analyst")
    with pytest.raises(shiliu.AccessDenied) as e:
        analyst.residents(suzhou.gusu, TODAY)
    assert isinstance(e.value, PermissionError) and e.value.kind == "access_denied"
    with pytest.raises(shiliu.AccessDenied):
        analyst.resident(ma, TODAY)
    with pytest.raises(shiliu.AccessDenied):
        analyst.circumstances(ma)
    with pytest.raises(shiliu.AccessDenied):
        analyst.add_flag(ma, "hardship", "2024-01-01")


def test_a_viewer_may_not_write(open_as: Opener, suzhou: Suzhou, ma: int) -> None:
    viewer = open_as("viewer")
    with pytest.raises(shiliu.AccessDenied):
        viewer.add_resident(name="王五", ethnicity="汉族", community=suzhou.daoqian, arrived_on="2020-01-01",
                            category="registered")
    with pytest.raises(shiliu.AccessDenied):
        viewer.move_resident(ma, suzhou.jinfan, "2024-01-01")


def test_ethnicity_changes_follow_the_2015_rules(reg: shiliu.Registry, suzhou: Suzhou) -> None:
    child = reg.add_resident(
        name="马小明", ethnicity="汉族", community=suzhou.daoqian, arrived_on="2010-05-01",
        category="registered", id_number=id_number("32050220100501001"),
        father_ethnicity="回族", mother_ethnicity="汉族",
    )
    # At 10, to the father's ethnicity: allowed, nothing left unchecked.
    assert reg.change_ethnicity(child, "回族", datetime.date(2020, 6, 1), reason="苏民宗〔2020〕1号") == []
    assert reg.resident(child, "2020-05-31")["ethnicity"] == "01"
    assert reg.resident(child, "2020-06-01")["ethnicity_name"] == "回族"
    assert list(reg.residents(suzhou.gusu, TODAY)["ethnicity"]) == ["03"]
    # A second change before 18 is refused.
    with pytest.raises(shiliu.ValidationError, match="one change"):
        reg.change_ethnicity(child, "汉族", "2024-01-01")
    # A change to neither parent's ethnicity is refused.
    with pytest.raises(shiliu.ValidationError, match="father"):
        reg.change_ethnicity(child, "满族", "2028-06-01")
    # Unchanged ethnicity: refused.
    with pytest.raises(shiliu.ValidationError):
        reg.change_ethnicity(child, "回族", "2029-01-01")
    # Parents unrecorded: allowed with a warning; over 20: refused.
    adult = reg.add_resident(name="岩温", ethnicity="汉族", community=suzhou.daoqian, arrived_on="2019-06-01",
                             category="migrant", id_number=id_number("53310320050909003"))
    warnings = reg.change_ethnicity(adult, shiliu.ethnicity("德昂族"), "2024-01-01")
    assert [w["code"] for w in warnings] == ["ethnicity.parents_unknown"]
    assert reg.resident(adult, TODAY)["ethnicity"] == "46"
    old = reg.add_resident(name="老人", ethnicity="汉族", community=suzhou.daoqian, arrived_on="2019-06-01",
                           category="registered", id_number=id_number("32050219500101001"))
    with pytest.raises(shiliu.ValidationError, match="18"):
        reg.change_ethnicity(old, "回族", "2024-01-01")


def test_circumstances(reg: shiliu.Registry, open_as: Opener, suzhou: Suzhou, ma: int) -> None:
    flag = reg.add_flag(ma, "困难", datetime.date(2023, 1, 1), detail="因病致困", valid_to="2024-07-01")
    reg.add_flag(ma, "elderly_alone", "2024-01-01")
    event = reg.add_life_event(ma, "住院", datetime.date(2024, 3, 5), note="市立医院")
    reg.declare_preference(ma, "清真饮食", "yes", datetime.date(2024, 1, 1))
    with pytest.raises(shiliu.ValidationError):
        reg.add_life_event(ma, "hospitalised", "2025-06-01")  # in the future
    with pytest.raises(shiliu.ValidationError):
        reg.declare_preference(ma, "burial_custom", "  ", "2024-01-01")
    c = reg.circumstances(ma)
    assert c["resident"] == ma
    assert [(f["id"], f["kind"], f["kind_zh"], f["detail"], f["valid_from"], f["valid_to"]) for f in c["flags"]] == [
        (flag, "hardship", "困难", "因病致困", datetime.date(2023, 1, 1), datetime.date(2024, 7, 1)),
        (c["flags"][1]["id"], "elderly_alone", "独居老人", None, datetime.date(2024, 1, 1), None),
    ]
    assert [(e["id"], e["kind"], e["kind_zh"], e["date"], e["note"]) for e in c["events"]] == [
        (event, "hospitalised", "住院", datetime.date(2024, 3, 5), "市立医院"),
    ]
    assert c["preferences"] == [
        {"resident": ma, "kind": "halal_diet", "value": "yes", "declared_on": datetime.date(2024, 1, 1)}
    ]
    # A viewer sees the flags and events but not their details.
    seen = open_as("viewer").circumstances(ma)
    assert [f["detail"] for f in seen["flags"]] == [None, None]
    assert [e["note"] for e in seen["events"]] == [None]
    assert [f["kind"] for f in seen["flags"]] == ["hardship", "elderly_alone"]
    # An operator outside the resident's scope may not flag them.
    with pytest.raises(shiliu.AccessDenied):
        open_as("operator", scope=suzhou.pingjianglu).add_flag(ma, "hardship", "2024-01-01")


def test_a_pinned_view_answers_as_before(reg: shiliu.Registry, suzhou: Suzhou, ma: int) -> None:
    tx = reg.transaction
    reg.move_resident(ma, suzhou.jinfan, "2024-06-01")
    then = reg.at_transaction(tx)
    assert then.resident(ma, TODAY)["community"] == suzhou.daoqian
    assert reg.resident(ma, TODAY)["community"] == suzhou.jinfan
    with pytest.raises(shiliu.ValidationError):
        then.depart_resident(ma, "2024-07-01")
