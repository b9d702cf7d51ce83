"""Principals: scope across reorganisations, refusals, masking, the audit log."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import shiliu
from conftest import TODAY, Suzhou
from shiliu._registry import Role

THEN = "2003-06-30"

Opener = Callable[..., shiliu.Registry]


@pytest.fixture
def open_as(suzhou: Suzhou) -> Iterator[Opener]:
    """Opens the Suzhou file for a principal scoped to 姑苏区 (unless told otherwise)."""
    handles: list[shiliu.Registry] = []

    def opener(role: Role, scope: int | None = suzhou.gusu, name: str | None = None, purpose: str | None = None) -> shiliu.Registry:
        principal = shiliu.Principal(name or f"{role}@gusu", role, scope, purpose=purpose)
        handles.append(shiliu.Registry.open(suzhou.path, principal, today=TODAY))
        return handles[-1]

    yield opener
    for h in handles:
        h.close()


def names(table: Any) -> list[str]:
    return [str(n) for n in table["name"]]


def test_operator_scope_covers_predecessors(reg: shiliu.Registry, open_as: Opener, suzhou: Suzhou) -> None:
    op = open_as("operator")
    then = op.tree(THEN)
    assert names(then[then["depth"] == 0]) == ["沧浪区", "平江区", "金阊区"]
    assert suzhou.city not in set(then["id"]) and "苏州市" not in names(then)
    everything_then = reg.tree(THEN)
    assert set(then["id"]) == set(everything_then["id"]) - {suzhou.city}
    now = op.tree(TODAY)
    assert names(now[now["depth"] == 0]) == ["姑苏区"]
    assert set(now["id"]) == set(reg.tree(TODAY)["id"]) - {suzhou.city}
    # Old units are readable by id, on their dates.
    assert op.unit(suzhou.canglang, THEN)["name"] == "沧浪区"
    assert op.find_by_path("沧浪区/府前街道", THEN)["id"] == suzhou.fuqian
    assert op.post_holders(suzhou.fuqian, THEN)["holder_name"].iloc[0] == "张明"


def test_scope_follows_the_scope_unit(open_as: Opener, suzhou: Suzhou) -> None:
    street = open_as("operator", scope=suzhou.pingjianglu, name="op@pingjiang")
    assert names(street.tree(TODAY)) == ["平江街道"]
    assert names(street.tree(THEN)) == ["平江路街道"]
    with pytest.raises(shiliu.AccessDenied):
        street.post_holders(suzhou.fuqian, THEN)
    with pytest.raises(shiliu.AccessDenied):
        street.unit(suzhou.gusu, TODAY)


def test_reading_outside_scope_is_denied(open_as: Opener, suzhou: Suzhou) -> None:
    op = open_as("operator")
    city = suzhou.city
    calls: list[Callable[[], object]] = [
        lambda: op.unit(city, TODAY),
        lambda: op.tree(TODAY, root=city),
        lambda: op.descendants(city, TODAY),
        lambda: op.find_by_code("320500", TODAY),
        lambda: op.find_by_path("苏州市", TODAY),
        lambda: op.successors(city, TODAY),
        lambda: op.predecessors(city),
        lambda: op.post_holders(city, TODAY),
        lambda: op.vacant_posts(city, TODAY),
        lambda: op.history(city),
    ]
    for call in calls:
        with pytest.raises(shiliu.AccessDenied) as info:
            call()
        assert isinstance(info.value, PermissionError)
        assert (info.value.code, info.value.kind) == (3001, "access_denied")
        assert "operator@gusu" in str(info.value)


def test_writing_outside_scope_is_denied(reg: shiliu.Registry, open_as: Opener, suzhou: Suzhou) -> None:
    op = open_as("operator")
    t = reg.transaction
    calls: list[Callable[[], object]] = [
        lambda: op.add_unit(kind="district", name="新区", parent=suzhou.city, valid_from="2020-01-01"),
        lambda: op.add_unit(kind="city", name="无锡市", code="320200", valid_from="2020-01-01"),
        lambda: op.add_body(unit=suzhou.city, kind="领导小组", name="市领导小组", valid_from="2020-01-01"),
        lambda: op.reorganise("rename", unit=suzhou.city, date="2020-01-01", name="姑苏市"),
        lambda: op.set_parent(suzhou.gusu, "managing", suzhou.city, "2020-01-01"),
    ]
    for call in calls:
        with pytest.raises(shiliu.AccessDenied):
            call()
    assert reg.transaction == t
    # Inside the scope the operator writes, and sees what it wrote.
    street = op.add_unit(kind="street", name="新街道", parent=suzhou.gusu, valid_from="2020-01-01")
    assert reg.transaction == t + 1
    assert op.unit(street, TODAY)["parent"] == suzhou.gusu
    assert "新街道" in names(op.tree(TODAY))


def test_viewer_sees_masked_names(open_as: Opener, suzhou: Suzhou) -> None:
    viewer = open_as("viewer")
    holders = viewer.post_holders(suzhou.fuqian, THEN)
    real = ["张明", "李华", "王芳", "赵强"]
    assert list(holders["holder_masked"]) == [True] * 4
    shown = [str(n) for n in holders["holder_name"]]
    for masked, name in zip(shown, real, strict=True):
        assert masked != name
        assert re.fullmatch(re.escape(name[0]) + r"\*+", masked)
    assert list(holders["holder_id"]) != [None] * 4
    person = viewer.person_history(suzhou.leader)["person"]
    assert person == {"id": suzhou.leader, "name": "张*", "masked": True}
    [version] = viewer.history(suzhou.leader)
    assert (version["fact"]["name"], version["fact"]["phone"]) == ("张*", "138****5678")
    with pytest.raises(shiliu.AccessDenied):
        viewer.add_person(name="马丽")


def test_analyst_reads_aggregates_only(open_as: Opener, suzhou: Suzhou) -> None:
    analyst = open_as("analyst")
    operator = open_as("operator")
    for call in (
        lambda: analyst.post_holders(suzhou.fuqian, THEN),
        lambda: analyst.person_history(suzhou.leader),
        lambda: analyst.history(suzhou.leader),
        lambda: analyst.add_person(name="马丽"),
    ):
        with pytest.raises(shiliu.AccessDenied):
            call()
    tree = analyst.tree(THEN)
    assert names(tree[tree["depth"] == 0]) == ["沧浪区", "平江区", "金阊区"]
    assert list(tree["id"]) == list(operator.tree(THEN)["id"])


def test_audit_log(reg: shiliu.Registry, open_as: Opener, suzhou: Suzhou) -> None:
    op = open_as("operator", name="zhang.wei@gusu", purpose="年度核对")
    street = op.add_unit(kind="street", name="新街道", parent=suzhou.gusu, valid_from="2020-01-01")
    write_tx = op.last_transaction
    op.post_holders(suzhou.fuqian, THEN)
    viewer = open_as("viewer")
    viewer.post_holders(suzhou.fuqian, THEN)  # masked: nothing revealed, nothing audited

    log = reg.audit_log()
    assert log["broken_at"] is None
    entries = log["entries"]
    assert [e["id"] for e in entries] == sorted(e["id"] for e in entries)
    assert len({e["hash"] for e in entries}) == len(entries)
    assert all(re.fullmatch(r"[0-9a-f]{64}", e["hash"]) for e in entries)
    # Building the network: one audited write per transaction.
    admin_writes = [e for e in entries if e["principal"] == "local-administrator" and e["action"] == "write"]
    assert [e["transaction"] for e in admin_writes] == list(range(1, write_tx))
    mine = [e for e in entries if e["principal"] == "zhang.wei@gusu"]
    assert [e["action"] for e in mine] == ["write", "read_personal"]
    write, read = mine
    assert (write["role"], write["purpose"], write["transaction"]) == ("operator", "年度核对", write_tx)
    assert str(street) in write["target"]
    assert read["transaction"] is None and f"unit {suzhou.fuqian}" in read["target"]
    assert "张明" not in read["target"]
    assert not [e for e in entries if e["principal"] == "viewer@gusu"]
    assert reg.transaction_info(write_tx)["principal"] == "zhang.wei@gusu"


@pytest.mark.parametrize("role", ["operator", "viewer", "analyst"])
def test_only_administrators_read_the_audit_log(open_as: Opener, role: Role) -> None:
    with pytest.raises(shiliu.AccessDenied):
        open_as(role).audit_log()


def test_scoped_administrator_is_not_everyone(open_as: Opener, suzhou: Suzhou) -> None:
    admin = open_as("administrator")
    assert len(admin.audit_log()["entries"]) > 0
    with pytest.raises(shiliu.AccessDenied):
        admin.unit(suzhou.city, TODAY)


def test_invalid_principals(suzhou: Suzhou) -> None:
    with pytest.raises(shiliu.ValidationError):
        shiliu.Registry.open(suzhou.path, shiliu.Principal("nobody", "viewer"))
    with pytest.raises(shiliu.ValidationError):
        shiliu.Registry.open(suzhou.path, shiliu.Principal(" ", "administrator"))
    with pytest.raises(shiliu.NotFoundError):
        shiliu.Registry.open(suzhou.path, shiliu.Principal("v", "viewer", 987654))
    with pytest.raises(shiliu.ValidationError):
        shiliu.Registry.open(suzhou.path, {"name": "v", "role": "superuser", "scope": suzhou.gusu})
