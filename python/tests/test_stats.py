"""Statistics (统计) through the Python face: population tables as DataFrames equal to the
JSON protocol's answer and to an independent count, filters, keys and levels, trends and
flows, analysts' minimum cell size, aggregate tables and shares, and disclosure control
(an LP attacker with scipy, a table whose optimal suppression is known, and cubes of two
cities merged with DuckDB)."""

from __future__ import annotations

import datetime as dt
import importlib
import itertools
import json
import math
import random
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import shiliu
from conftest import TODAY, id_number
from shiliu._stats import Dimension

pd: Any = pytest.importorskip("pandas")
np: Any = importlib.import_module("numpy")

LEDGER_HEADER = "姓名,性别,民族,公民身份号码,出生日期,所属社区,人员类别,流出地,来苏时间,离开时间"
ETHNICITIES = [("01", "汉族")] * 6 + [("03", "回族")] * 4 + [
    ("02", "蒙古族"), ("05", "维吾尔族"), ("10", "朝鲜族"), ("11", "满族"), ("06", "苗族"), ("08", "壮族"),
]
ORIGINS = ["640104", "650102", "533103", "150102"]
AS_OF = dt.date(2024, 12, 31)


# -- a city and its residents, with an independent count --------------------------------


@dataclass
class Resident:
    community: int
    ethnicity: str
    category: str
    sex: str
    birth: dt.date
    arrived: dt.date
    left: dt.date | None
    origin: str | None

    def present(self, day: dt.date) -> bool:
        return self.arrived <= day and (self.left is None or day < self.left)


@dataclass
class City:
    """A registry's units (ids by code, parents) and the residents the test recorded."""

    reg: shiliu.Registry
    root: int
    ids: dict[str, int]
    parent: dict[int, int | None]
    level: dict[int, str]
    residents: list[Resident] = field(default_factory=list)
    path: Path | None = None

    def ancestors_and_self(self, unit: int) -> Iterator[int]:
        u: int | None = unit
        while u is not None:
            yield u
            u = self.parent[u]

    def count(self, day: dt.date, key: Callable[[Resident], Any] = lambda r: None,
              keep: Callable[[Resident], bool] = lambda r: True) -> Counter[tuple[int, Any]]:
        """Residents present on ``day`` by (unit, key), rolled up the tree; key None is
        the unit's total."""
        out: Counter[tuple[int, Any]] = Counter()
        for r in self.residents:
            if r.present(day) and keep(r):
                for u in self.ancestors_and_self(r.community):
                    out[(u, None)] += 1
                    k = key(r)
                    if k is not None:
                        out[(u, k)] += 1
        return out


def add_units(reg: shiliu.Registry, city_code: str, city_name: str, province: int | None = None,
              districts: int = 2, streets: int = 2, communities: int = 2) -> City:
    """A city of ``districts`` × ``streets`` × ``communities`` with division codes."""
    root = reg.add_unit(kind="city", name=city_name, code=city_code, parent=province, valid_from="2000-01-01")
    ids = {city_code: root}
    parent: dict[int, int | None] = {root: province}
    level = {root: "city"}
    for d in range(districts):
        dcode = city_code[:4] + f"{d + 5:02d}"
        did = reg.add_unit(kind="district", name=f"{city_name[:2]}{d + 1}区", code=dcode, parent=root, valid_from="2000-01-01")
        ids[dcode], parent[did], level[did] = did, root, "district"
        for s in range(streets):
            scode = dcode + f"{s + 1:03d}"
            sid = reg.add_unit(kind="street", name=f"{city_name[:2]}{d + 1}区{s + 1}街道", code=scode, parent=did,
                               valid_from="2000-01-01")
            ids[scode], parent[sid], level[sid] = sid, did, "street"
            for c in range(communities):
                ccode = scode + f"{c + 1:03d}"
                cid = reg.add_unit(kind="community", name=f"{city_name[:2]}{d + 1}-{s + 1}-{c + 1}社区", code=ccode,
                                   parent=sid, valid_from="2000-01-01")
                ids[ccode], parent[cid], level[cid] = cid, sid, "community"
    if province is not None:
        parent[province] = None
        level[province] = "province"
    return City(reg, root, ids, parent, level)


def residents_ledger(city: City, path: Path, n: int, seed: int, serial: int) -> Path:
    """Writes a ledger CSV of ``n`` random residents of ``city`` and records them."""
    rng = random.Random(seed)
    communities = [code for code, u in city.ids.items() if city.level[u] == "community"]
    lines = [LEDGER_HEADER]
    for i in range(n):
        code = rng.choice(communities)
        eth_code, eth_name = rng.choice(ETHNICITIES)
        birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 80))
        if birth.month == 2 and birth.day == 29:
            birth = birth.replace(day=28)
        sex_digit = rng.randrange(10)
        number = id_number(f"320508{birth:%Y%m%d}{(serial + i) % 100:02d}{sex_digit}")
        arrived = dt.date(2005, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 20))
        left = arrived + dt.timedelta(days=rng.randrange(30, 3000)) if rng.random() < 0.25 else None
        migrant = rng.random() < 0.4
        origin = rng.choice(ORIGINS) if migrant else None
        lines.append(",".join([
            f"居民{serial + i:05d}", "男" if sex_digit % 2 else "女", eth_name, number, birth.isoformat(), code,
            "流动" if migrant else "户籍", origin or "", arrived.isoformat(), left.isoformat() if left else "",
        ]))
        city.residents.append(Resident(
            city.ids[code], eth_code, "migrant" if migrant else "registered", "1" if sex_digit % 2 else "2",
            birth, arrived, left, origin,
        ))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def city_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, City]:
    """苏州市 with 2 districts × 2 streets × 2 communities and 700 residents, imported
    from a ledger, built once per module."""
    path = tmp_path_factory.mktemp("stats") / "city.db"
    with shiliu.Registry.open(path, today=TODAY) as reg:
        city = add_units(reg, "320500", "苏州市")
        ledger = residents_ledger(city, path.with_suffix(".csv"), 700, seed=7, serial=0)
        report = reg.import_residents(ledger)
        assert report.inserted == 700, report.to_dict()["rejected"][:3]
    return path, city


@pytest.fixture
def city(city_template: tuple[Path, City], tmp_path: Path) -> Iterator[City]:
    src, c = city_template
    dst = tmp_path / "city.db"
    dst.write_bytes(src.read_bytes())
    with shiliu.Registry.open(dst, today=TODAY) as reg:
        yield City(reg, c.root, c.ids, c.parent, c.level, list(c.residents), dst)


# -- DataFrames against the JSON protocol ---------------------------------------------


def plain(value: Any) -> Any:
    """A DataFrame cell as the JSON protocol writes it."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value


def values(column: Any) -> list[Any]:
    """A column's values as the JSON protocol writes them (missing = None)."""
    return [plain(v) for v in column.astype(object)]


def frame_rows(df: Any) -> list[dict[str, Any]]:
    return [{k: plain(v) for k, v in r.items()} for r in df.astype(object).to_dict("records")]


def same_as_json(reg: shiliu.Registry, op: str, df: Any, args: dict[str, Any]) -> dict[str, Any]:
    """Asserts that ``df`` equals the JSON protocol's answer to ``op`` with ``args``
    (columns, every value, header); returns that answer."""
    doc: dict[str, Any] = reg.execute(op, **args)
    assert list(df.columns) == doc["columns"]
    assert frame_rows(df) == doc["rows"]
    assert df.attrs["transaction"] == doc["transaction"]
    assert df.attrs["k"] == doc["k"]
    assert df.attrs["notes"] == doc["notes"]
    assert [p.isoformat() for p in df.attrs["periods"]] == doc["periods"]
    assert df.attrs["dimensions"] == doc["dimensions"]
    assert df.attrs["share_unit"] == doc["share_unit"]
    assert df.attrs["hierarchy"] == doc["hierarchy"]
    return doc


QUERIES: list[dict[str, Any]] = [
    {},
    {"by": ["ethnicity"]},
    {"by": ["category", "sex"], "level": "street"},
    {"by": ["age_band", "ethnicity"], "as_of": "2018-06-30"},
    {"by": ["origin_province"], "categories": ["migrant"], "level": "district"},
    {"by": ["ethnicity"], "minorities_only": True, "k": 5},
    {"by": ["sex", "age_band"], "age_bands": [14, 65], "publish": True, "share_unit": "percent"},
    {"by": ["ethnicity"], "ethnicities": ["回族", "11"], "publish_zeros": False, "k": 3},
    {"by": ["民族"], "level": "community", "rebase_to": "2020-01-01", "as_of": "2015-01-01"},
]


@pytest.mark.parametrize("args", QUERIES, ids=lambda a: ",".join(f"{k}={v}" for k, v in a.items()) or "plain")
def test_population_frame_equals_the_json_answer(city: City, args: dict[str, Any]) -> None:
    kwargs = dict(args)
    df = city.reg.population(**kwargs)
    same_as_json(city.reg, "population", df, args)
    assert city.reg.last_transaction == df.attrs["transaction"] == city.reg.transaction
    assert str(df["headcount"].dtype) == "Int64" and str(df["components"].dtype) == "Int64"
    assert str(df["population"].dtype) == "Int64" and df["share"].dtype == np.float64
    assert list(df["status"].cat.categories) == ["published", "primary", "secondary"]
    assert str(df["period"].dtype).startswith("datetime64")


def test_counts_equal_an_independent_count(city: City) -> None:
    for day in (dt.date(2010, 6, 30), dt.date(2019, 12, 31), AS_OF):
        df = city.reg.population(as_of=day, by="ethnicity")
        want = city.count(day, key=lambda r: r.ethnicity)
        got = Counter({(int(u), e): int(n) for u, e, n in zip(df["unit"], values(df["ethnicity"]), df["headcount"],
                                                               strict=True)})
        assert +got == want, day
        assert all(df["period"] == pd.Timestamp(day))
        # Components: distinct ethnicities of the unit's residents.
        totals = df[df["ethnicity"].isna()]
        for u, comp in zip(totals["unit"], totals["components"], strict=True):
            have = {r.ethnicity for r in city.residents if r.present(day) and u in city.ancestors_and_self(r.community)}
            assert comp == len(have)
        # Every unit present; a total row named 合计 first, cells in code order.
        assert set(totals["unit"]) == set(city.ids.values())
        assert set(totals["ethnicity_name"]) == {"合计"}
        for _, group in df.groupby("unit", sort=False):
            codes = [c for c in group["ethnicity"] if not pd.isna(c)]
            assert pd.isna(group["ethnicity"].iloc[0]) and codes == sorted(codes)


def test_filters_keys_and_levels(city: City) -> None:
    reg = city.reg
    streets = reg.population(level="street")
    assert set(streets["level"]) == {"street"} and set(streets["level_zh"]) == {"街道"}
    assert len(streets) == 4 and (streets["depth"] == 2).all()
    assert all(p.count("/") == 2 for p in streets["path"])
    district = city.ids["320505"]
    under = reg.population(under=district, by="category")
    assert set(under["unit"]) == {u for u in city.ids.values() if district in city.ancestors_and_self(u)}
    assert under["depth"].iloc[0] == 0 and under["unit"].iloc[0] == district
    migrants = city.count(AS_OF, keep=lambda r: r.category == "migrant")
    only = reg.population(categories=["migrant"])
    assert {int(u): int(n) for u, n in zip(only["unit"], only["headcount"], strict=True)} == {
        u: n for (u, k), n in migrants.items() if k is None
    }
    # Minorities only: no 汉族 cell, totals without them.
    minority = reg.population(by="ethnicity", minorities_only=True)
    assert "01" not in set(minority["ethnicity"].dropna())
    root = minority[(minority["unit"] == city.root) & minority["ethnicity"].isna()]
    assert int(root["headcount"].iloc[0]) == sum(1 for r in city.residents if r.present(AS_OF) and r.ethnicity != "01")
    # Ethnicities in any notation, or as shiliu.Ethnicity.
    some = reg.population(by="ethnicity", ethnicities=["回族", shiliu.ethnicity("满族")], level="city")
    assert values(some["ethnicity"]) == [None, "03", "11"]
    assert list(some["ethnicity_name"]) == ["合计", "回族", "满族"]
    # Two keys: the total row has both missing; the cells add up to it.
    two = reg.population(by=("category", "sex"), level="city")
    assert two["category"].isna().iloc[0] and two["sex"].isna().iloc[0]
    assert two["headcount"].iloc[1:].sum() == two["headcount"].iloc[0]
    assert set(two["category_name"].iloc[1:]) <= {"户籍", "流动"}
    assert set(two["sex"].dropna()) <= {"1", "2"} and set(two["sex_name"].iloc[1:]) <= {"男", "女"}
    # Age bands on the date, as an independent count gives them.
    def band(r: Resident) -> str:
        age = AS_OF.year - r.birth.year - ((AS_OF.month, AS_OF.day) < (r.birth.month, r.birth.day))
        return "0-17" if age < 18 else "18-34" if age < 35 else "35-59" if age < 60 else "60+"
    ages = reg.population(by="age_band", level="city")
    want = city.count(AS_OF, key=band)
    assert {str(k): int(n) for k, n in zip(ages["age_band"].iloc[1:], ages["headcount"].iloc[1:], strict=True)} == {
        k: n for (u, k), n in want.items() if u == city.root and k is not None
    }
    # Origin provinces of migrants (流出地省份).
    origin = reg.population(by="origin_province", categories=["流动"], level="city")
    provinces = {str(c): str(n) for c, n in zip(origin["origin_province"].iloc[1:], origin["origin_province_name"].iloc[1:],
                                                strict=True)}
    assert set(provinces) <= {"64", "65", "53", "15"} and provinces.get("64") == "宁夏回族自治区"
    # Migrants' share of each total: migrants / residents.
    total = reg.population(level="city")
    everyone = city.count(AS_OF)[(city.root, None)]
    assert total["migrant_share"].iloc[0] == pytest.approx(migrants[(city.root, None)] / everyone)
    # Bad input names the field; an unknown unit is not found.
    with pytest.raises(shiliu.ValidationError, match="by"):
        reg.population(by=["religion"])  # type: ignore[list-item]
    with pytest.raises(shiliu.ValidationError):
        reg.population(by=["sex", "sex"])
    with pytest.raises(shiliu.NotFoundError):
        reg.population(under=999_999)


def test_a_pinned_view_answers_as_before(city: City) -> None:
    reg = city.reg
    before = reg.population(by="ethnicity")
    tx = reg.transaction
    community = city.ids["320505001001"]
    reg.add_resident(name="新来的", ethnicity="回族", community=community, arrived_on="2024-01-01", category="流动")
    after = reg.population(by="ethnicity")
    assert after.attrs["transaction"] > tx
    pinned = reg.at_transaction(tx).population(by="ethnicity")
    assert frame_rows(pinned) == frame_rows(before)
    assert pinned.attrs["transaction"] == tx
    grew = after[(after["unit"] == community) & after["ethnicity"].isna()]["headcount"].iloc[0]
    was = before[(before["unit"] == community) & before["ethnicity"].isna()]["headcount"].iloc[0]
    assert grew == was + 1


def test_unit_categories_are_reused_only_while_the_units_are_the_same(city: City) -> None:
    reg = city.reg
    a = reg.population(by="ethnicity")
    b = reg.population(as_of="2023-06-30", by="sex")
    assert a["path"].dtype is b["path"].dtype, "same units: the same categories, built once"
    streets = reg.population(level="street")
    assert list(streets["name"].cat.categories) == list(dict.fromkeys(streets["name"]))
    c = reg.population(by="ethnicity")
    assert c["path"].dtype is a["path"].dtype
    # A renamed street and a new community change the units: new categories, right names.
    street = city.ids["320505001"]
    reg.reorganise("rename", unit=street, date="2024-06-01", name="改名街道")
    new = reg.add_unit(kind="community", name="新建社区", code="320505001009", parent=street, valid_from="2024-06-01")
    after = reg.population(by="ethnicity")
    assert after["path"].dtype is not a["path"].dtype
    assert set(after.loc[after["unit"] == street, "name"]) == {"改名街道"}
    assert set(after.loc[after["unit"] == new, "path"]) == {"苏州市/苏州1区/改名街道/新建社区"}
    same_as_json(reg, "population", after, {"by": ["ethnicity"]})
    # The units of before the rename still answer with their own names.
    before = reg.population(as_of="2024-01-01", by="ethnicity")
    assert set(before.loc[before["unit"] == street, "name"]) == {"苏州1区1街道"}
    assert before["path"].dtype is a["path"].dtype, "the units of a, still cached"
    same_as_json(reg, "population", before, {"as_of": "2024-01-01", "by": ["ethnicity"]})


def test_tables_from_many_threads_at_once(city: City) -> None:
    import threading

    keys: tuple[Dimension, ...] = ("ethnicity", "sex", "category")
    want = {by: frame_rows(city.reg.population(by=by)) for by in keys}
    failures: list[BaseException] = []

    def work(by: Dimension) -> None:
        try:
            for _ in range(5):
                assert frame_rows(city.reg.population(by=by)) == want[by]
        except BaseException as e:  # reported below
            failures.append(e)

    threads = [threading.Thread(target=work, args=(by,)) for by in list(want) * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures


def test_without_pandas_tables_are_lists(city: City, monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.import_module

    def no_pandas(name: str, package: str | None = None) -> Any:
        if name == "pandas":
            raise ImportError("no pandas here")
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", no_pandas)
    cases: list[tuple[str, dict[str, Any]]] = [
        ("population", {"by": ["ethnicity", "sex"]}),
        ("population", {"by": ["sex", "age_band"], "k": 5}),
        ("population_trend", {"from": "2023-01-01", "to": "2024-12-31", "period": "half_year", "level": "district"}),
    ]
    for op, args in cases:
        if op == "population":
            rows = city.reg.population(by=args["by"], k=args.get("k"))
        else:
            rows = city.reg.population_trend("2023-01-01", dt.date(2024, 12, 31), period="half_year", level="district")
        assert isinstance(rows, list)
        doc = city.reg.execute(op, **args)
        assert [{**r, "period": r["period"].isoformat()} for r in rows] == doc["rows"]


# -- trends ---------------------------------------------------------------------------------


def test_trend_rows_equal_the_query_at_each_period_end_and_flows_add_up(city: City) -> None:
    reg = city.reg
    trend = reg.population_trend(from_="2019-01-01", to="2024-12-31", period="quarter", by="ethnicity")
    same_as_json(reg, "population_trend", trend, {"from": "2019-01-01", "to": "2024-12-31", "period": "quarter",
                                                   "by": ["ethnicity"]})
    ends = trend.attrs["periods"]
    assert len(ends) == 24 and ends[0] == dt.date(2019, 3, 31) and ends[-1] == AS_OF
    assert list(trend.columns[-6:]) == ["arrivals", "departures", "growth", "status", "status_zh", "split"]
    cols = ["unit", "ethnicity", "headcount", "components"]
    for end in ends[::5]:
        part = trend[trend["period"] == pd.Timestamp(end)][cols].reset_index(drop=True)
        one = reg.population(as_of=end, by="ethnicity")[cols]
        assert frame_rows(part) == frame_rows(one), end
    # The city's flows: arrivals are the stays begun in the period (present at its end,
    # absent at the previous end: arrived on start..end), departures the stays ended in it
    # (left on start..end: present at the previous end, gone at this one); growth is the
    # change of headcount.
    city_rows = trend[(trend["unit"] == city.root) & trend["ethnicity"].isna()].reset_index(drop=True)
    start = dt.date(2019, 1, 1)
    previous: int | None = None
    for i, end in enumerate(ends):
        row = city_rows.iloc[i]
        arrived = sum(1 for r in city.residents if start <= r.arrived <= end)
        departed = sum(1 for r in city.residents if r.left is not None and start <= r.left <= end)
        assert (row["arrivals"], row["departures"]) == (arrived, departed), end
        assert row["headcount"] == city.count(end)[(city.root, None)]
        if previous is None:
            assert row["growth"] is pd.NA
        else:
            assert row["growth"] == row["headcount"] - previous == arrived - departed
        previous = int(row["headcount"])
        start = end + dt.timedelta(days=1)
    yearly = reg.population_trend("2020-01-01", "2021-12-31", period="年", level="city")
    assert [p.isoformat() for p in yearly.attrs["periods"]] == ["2020-12-31", "2021-12-31"] and len(yearly) == 2
    with pytest.raises(shiliu.ValidationError, match="period"):
        reg.population_trend("2020-01-01", "2021-12-31", period="fortnight")  # type: ignore[arg-type]


# -- analysts and disclosure control in the registry ------------------------------------------


def test_analysts_always_get_k_of_at_least_5(city: City) -> None:
    assert city.path is not None
    principal = shiliu.Principal("统计员", "analyst", scope=city.root, purpose="年度统计")
    with shiliu.Registry.open(city.path, principal, today=TODAY) as analyst:
        # (Larger keys work the same; disclosure control of big tables is slow in the
        # debug build the tests run on.)
        for by in ((), ("ethnicity",), ("sex", "age_band")):
            df = analyst.population(by=by)
            assert df.attrs["k"] is not None and df.attrs["k"] >= 5
            published = df["headcount"].dropna()
            assert not ((published >= 1) & (published <= 4)).any(), by
            assert set(df.loc[df["headcount"].isna(), "status"]) <= {"primary", "secondary"}
            assert df["status"].isin(["published"]).sum() == len(published)
            same_as_json(analyst, "population", df, {"by": list(by)})
        cells = analyst.population(by="ethnicity")
        assert (cells["status"] == "primary").any() and (cells["status"] == "secondary").any()
        assert cells.loc[cells["status"] != "published", ["components", "migrant_share", "share"]].isna().all().all()
        trend = analyst.population_trend("2023-01-01", "2024-12-31", period="quarter", by="sex")
        for col in ("headcount", "arrivals", "departures"):
            values = trend[col].dropna()
            assert not ((values >= 1) & (values <= 4)).any(), col
        assert analyst.summary(city.root).k == 5
        for k in (1, 2, 4):
            with pytest.raises(shiliu.AccessDenied):
                analyst.population(by="ethnicity", k=k)
        with pytest.raises(shiliu.AccessDenied):
            analyst.residents(city.root, TODAY)
        with pytest.raises(shiliu.AccessDenied):
            analyst.export_cube(city.path.with_name("cube.csv"))
    # The same counts an administrator sees, unsuppressed where they are ≥ 5.
    admin = city.reg.population(by="ethnicity")
    assert (admin["status"] == "published").all() and admin.attrs["k"] is None
    published = city.reg.population(by="ethnicity", publish=True)
    assert published.attrs["k"] == 5 and frame_rows(published) == frame_rows(cells)


def test_summary(city: City) -> None:
    s = city.reg.summary(city.root, as_of=AS_OF)
    total = city.reg.population(level="city")
    assert isinstance(s, shiliu.Summary)
    assert (s.unit, s.code, s.name, s.level, s.as_of) == (city.root, "320500", "苏州市", "city", AS_OF)
    assert s.headcount == total["headcount"].iloc[0] == city.count(AS_OF)[(city.root, None)]
    assert s.components == total["components"].iloc[0]
    assert s.migrant_share == pytest.approx(total["migrant_share"].iloc[0])
    assert (s.population, s.share, s.status, s.k) == (None, None, "published", None)
    assert any("missing" in n for n in s.notes)
    small = city.reg.summary(city.ids["320505001001"], as_of="2005-02-01", k=5)
    assert small.k == 5 and (small.headcount is None) == (small.status != "published")


# -- aggregate tables: denominators and a source of counts ------------------------------------


CENSUS = (
    "苏州市第七次人口普查\n单位代码,民族,日期,人数\n320500,合计,2020-11-01,\"12,000\"\n320505,,2020-11-01,5000\n"
    "320506,合计,2020-11-01,7000\n320506,回族,2020-11-01,40\n999999,合计,2020-11-01,3\n320506,火星族,2020-11-01,3\n"
)


def test_aggregate_tables_give_denominators_and_answer_queries(city: City, tmp_path: Path) -> None:
    reg = city.reg
    census = tmp_path / "census.csv"
    census.write_bytes(CENSUS.encode("gb18030"))
    report = reg.import_aggregates(census, "七普")
    assert isinstance(report, shiliu.AggregateReport)
    assert (report.rows_read, report.stored, report.unchanged) == (6, 4, 0)
    assert report.transaction == reg.last_transaction == reg.transaction
    assert list(report.rejected.columns) == ["file", "row", "column", "value", "code", "reason"]
    assert list(report.rejected["code"]) == ["aggregate.unknown_unit", "aggregate.bad_ethnicity"]
    assert list(report.rejected["row"]) == [7, 8] and str(report.rejected["row"].dtype) == "Int64"
    again = reg.import_aggregates(census, "七普", encoding="gb18030")
    assert (again.stored, again.unchanged, again.transaction) == (0, 4, None)
    assert again.to_dict()["unchanged"] == 4
    # Shares: headcount / total population, in ‰ (or %).
    districts = reg.population(level="district")
    same_as_json(reg, "population", districts, {"level": "district"})
    wuzhong = districts[districts["code"] == "320506"].iloc[0]
    assert wuzhong["population"] == 7000
    assert wuzhong["share"] == pytest.approx(wuzhong["headcount"] / 7000 * 1000)
    percent = reg.population(level="district", share_unit="percent", denominators="七普")
    assert percent.attrs["share_unit"] == "percent"
    assert percent["share"].iloc[1] == pytest.approx(districts["share"].iloc[1] / 10)
    by_eth = reg.population(level="district", by="ethnicity")
    hui = by_eth[(by_eth["code"] == "320506") & (by_eth["ethnicity"] == "03")].iloc[0]
    assert hui["population"] == 7000 and hui["share"] == pytest.approx(hui["headcount"] / 7000 * 1000)
    s = reg.summary(city.ids["320506"])
    assert (s.population, s.headcount) == (7000, wuzhong["headcount"])
    assert s.share == pytest.approx(wuzhong["share"])
    # Before the census date there is no denominator: missing, not zero.
    before = reg.population(as_of="2019-12-31", level="district")
    assert before["population"].isna().all() and before["share"].isna().all()
    assert any("missing" in n for n in before.attrs["notes"])
    # The table itself through the same API.
    counted = reg.population(as_of="2021-01-01", by="ethnicity", source="七普")
    same_as_json(reg, "population", counted, {"as_of": "2021-01-01", "by": ["ethnicity"], "source": "七普"})
    root = counted[(counted["unit"] == city.root) & counted["ethnicity"].isna()]
    assert root["headcount"].iloc[0] == 12_000
    assert counted[(counted["code"] == "320506") & (counted["ethnicity"] == "03")]["headcount"].iloc[0] == 40
    # A dry run validates only; a bad option is refused.
    dry = reg.import_aggregates(census, "另一个", dry_run=True)
    assert dry.transaction is None and dry.rows_read == 6
    # Without a name the table is named after the file.
    unnamed = reg.import_aggregates(census)
    assert unnamed.stored > 0
    named_after_file = reg.population(as_of="2021-01-01", source=Path(census).stem)
    assert named_after_file[named_after_file["unit"] == city.root]["headcount"].iloc[0] == 12_000
    with pytest.raises(shiliu.NotFoundError):
        reg.population(source="不存在的表")


def test_an_xlsx_aggregate_table_through_the_module_function(city: City, tmp_path: Path) -> None:
    from conftest import write_xlsx

    path = write_xlsx(tmp_path / "户籍.xlsx", [("户籍人口", [
        ["苏州市户籍人口统计表"],
        ["unit", "ethnicity", "date", "count"],
        ["苏州市", "total", "2023-12-31", "9000"],
        ["苏州市/苏州1区", "all", "2023-12-31", "4000"],
        ["320506", "Hui", "2023-12-31", "25"],
    ])])
    report = shiliu.import_aggregates(city.reg, path, "户籍", kind="household_register", sheet="户籍人口")
    assert (report.rows_read, report.stored, len(report.rejected)) == (3, 3, 0)
    table = city.reg.population(as_of="2024-01-01", by="ethnicity", source="户籍", level="district")
    # A unit without a total row totals its cells.
    assert table[table["ethnicity"].isna()].set_index("code")["headcount"].to_dict() == {"320505": 4000, "320506": 25}
    assert table[table["ethnicity"] == "03"]["headcount"].tolist() == [25]
    # Not of kind population: no denominators from it.
    assert city.reg.population(as_of="2024-01-01", level="city")["population"].isna().all()


# -- cubes: reporting upward and protecting what is published ----------------------------------


def read_cube(path: Path) -> list[tuple[str, ...]]:
    import csv

    with path.open(encoding="utf-8", newline="") as f:
        return [tuple(r) for r in csv.reader(f)]


def test_an_exported_cube_protected_matches_the_registry_own_protection(city: City, tmp_path: Path) -> None:
    path = tmp_path / "cube.csv"
    report = city.reg.export_cube(path, as_of=AS_OF)
    cube = read_cube(path)
    assert cube[0] == ("code_path", "level", "name", "ethnicity", "headcount")
    assert report["rows"] == len(cube) - 1 and report["transaction"] == city.reg.transaction
    assert ("320500/320505", "district", "苏州1区", "", str(city.count(AS_OF)[(city.ids["320505"], None)])) in cube
    protected = shiliu.protect_cube(path, 5)
    own = city.reg.population(by="ethnicity", k=5)
    key = ["ethnicity", "headcount", "status"]
    assert list(protected["code"]) == list(own["code"])
    assert frame_rows(protected[key]) == frame_rows(own[key])
    assert protected["period"].isna().all() and protected.attrs["periods"] == []
    assert list(protected["unit"].unique()) == list(range(-1, -len(protected["code"].unique()) - 1, -1))
    assert list(protected["path"].iloc[:2]) == ["320500", "320500"]
    assert (protected["status"] == "primary").any()
    # The JSON protocol's protect_cube answers the same (its undated period aside).
    doc = city.reg.execute("protect_cube", path=str(path), k=5)
    assert list(protected.columns) == doc["columns"]
    assert frame_rows(protected.drop(columns="period")) == [
        {k: v for k, v in r.items() if k != "period"} for r in doc["rows"]
    ]
    viewer = shiliu.Principal("查看员", "viewer", scope=city.root)
    assert city.path is not None
    with shiliu.Registry.open(city.path, viewer, today=TODAY) as v, pytest.raises(shiliu.AccessDenied):
        v.export_cube(tmp_path / "no.csv")
    with pytest.raises(shiliu.StorageError):
        shiliu.protect_cube(tmp_path / "missing.csv", 5)


# -- disclosure control against a linear-programming attacker ------------------------------------


LEVELS = ("city", "district", "street", "community")


@dataclass(frozen=True)
class Cell:
    unit: str
    """The unit's code path (parent = prefix)."""
    key: str | None
    """The ethnicity code; None on the unit's total row."""
    value: int


def write_cube(path: Path, cells: Sequence[Cell]) -> Path:
    """A cube CSV (the format of ``Registry.export_cube``) of the given cells."""
    lines = ["code_path,level,name,ethnicity,headcount"]
    for c in cells:
        depth = c.unit.count("/")
        lines.append(f"{c.unit},{LEVELS[depth]},{c.unit.rsplit('/', 1)[-1]},{c.key or ''},{c.value}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class Attacker:
    """What an attacker knows of a protected table — every published cell, the sum
    relations (a unit's total is the sum of its cells; each cell of a parent is the sum of
    its children's same cells, plus a non-negative unknown where the parent's value
    exceeds theirs), non-negativity, and (zeros being published) that a hidden cell is at
    least 1 — and the range of each hidden cell under it, by scipy's linprog (HiGHS)."""

    def __init__(self, cells: Sequence[Cell]) -> None:
        self.linprog: Any = importlib.import_module("scipy.optimize").linprog
        self.cells = list(cells)
        at = {(c.unit, c.key): i for i, c in enumerate(self.cells)}
        units = list(dict.fromkeys(c.unit for c in self.cells))
        self.relations: list[tuple[list[tuple[int, float]], bool]] = []
        for u in units:
            parts = [i for i, c in enumerate(self.cells) if c.unit == u and c.key is not None]
            if parts and (u, None) in at:
                self.relations.append(([(at[(u, None)], 1.0)] + [(p, -1.0) for p in parts], False))
            kids = [v for v in units if v.rsplit("/", 1)[0] == u and v != u]
            if not kids:
                continue
            keys = {c.key for c in self.cells if c.unit == u or c.unit in kids}
            for key in keys:
                children = [at[(v, key)] for v in kids if (v, key) in at]
                rel = [(i, -1.0) for i in children]
                parent_value = 0
                if (u, key) in at:
                    rel.append((at[(u, key)], 1.0))
                    parent_value = self.cells[at[(u, key)]].value
                own = parent_value != sum(self.cells[i].value for i in children)
                self.relations.append((rel, own))

    def range(self, hidden: Sequence[bool], c: int) -> tuple[float, float]:
        """(min, max) of hidden cell ``c`` (max = inf when unbounded)."""
        var = {i: n for n, i in enumerate(i for i, h in enumerate(hidden) if h)}
        n = len(var) + sum(1 for _, own in self.relations if own)
        rows: list[list[float]] = []
        rhs: list[float] = []
        extra = len(var)
        for rel, own in self.relations:
            row = [0.0] * n
            b = 0.0
            for i, coef in rel:
                if i in var:
                    row[var[i]] += coef
                else:
                    b -= coef * self.cells[i].value
            if own:
                row[extra] = -1.0
                extra += 1
            if any(row):
                rows.append(row)
                rhs.append(b)
        bounds = [(1.0, None)] * len(var) + [(0.0, None)] * (n - len(var))
        out = []
        for sign in (1.0, -1.0):
            objective = [0.0] * n
            objective[var[c]] = sign
            res = self.linprog(objective, A_eq=rows, b_eq=rhs, bounds=bounds, method="highs")
            if res.status == 3:
                out.append(math.inf)
                continue
            assert res.status == 0, res.message
            out.append(sign * res.fun)
        return out[0], out[1]

    def protected(self, hidden: Sequence[bool], primary: Sequence[bool], k: int) -> bool:
        """Every primary can reach k and no hidden cell is pinned to one value."""
        for c in (i for i, h in enumerate(hidden) if h):
            low, high = self.range(hidden, c)
            if not (high > low + 0.5 and (not primary[c] or high >= k - 1e-6)):
                return False
        return True


def check_protection(cells: Sequence[Cell], table: Any, k: int) -> tuple[list[bool], list[bool]]:
    """Asserts that ``table`` (protect_cube's answer for ``cells``) protects them: primaries
    are the counts 1..k−1, published values are true, every hidden cell resists the
    attacker, and every secondary suppression is needed. Returns (hidden, primary)."""
    assert len(table) == len(cells)
    got = {(p, e): (h, s) for p, e, h, s in zip(table["path"], values(table["ethnicity"]), values(table["headcount"]),
                                                  table["status"], strict=True)}
    status = [got[(c.unit, c.key)][1] for c in cells]
    hidden = [s != "published" for s in status]
    primary = [s == "primary" for s in status]
    for c, s in zip(cells, status, strict=True):
        assert (s == "primary") == (0 < c.value < k), c
        assert got[(c.unit, c.key)][0] == (None if s != "published" else c.value), c
    attacker = Attacker(cells)
    assert attacker.protected(hidden, primary, k), status
    for s in (i for i, c in enumerate(cells) if hidden[i] and not primary[i]):
        fewer = list(hidden)
        fewer[s] = False
        assert not attacker.protected(fewer, primary, k), f"secondary {cells[s]} is not needed"
    return hidden, primary


def random_cube(rng: random.Random, grandchildren: bool) -> list[Cell]:
    """A root, 2–5 children (and three grandchildren under the first) × 2–5 ethnicities:
    many small counts, some large, some zero; parents sum their children, and sometimes
    the root has residents of its own."""
    kids = 2 + rng.randrange(4)
    keys = [f"{k + 1:02d}" for k in range(2 + rng.randrange(4))]
    units = ["320500"] + [f"320500/3205{c + 5:02d}" for c in range(kids)]
    if grandchildren:
        units += [f"{units[1]}/{units[1][-6:]}{g + 1:03d}" for g in range(3)]
    counts: dict[str, list[int]] = {}
    for u in reversed(units):
        kids_of = [v for v in units if v.rsplit("/", 1)[0] == u and v != u]
        if kids_of:
            counts[u] = [sum(counts[v][k] for v in kids_of) for k in range(len(keys))]
        else:
            counts[u] = [rng.choice([0, 0, 1, 2, 3, 4, 5, 9, 14, 22]) + (rng.randrange(10) if rng.random() < 0.3 else 0)
                         for _ in keys]
    if rng.random() < 0.3:
        counts[units[0]][0] += 2  # residents placed on the root itself
    cells = []
    for u in units:
        cells.append(Cell(u, None, sum(counts[u])))
        cells += [Cell(u, key, n) for key, n in zip(keys, counts[u], strict=True) if n > 0]
    return cells


def test_random_hierarchical_cubes_resist_an_lp_attacker(tmp_path: Path) -> None:
    rng = random.Random(0x5EED)
    primaries = secondaries = 0
    for round_ in range(12):
        cells = random_cube(rng, grandchildren=round_ % 3 == 0)
        table = shiliu.protect_cube(write_cube(tmp_path / f"cube{round_}.csv", cells), 5)
        hidden, primary = check_protection(cells, table, 5)
        primaries += sum(primary)
        secondaries += sum(hidden) - sum(primary)
        assert table.attrs["k"] == 5
    assert primaries > 20 and secondaries > 10, "the tables had something to protect"


def test_the_known_optimum_of_a_small_table_is_found(tmp_path: Path) -> None:
    #          01  02 | 合计
    #   c1      2  10 | 12
    #   c2      8   9 | 17
    #   root   10  19 | 29
    cells = [
        Cell("R", None, 29), Cell("R", "01", 10), Cell("R", "02", 19),
        Cell("R/c1", None, 12), Cell("R/c1", "01", 2), Cell("R/c1", "02", 10),
        Cell("R/c2", None, 17), Cell("R/c2", "01", 8), Cell("R/c2", "02", 9),
    ]
    table = shiliu.protect_cube(write_cube(tmp_path / "small.csv", cells), 5)
    hidden, primary = check_protection(cells, table, 5)
    rectangle = [(c.unit, c.key) for c, h in zip(cells, hidden, strict=True) if h]
    assert rectangle == [("R/c1", "01"), ("R/c1", "02"), ("R/c2", "01"), ("R/c2", "02")]
    assert [c.key for c, p in zip(cells, primary, strict=True) if p] == ["01"]
    # Every pattern of hidden cells holding the primary, by (cells hidden, total value
    # hidden): the rectangle is the only optimum. No 3 cells suffice; of the 4-cell
    # patterns that protect, it hides the least.
    attacker = Attacker(cells)
    first = cells.index(Cell("R/c1", "01", 2))
    others = [i for i in range(len(cells)) if i != first]
    best: list[tuple[int, int, tuple[int, ...]]] = []
    for size in range(0, 4):
        for extra in itertools.combinations(others, size):
            pattern = [i in extra or i == first for i in range(len(cells))]
            if attacker.protected(pattern, [i == first for i in range(len(cells))], 5):
                best.append((size + 1, sum(cells[i].value for i in (first, *extra)), (first, *extra)))
    best.sort()
    assert best and best[0][0] == 4
    assert best[0][2] == tuple(i for i, h in enumerate(hidden) if h)
    assert best[1][:2] > best[0][:2], "the optimum is unique"


# -- beyond one machine: two cities' cubes merged with DuckDB --------------------------------------


def province_registry(path: Path, cities: Sequence[tuple[str, str, int]], tmp: Path) -> tuple[shiliu.Registry, list[City]]:
    """A registry of 江苏省 holding the given cities (code, name, seed), each with its
    residents from a ledger and three more through the JSON protocol."""
    tmp.mkdir(exist_ok=True)
    reg = shiliu.Registry.open(path, today=TODAY)
    province = reg.add_unit(kind="province", name="江苏省", code="320000", valid_from="2000-01-01")
    out = []
    for code, name, seed in cities:
        c = add_units(reg, code, name, province=province, districts=2, streets=1, communities=2)
        ledger = residents_ledger(c, tmp / f"{code}.csv", 150, seed=seed, serial=seed * 1000)
        assert reg.import_residents(ledger).inserted == 150
        community = c.ids[code[:4] + "05001001"]
        for i, eth in enumerate(["回族", "03", "Man"]):
            doc = json.loads(reg._native.execute(json.dumps({"op": "add_resident", "args": {
                "name": f"{name}新居民{i}", "ethnicity": eth, "community": community,
                "arrived_on": "2024-03-01", "category": "migrant"}}, ensure_ascii=False)))
            assert isinstance(doc["result"], int)
        out.append(c)
    return reg, out


def test_cubes_of_two_cities_merged_with_duckdb_equal_the_cube_of_one_registry(tmp_path: Path) -> None:
    duckdb: Any = importlib.import_module("duckdb")
    cubes = []
    for code, name, seed in (("320500", "苏州市", 11), ("320400", "常州市", 12)):
        reg, _ = province_registry(tmp_path / f"{code}.db", [(code, name, seed)], tmp_path / code)
        with reg:
            cubes.append(tmp_path / f"cube-{code}.csv")
            assert reg.export_cube(cubes[-1], as_of=AS_OF)["rows"] > 0
    both, _ = province_registry(tmp_path / "both.db", [("320500", "苏州市", 11), ("320400", "常州市", 12)],
                                tmp_path / "both")
    with both:
        combined = tmp_path / "cube-both.csv"
        both.export_cube(combined, as_of=AS_OF)
    # The merge: what a provincial office does with the cubes its cities report.
    merged = tmp_path / "merged.csv"
    sources = ", ".join(f"'{c}'" for c in cubes)
    duckdb.sql(f"""
        COPY (
            SELECT code_path, level, min(name) AS name, ethnicity, sum(CAST(headcount AS BIGINT)) AS headcount
            FROM read_csv([{sources}], header = true, all_varchar = true)
            GROUP BY code_path, level, ethnicity
            ORDER BY code_path, ethnicity NULLS FIRST
        ) TO '{merged}' (HEADER, DELIMITER ',')
    """)
    # Before suppression: exactly the combined registry's rows (the province's rows are
    # the sums of the two cities').
    merged_rows, combined_rows = read_cube(merged), read_cube(combined)
    assert merged_rows[0] == combined_rows[0] == ("code_path", "level", "name", "ethnicity", "headcount")
    assert sorted(merged_rows[1:]) == sorted(combined_rows[1:])
    province = [r for r in merged_rows if r[0] == "320000" and r[3] == ""]
    per_city = [int(next(r[4] for r in read_cube(c) if r[0] == "320000" and r[3] == "")) for c in cubes]
    assert len(province) == 1 and province[0][1:3] == ("province", "江苏省")
    assert int(province[0][4]) == sum(per_city) and min(per_city) > 0
    # After suppression with the same k: the same statuses and published values.
    key = ["path", "ethnicity", "headcount", "status"]
    protected_merge = shiliu.protect_cube(merged, 5)
    protected_one = shiliu.protect_cube(combined, 5)
    assert frame_rows(protected_merge[key]) == frame_rows(protected_one[key])
    assert (protected_merge["status"] == "primary").any() and (protected_merge["status"] == "secondary").any()
