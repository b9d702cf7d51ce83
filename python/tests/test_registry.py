"""The registry through the Python API: as-of trees, lineage, posts, history,
persistence and errors. (The CSV import of units is in test_import.py.)"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest

import shiliu
from conftest import TODAY, Suzhou, rows
from shiliu._registry import Hierarchy

pd: Any = pytest.importorskip("pandas")

THEN = "2003-06-30"


# -- trees and lookups -----------------------------------------------------------------


def test_tree_then_and_now(reg: shiliu.Registry, suzhou: Suzhou) -> None:
    then = reg.tree(THEN)
    now = reg.tree(TODAY)
    for t in (then, now):
        assert {"id", "name", "code", "depth", "path", "valid_from"} <= set(t.columns)
        assert t.iloc[0]["name"] == "苏州市" and t.iloc[0]["depth"] == 0
    assert list(then[then["depth"] == 1]["name"]) == ["沧浪区", "平江区", "金阊区"]
    assert list(now[now["depth"] == 1]["name"]) == ["姑苏区"]
    assert "姑苏区" not in set(then["name"]) and "府前街道" in set(then["name"])
    assert "沧浪区" not in set(now["name"]) and "府前街道" not in set(now["name"])
    by_name = {r["name"]: r for r in rows(then)}
    assert by_name["府前街道"]["path"] == "苏州市/沧浪区/府前街道"
    assert by_name["府前街道"]["valid_from"] == datetime.date(1983, 1, 18)
    assert by_name["府前街道"]["valid_to"] == datetime.date(2004, 3, 1)
    assert by_name["沧浪区"]["code"] == "320502"
    now_by_name = {r["name"]: r for r in rows(now)}
    assert now_by_name["沧浪街道"]["id"] == suzhou.nanmen
    assert now_by_name["道前社区"]["path"] == "苏州市/姑苏区/沧浪街道/道前社区"
    assert now_by_name["姑苏区"]["valid_from"] == datetime.date(2012, 9, 1)


def test_working_hierarchy(reg: shiliu.Registry, suzhou: Suzhou) -> None:
    working = rows(reg.tree(THEN, root=suzhou.fuqian, hierarchy="working"))
    assert [(r["depth"], r["name"]) for r in working] == [
        (0, "府前街道"),
        (1, "北片"),
        (2, "锦帆路社区"),
        (1, "南片"),
        (2, "道前社区"),
    ]
    daoqian = working[-1]
    assert daoqian["parent"] == suzhou.south_area
    assert daoqian["path"] == "苏州市/沧浪区/府前街道/南片/道前社区"
    # The legal hierarchy keeps the community directly under its street.
    assert reg.unit(suzhou.daoqian, THEN)["parent"] == suzhou.fuqian
    assert reg.unit(suzhou.daoqian, THEN, hierarchy="working")["parent"] == suzhou.south_area
    later = reg.ancestors(suzhou.daoqian, TODAY, hierarchy="working")
    assert list(later["name"]) == ["苏州市", "姑苏区", "沧浪街道", "南片"]


def test_find_by_path(reg: shiliu.Registry, suzhou: Suzhou) -> None:
    assert reg.find_by_path("沧浪区/府前街道", THEN)["id"] == suzhou.fuqian
    found = reg.find_by_path("姑苏区/沧浪街道", TODAY)
    assert (found["id"], found["name"], found["parent"]) == (suzhou.nanmen, "沧浪街道", suzhou.gusu)
    assert reg.find_by_path("沧浪区/南门街道", THEN)["id"] == suzhou.nanmen
    with pytest.raises(shiliu.NotFoundError) as info:
        reg.find_by_path("沧浪区/府前街道", TODAY)
    assert isinstance(info.value, LookupError) and info.value.code == 2001
    with pytest.raises(shiliu.NotFoundError):
        reg.find_by_path("姑苏区/沧浪街道", THEN)


def test_find_by_code(reg: shiliu.Registry, suzhou: Suzhou) -> None:
    assert reg.find_by_code("320502", THEN)["id"] == suzhou.canglang
    gusu = reg.find_by_code("320508", TODAY)
    assert (gusu["id"], gusu["name"], gusu["parent"]) == (suzhou.gusu, "姑苏区", suzhou.city)
    assert reg.find_by_code(" ３２０５０８ ", TODAY)["id"] == suzhou.gusu
    with pytest.raises(shiliu.NotFoundError):
        reg.find_by_code("320508", THEN)
    with pytest.raises(shiliu.NotFoundError):
        reg.find_by_code("320502", TODAY)


def test_lineage(reg: shiliu.Registry, suzhou: Suzhou) -> None:
    assert list(reg.successors(suzhou.fuqian, TODAY)["name"]) == ["沧浪街道"]
    assert list(reg.successors(suzhou.fuqian, TODAY)["id"]) == [suzhou.nanmen]
    assert list(reg.successors(suzhou.fuqian, THEN)["id"]) == [suzhou.fuqian]
    assert list(reg.successors(suzhou.canglang, TODAY)["id"]) == [suzhou.gusu]
    preds = rows(reg.predecessors(suzhou.gusu))
    assert sorted(p["predecessor_name"] for p in preds) == sorted(["沧浪区", "平江区", "金阊区"])
    assert {p["predecessor"] for p in preds} == {suzhou.canglang, suzhou.pingjiang, suzhou.jinchang}
    assert {(p["kind"], p["kind_zh"], p["date"], p["successor_name"]) for p in preds} == {
        ("merge", "合并", "2012-09-01", "姑苏区")
    }
    into_nanmen = rows(reg.predecessors(suzhou.nanmen))
    assert [(p["predecessor_name"], p["date"]) for p in into_nanmen] == [("府前街道", "2004-03-01")]


# -- posts, people, history ------------------------------------------------------------


def test_post_holders(reg: shiliu.Registry, suzhou: Suzhou) -> None:
    holders = rows(reg.post_holders(suzhou.fuqian, THEN))
    assert [h["role_zh"] for h in holders] == ["组长", "副组长", "组员", "组员"]
    leader = holders[0]
    assert (leader["post"], leader["holder_id"], leader["holder_name"]) == (suzhou.leader_post, suzhou.leader, "张明")
    assert leader["holder_masked"] is False
    assert "街道党工委书记" in leader["holder_titles"]
    assert leader["body_name"] == "府前街道社区少数民族工作领导小组"
    assert leader["responsibility"] == "全面负责"
    assert holders[2]["holder_titles"] == []


def test_vacant_posts_after_end(reg: shiliu.Registry, suzhou: Suzhou) -> None:
    assert len(reg.vacant_posts(suzhou.canglang, THEN)) == 0
    reg.end(suzhou.member_memberships[0], "2003-01-01")
    vacant = rows(reg.vacant_posts(suzhou.canglang, THEN))
    assert [(v["post"], v["role"], v["holder_id"]) for v in vacant] == [(suzhou.member_posts[0], "member", None)]
    assert len(reg.vacant_posts(suzhou.canglang, "2002-12-31")) == 0


def test_person_history(reg: shiliu.Registry, suzhou: Suzhou) -> None:
    h = reg.person_history(suzhou.leader)
    assert h["person"] == {"id": suzhou.leader, "name": "张明", "masked": False}
    [m] = h["memberships"]
    assert (m["post"], m["role_zh"], m["unit_name"]) == (suzhou.leader_post, "组长", "府前街道")
    # The merge of 2004 ended the group's posts and memberships.
    assert (m["valid_from"], m["valid_to"]) == (datetime.date(2002, 3, 1), datetime.date(2004, 3, 1))
    assert [p["title"] for p in h["positions"]] == ["街道党工委书记"]


def test_history_records_versions(reg: shiliu.Registry, suzhou: Suzhou) -> None:
    post = suzhou.south_head_post
    holding = rows(reg.post_holders(suzhou.south_area, TODAY))[0]
    membership = reg.person_history(holding["holder_id"])["memberships"][0]["membership"]
    before = reg.history(membership)
    assert len(before) == 1 and before[0]["superseded_in"] is None
    reg.end(membership, "2010-01-01")
    ended_in = reg.last_transaction
    after = reg.history(membership)
    assert [v["id"] for v in after] == [membership, membership]
    assert after[0]["recorded_in"] == before[0]["recorded_in"]
    assert after[0]["superseded_in"] == ended_in == after[1]["recorded_in"]
    assert after[1]["superseded_in"] is None
    assert after[0]["fact"]["valid"] == {"from": "2002-03-01"}
    assert after[1]["fact"]["valid"] == {"from": "2002-03-01", "to": "2010-01-01"}
    assert after[1]["fact"]["post"] == post
    info = reg.transaction_info(ended_in)
    assert (info["id"], info["principal"], info["role"]) == (ended_in, "local-administrator", "administrator")


def test_transaction_increases_per_write(reg: shiliu.Registry, suzhou: Suzhou) -> None:
    t0 = reg.transaction
    assert t0 > 0
    person = reg.add_person(name="马丽")
    assert reg.transaction == reg.last_transaction == t0 + 1
    reg.add_position(person=person, title="民族工作联络员", unit=suzhou.pingjianglu, valid_from="2003-01-01")
    assert reg.transaction == t0 + 2
    reg.tree(TODAY)
    assert reg.transaction == reg.last_transaction == t0 + 2
    with pytest.raises(shiliu.ConflictError):
        reg.add_membership(post=suzhou.deputy_post, person=person, valid_from="2002-12-01", valid_to="2003-03-01")
    assert reg.transaction == t0 + 2


def test_organisation_warning_is_data(reg: shiliu.Registry, suzhou: Suzhou) -> None:
    reg.add_organisation(name="辖区医院", unit=suzhou.pingjianglu, credit_code="91110000600037341L", valid_from="2002-09-01")
    assert reg.last_warnings == []
    reg.add_organisation(
        name="试点单位",
        unit=suzhou.pingjianglu,
        credit_code="91110000600037341M",
        credit_code_allow=["91110000600037341M"],
        valid_from="2002-09-01",
    )
    assert [w["code"] for w in reg.last_warnings] == ["credit_code.check_failed_allowed"]
    with pytest.raises(shiliu.ValidationError) as info:
        reg.add_organisation(name="坏代码", unit=suzhou.pingjianglu, credit_code="91110000600037341M", valid_from="2002-09-01")
    assert info.value.code == 1004


def test_dates_as_date_objects_anywhere() -> None:
    with shiliu.Registry.in_memory(today=datetime.date(2024, 12, 31)) as r:
        city = r.add_unit(kind="city", name="苏州市", code="320500", valid_from=datetime.date(1983, 1, 18))
        new = r.reorganise(
            "open",
            unit={"kind": "district", "name": "姑苏区", "parent": city, "valid_from": datetime.date(2012, 9, 1)},
        )
        [gusu] = new["successors"]
        assert r.unit(gusu, datetime.date(2012, 9, 1))["name"] == "姑苏区"
        with pytest.raises(shiliu.NotFoundError):
            r.unit(gusu, datetime.date(2012, 8, 31))
        with pytest.raises(TypeError):
            r.unit(gusu, datetime.datetime(2013, 1, 1, 12, 0))


def test_raw_protocol(reg: shiliu.Registry, suzhou: Suzhou) -> None:
    doc = json.loads(reg._native.execute(json.dumps({"op": "find_by_code", "args": {"code": "320508", "as_of": TODAY}})))
    assert doc["format"] == shiliu.FORMAT_VERSION
    assert doc["transaction"] == reg.transaction
    assert doc["result"]["id"] == suzhou.gusu and doc["warnings"] == []
    assert reg.execute("unit", unit=suzhou.gusu, as_of=TODAY)["valid"] == {"from": "2012-09-01"}
    cases = [
        ('{"op": "drop_everything"}', 1006),  # unknown op: the message lists the valid ones
        ("[]", 1006),
        ('{"op": "unit", "args": {"unit": 1}}', 1007),  # a missing field
        ("not json", 1007),
        ('{"op": "tree", "args": {"as_of": "2024-02-30"}}', 1005),  # a date names its field
    ]
    for bad, code in cases:
        with pytest.raises(shiliu.ValidationError) as info:
            reg._native.execute(bad)
        assert info.value.code == code, bad
    with pytest.raises(shiliu.ValidationError, match="drop_everything.*expected one of"):
        reg._native.execute('{"op": "drop_everything"}')
    with pytest.raises(shiliu.ValidationError, match="tree.as_of"):
        reg._native.execute('{"op": "tree", "args": {"as_of": "2024-02-30"}}')
    with pytest.raises(shiliu.ValidationError):
        reg.execute("unit", unit=suzhou.gusu, as_of=TODAY, colour="red")


# -- persistence and lifetime ----------------------------------------------------------


def test_reopened_file_gives_identical_trees(suzhou: Suzhou) -> None:
    queries: list[tuple[str, int | None, Hierarchy]] = [
        (THEN, None, "legal"),
        (TODAY, None, "legal"),
        (THEN, suzhou.fuqian, "working"),
        (TODAY, suzhou.nanmen, "working"),
    ]
    with shiliu.Registry.open(suzhou.path, today=TODAY) as first:
        before = [first.tree(d, root=r, hierarchy=h) for d, r, h in queries]
        t = first.transaction
    with shiliu.Registry.open(suzhou.path, today=TODAY, must_exist=True) as again:
        after = [again.tree(d, root=r, hierarchy=h) for d, r, h in queries]
        assert again.transaction == t
    for b, a in zip(before, after, strict=True):
        assert len(b) > 0
        pd.testing.assert_frame_equal(b, a)


def test_context_manager_closes(suzhou: Suzhou) -> None:
    with shiliu.Registry.open(suzhou.path, today=TODAY) as r:
        assert r.closed is False
        assert len(r.tree(TODAY)) > 0
    assert r.closed is True
    with pytest.raises(shiliu.ShiliuError):
        r.tree(TODAY)
    with pytest.raises(shiliu.ShiliuError):
        r.add_person(name="马丽")
    with pytest.raises(shiliu.ShiliuError):
        _ = r.transaction
    r.close()  # idempotent
    assert r.closed is True


# -- errors ----------------------------------------------------------------------------


def test_not_found(reg: shiliu.Registry, suzhou: Suzhou) -> None:
    for call in (
        lambda: reg.unit(987654, TODAY),
        lambda: reg.tree(TODAY, root=987654),
        lambda: reg.successors(987654, TODAY),
        lambda: reg.unit(suzhou.fuqian, TODAY),  # closed in 2004
        lambda: reg.find_by_path("苏州市/沧浪区", TODAY),
        lambda: reg.find_by_path("苏州市/姑苏区/府前街道", TODAY),
    ):
        with pytest.raises(shiliu.NotFoundError) as info:
            call()
        assert isinstance(info.value, LookupError)
        assert (info.value.code, info.value.kind) == (2001, "not_found")


def test_post_held_twice_is_a_conflict(reg: shiliu.Registry, suzhou: Suzhou) -> None:
    other = reg.add_person(name="孙丽")
    with pytest.raises(shiliu.ConflictError) as info:
        reg.add_membership(post=suzhou.south_head_post, person=other, valid_from="2010-01-01")
    assert (info.value.code, info.value.kind) == (5001, "conflict")
    holder = rows(reg.post_holders(suzhou.south_area, TODAY))[0]
    membership = reg.person_history(holder["holder_id"])["memberships"][0]["membership"]
    reg.end(membership, "2010-01-01")
    reg.add_membership(post=suzhou.south_head_post, person=other, valid_from="2010-01-01")
    assert rows(reg.post_holders(suzhou.south_area, TODAY))[0]["holder_name"] == "孙丽"
    with pytest.raises(shiliu.ConflictError):
        reg.add_membership(post=suzhou.south_head_post, person=suzhou.leader, valid_from="2015-01-01")


@pytest.mark.parametrize("bad", ["2024-13-45", "31/12/2024", "2024-02-30", "yesterday", ""])
def test_malformed_date(reg: shiliu.Registry, suzhou: Suzhou, bad: str) -> None:
    with pytest.raises(shiliu.ValidationError) as info:
        reg.unit(suzhou.city, bad)
    assert isinstance(info.value, ValueError) and info.value.kind == "validation"
    assert 1000 < info.value.code < 2000
    with pytest.raises(shiliu.ValidationError):
        reg.add_unit(kind="street", name="新街道", parent=suzhou.gusu, valid_from=bad)


def test_interval_ending_before_start(reg: shiliu.Registry, suzhou: Suzhou) -> None:
    t = reg.transaction
    with pytest.raises(shiliu.ValidationError) as info:
        reg.add_unit(kind="street", name="新街道", parent=suzhou.gusu, valid_from="2020-01-01", valid_to="2019-01-01")
    assert info.value.code == 1006
    with pytest.raises(shiliu.ValidationError):
        reg.add_body(unit=suzhou.gusu, kind="领导小组", name="x", valid_from="2020-01-01", valid_to="2020-01-01")
    with pytest.raises(shiliu.ValidationError):
        reg.end(suzhou.member_memberships[1], "2001-01-01")
    assert reg.transaction == t


def test_opening_a_text_file_is_a_storage_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    content = "这不是数据库 — not a database\n" * 50
    path.write_text(content, encoding="utf-8")
    with pytest.raises(shiliu.StorageError) as info:
        shiliu.Registry.open(path)
    assert info.value.kind == "storage" and 4000 < info.value.code < 5000
    assert path.read_text(encoding="utf-8") == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_must_exist(tmp_path: Path) -> None:
    with pytest.raises(shiliu.ShiliuError):
        shiliu.Registry.open(tmp_path / "missing.db", must_exist=True)
    assert not (tmp_path / "missing.db").exists()


def test_a_view_pinned_to_a_transaction_reproduces_earlier_answers(reg: shiliu.Registry, suzhou: Suzhou) -> None:
    before = reg.tree(as_of=TODAY, root=suzhou.gusu)
    tx = reg.last_transaction
    reg.reorganise("rename", unit=suzhou.nanmen, date="2020-01-01", name="改名街道")
    assert "改名街道" in list(reg.tree(as_of=TODAY, root=suzhou.gusu)["name"])
    past = reg.at_transaction(tx)
    again = past.tree(as_of=TODAY, root=suzhou.gusu)
    assert list(again["name"]) == list(before["name"])
    assert past.last_transaction == tx
    with pytest.raises(shiliu.ValidationError):
        past.add_person(name="x")
    past.close()
    assert not reg.closed
