"""One registry handle shared by threads; two handles on one file."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

import shiliu
from conftest import TODAY, Suzhou

THEN = "2003-06-30"
WRITES = 25
READERS = 8


def snapshot(table: Any) -> list[tuple[int, str, int]]:
    return [(int(r["id"]), str(r["path"]), int(r["depth"])) for r in table.to_dict("records")]


def new_streets(table: Any) -> list[str]:
    return sorted(str(n) for n in table["name"] if str(n).startswith("新街道"))


def test_readers_and_a_writer_share_one_handle(suzhou: Suzhou) -> None:
    with shiliu.Registry.open(suzhou.path, today=TODAY) as reg:
        then = snapshot(reg.tree(THEN))
        holders = reg.post_holders(suzhou.fuqian, THEN).to_dict("records")
        base_now = snapshot(reg.tree(TODAY))
        t0 = reg.transaction
        done = threading.Event()
        started = threading.Barrier(READERS + 1, timeout=60)

        def write() -> list[int]:
            started.wait()  # every reader is running before the first write
            try:
                return [
                    reg.add_unit(kind="street", name=f"新街道{i:02d}", parent=suzhou.gusu, valid_from="2020-01-01")
                    for i in range(WRITES)
                ]
            finally:
                done.set()

        def read(n: int) -> int:
            seen = 0
            rounds = 0
            started.wait()
            while not done.is_set() or rounds < 5:
                rounds += 1
                assert snapshot(reg.tree(THEN)) == then
                assert reg.post_holders(suzhou.fuqian, THEN).to_dict("records") == holders
                now = reg.tree(TODAY)
                streets = new_streets(now)
                # Each answer reflects one whole transaction: the first k streets, never a
                # partial write, and never fewer than this thread saw before.
                assert streets == [f"新街道{i:02d}" for i in range(len(streets))]
                assert len(streets) >= seen
                seen = len(streets)
                assert len(now) == len(base_now) + seen
                assert set(base_now) <= set(snapshot(now))
                assert reg.find_by_path("姑苏区/沧浪街道/南片/道前社区", TODAY, hierarchy="working")["id"] == suzhou.daoqian
            return rounds

        with ThreadPoolExecutor(max_workers=READERS + 1) as pool:
            writer = pool.submit(write)
            readers = [pool.submit(read, n) for n in range(READERS)]
            ids = writer.result(timeout=120)
            rounds = [r.result(timeout=120) for r in readers]

        assert len(set(ids)) == WRITES
        assert all(r >= 5 for r in rounds)
        assert reg.transaction == t0 + WRITES
        assert new_streets(reg.tree(TODAY)) == [f"新街道{i:02d}" for i in range(WRITES)]


def test_many_threads_reading_in_memory() -> None:
    with shiliu.Registry.in_memory(today=TODAY) as reg:
        city = reg.add_unit(kind="city", name="苏州市", code="320500", valid_from="1983-01-18")
        for i in range(1, 10):
            reg.add_unit(kind="district", name=f"区{i}", code=f"32050{i}", parent=city, valid_from="1983-01-18")

        def read(n: int) -> list[str]:
            return [str(reg.find_by_code(f"32050{1 + (n + k) % 9}", TODAY)["name"]) for k in range(50)]

        with ThreadPoolExecutor(max_workers=READERS) as pool:
            results = list(pool.map(read, range(READERS)))
        for n, names in enumerate(results):
            assert names == [f"区{1 + (n + k) % 9}" for k in range(50)]


def test_second_handle_sees_writes(suzhou: Suzhou) -> None:
    with (
        shiliu.Registry.open(suzhou.path, today=TODAY) as first,
        shiliu.Registry.open(suzhou.path, today=TODAY) as second,
    ):
        before = snapshot(second.tree(TODAY))  # warms the second handle's cache
        street = first.add_unit(kind="street", name="新街道", parent=suzhou.gusu, valid_from="2020-01-01")
        assert second.transaction == first.transaction
        assert second.unit(street, TODAY)["name"] == "新街道"
        assert len(second.tree(TODAY)) == len(before) + 1
        second.reorganise("rename", unit=street, date="2023-01-01", name="更新街道")
        assert first.unit(street, TODAY)["name"] == "更新街道"
        assert first.unit(street, "2022-12-31")["name"] == "新街道"
        # A closed handle does not affect the other.
        first.close()
        assert second.unit(street, TODAY)["name"] == "更新街道"
        with pytest.raises(shiliu.ShiliuError):
            first.unit(street, TODAY)
