"""Statistics (统计): population tables, trends, summaries, aggregate tables and cubes.

Tables come from the native module as columns (``_native.Registry.table`` and
``_native.protect_cube``): row columns are ``bytearray`` buffers of little-endian
machine values already in their final layout, unit attributes and key values come once
each (their distinct values), so a DataFrame is built with ``numpy.frombuffer``,
``pandas.arrays.IntegerArray`` and ``pandas.Categorical.from_codes`` without one Python
object per row, in a constant number of steps. A registry handle hands out the same
tuples of unit names and paths while its tables are on the same units, and their pandas
dtypes are built once. Without pandas the same table comes back as a list of dicts.

Columns of a population table, in order: ``period`` (the period end, datetime64),
``unit`` (id), ``code``, ``name``, ``level``, ``level_zh``, ``path``, ``depth``; per
group key ``<key>`` (the value code; missing on a unit's total row) and
``<key>_name`` (its Chinese name; ``合计`` on a total row); ``headcount`` (人数;
nullable Int64, missing when suppressed), ``components`` (民族成分数, Int64),
``migrant_share`` (流动人口占比, 0–1, float), ``population`` (the unit's total
population from the denominator table, Int64), ``share`` (占比, in ``share_unit``);
trends add ``arrivals`` (迁入), ``departures`` (迁出) and ``growth`` (增减, all
Int64); then ``status`` (``published`` 公布 / ``primary`` 主隐藏 / ``secondary``
次隐藏), ``status_zh`` and ``split``. Unit attributes, keys and statuses are
categoricals. ``df.attrs`` holds ``transaction``, ``hierarchy``, ``geography``,
``periods``, ``k``, ``share_unit``, ``notes`` and ``dimensions``.
"""

from __future__ import annotations

import datetime as _dt
import importlib
import struct
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

Table = Any  # a pandas DataFrame when pandas is installed, else list[dict]

Dimension = Literal[
    "ethnicity", "category", "sex", "age_band", "origin_province",
    "民族", "人员类别", "性别", "年龄段", "流出地",
]
"""A group key: 民族, 人员类别 (registered 户籍 / migrant 流动), 性别, 年龄段, 流出地省份."""
Period = Literal["month", "quarter", "half_year", "year", "月", "季度", "半年", "年"]
"""The length of a trend's periods."""
ShareUnit = Literal["permille", "percent", "‰", "%"]
"""The unit of shares: ‰ (the default of ethnic-affairs reports) or %."""
Place = Literal["residence", "registration", "居住地", "户籍地"]
"""Which place counts: where residents live (居住地) or are registered (户籍地)."""
CellStatus = Literal["published", "primary", "secondary"]
"""Whether a cell is published (公布) or suppressed (主隐藏 primary, 次隐藏 secondary)."""

TOTAL_NAME = "合计"
"""The name of a unit's total row in every ``<key>_name`` column."""

_MEASURES = ("headcount", "components", "migrant_share", "population", "share")
_FLOWS = ("arrivals", "departures", "growth")
_UNIT_COLUMNS = ("code", "name", "level", "level_zh", "path")


def _attrs(cols: dict[str, Any]) -> dict[str, Any]:
    return {
        "transaction": cols["transaction"],
        "hierarchy": cols["hierarchy"],
        "geography": cols["geography"],
        "periods": list(cols["periods"]),
        "k": cols["k"],
        "share_unit": cols["share_unit"],
        "notes": list(cols["notes"]),
        "dimensions": list(cols["dimensions"]),
    }


_DTYPES: dict[int, tuple[tuple[Any, ...], Any]] = {}
"""pandas dtypes of the unit categories the native module handed out, by the tuple's
id (the entry holds the tuple, so the id cannot be reused while it is cached): a
registry answering on the same units again hands out the same tuple, and building the
dtype (an index of every unit's path and name) is then skipped."""
_DTYPES_LOCK = threading.Lock()
_DTYPES_KEPT = 32


def _unit_dtype(pd: Any, values: tuple[Any, ...]) -> Any:
    with _DTYPES_LOCK:
        hit = _DTYPES.get(id(values))
    if hit is not None and hit[0] is values:
        return hit[1]
    dtype = pd.CategoricalDtype(values)
    with _DTYPES_LOCK:
        if len(_DTYPES) >= _DTYPES_KEPT:
            del _DTYPES[next(iter(_DTYPES))]
        _DTYPES[id(values)] = (values, dtype)
    return dtype


def frame(cols: dict[str, Any]) -> Table:
    """The DataFrame of a table answered as columns (the list of dicts without pandas).

    Every row column arrives as a buffer in its final layout, so this is a constant
    number of Python operations whatever the number of rows.
    """
    try:
        # Imported by name: pandas is optional and ships no type information.
        pd: Any = importlib.import_module("pandas")
        np: Any = importlib.import_module("numpy")
    except ImportError:
        return rows(cols)

    def categorical(values: list[Any], dtype: str, codes: bytearray) -> Any:
        """A categorical over the key values ``values`` from a buffer of codes (-1 =
        missing); repeated values (none so far) are merged."""
        index = np.frombuffer(codes, dtype=dtype)
        if len(set(values)) != len(values):
            cats = list(dict.fromkeys(values))
            lut = np.array([cats.index(v) for v in values] + [-1], dtype=np.int32)
            return pd.Categorical.from_codes(lut[index], categories=cats, validate=False)
        return pd.Categorical.from_codes(index, categories=values, validate=False)

    def ints(pair: tuple[bytearray, bytearray]) -> Any:
        values, missing = pair
        return pd.arrays.IntegerArray(
            np.frombuffer(values, dtype="<i8"), np.frombuffer(missing, dtype=np.bool_)
        )

    data: dict[str, Any] = {
        "period": np.frombuffer(cols["period"], dtype="<M8[s]"),
        "unit": np.frombuffer(cols["unit"], dtype="<i8"),
    }
    for name in _UNIT_COLUMNS:
        values, dtype, codes = cols[name]
        data[name] = pd.Categorical.from_codes(
            np.frombuffer(codes, dtype=dtype), dtype=_unit_dtype(pd, values), validate=False
        )
    data["depth"] = np.frombuffer(cols["depth"], dtype="<i8")
    for label, (codes, names, code_index, name_index) in zip(cols["dimensions"], cols["keys"], strict=True):
        data[label] = categorical(codes, code_index[0], code_index[1])
        data[f"{label}_name"] = categorical(names, name_index[0], name_index[1])
    data["headcount"] = ints(cols["headcount"])
    data["components"] = ints(cols["components"])
    data["migrant_share"] = np.frombuffer(cols["migrant_share"], dtype="<f8")
    data["population"] = ints(cols["population"])
    data["share"] = np.frombuffer(cols["share"], dtype="<f8")
    if cols["trend"]:
        for name in _FLOWS:
            data[name] = ints(cols[name])
    status = np.frombuffer(cols["status"], dtype=np.int8)
    data["status"] = pd.Categorical.from_codes(status, categories=cols["statuses"], validate=False)
    data["status_zh"] = pd.Categorical.from_codes(status, categories=cols["statuses_zh"], validate=False)
    data["split"] = np.frombuffer(cols["split"], dtype=np.bool_)
    df = pd.DataFrame(data, copy=False)
    df.attrs.update(_attrs(cols))
    return df


_EPOCH = _dt.date(1970, 1, 1)


def rows(cols: dict[str, Any]) -> list[dict[str, Any]]:
    """A table answered as columns, as one dict per row (no pandas needed): the values
    of the JSON protocol's rows, with ``period`` a ``datetime.date`` (None if undated)."""
    n = int(cols["rows"])

    def unpack(fmt: str, buf: bytearray) -> tuple[Any, ...]:
        return struct.unpack(f"<{n}{fmt}", bytes(buf))

    def nullable(pair: tuple[bytearray, bytearray]) -> list[int | None]:
        values, missing = unpack("q", pair[0]), pair[1]
        return [None if missing[i] else int(values[i]) for i in range(n)]

    def floats(buf: bytearray) -> list[float | None]:
        return [None if v != v else float(v) for v in unpack("d", buf)]

    def labels(values: list[Any], dtype: str, codes: bytearray) -> list[Any]:
        fmt = {"i1": "b", "<i2": "h", "<i4": "i"}[dtype]
        return [None if c < 0 else values[c] for c in unpack(fmt, codes)]

    columns: dict[str, list[Any]] = {
        "period": [
            None if s == -(2**63) else _EPOCH + _dt.timedelta(seconds=s) for s in unpack("q", cols["period"])
        ],
        "unit": list(unpack("q", cols["unit"])),
    }
    for name in _UNIT_COLUMNS:
        columns[name] = labels(*cols[name])
    columns["depth"] = list(unpack("q", cols["depth"]))
    for label, (codes, names, code_index, name_index) in zip(cols["dimensions"], cols["keys"], strict=True):
        columns[label] = labels(codes, *code_index)
        columns[f"{label}_name"] = labels(names, *name_index)
    columns["headcount"] = nullable(cols["headcount"])
    columns["components"] = nullable(cols["components"])
    columns["migrant_share"] = floats(cols["migrant_share"])
    columns["population"] = nullable(cols["population"])
    columns["share"] = floats(cols["share"])
    if cols["trend"]:
        for name in _FLOWS:
            columns[name] = nullable(cols[name])
    columns["status"] = [cols["statuses"][s] for s in cols["status"]]
    columns["status_zh"] = [cols["statuses_zh"][s] for s in cols["status"]]
    columns["split"] = [bool(s) for s in cols["split"]]
    names = list(columns)
    return [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]


@dataclass(frozen=True)
class Summary:
    """概况 — a unit's headline figures on a date (:meth:`shiliu.Registry.summary`)."""

    unit: int
    """The unit's id."""
    code: str | None
    """Its code on the date."""
    name: str
    """Its name on the date."""
    level: str
    """Its level (``city``, ``district``, ``street``, ``community`` …)."""
    as_of: _dt.date
    """The date."""
    headcount: int | None
    """人数 — residents (None when suppressed)."""
    components: int | None
    """民族成分数 — distinct ethnic components."""
    population: int | None
    """总人口 — the unit's total population from the denominator table (None: missing)."""
    share: float | None
    """占比 — the residents' share of the total population, in ``share_unit``."""
    share_unit: str
    """``permille`` (‰) or ``percent`` (%)."""
    migrant_share: float | None
    """流动人口占比 — migrants' share of the residents (0–1)."""
    status: CellStatus
    """Disclosure status of the headcount."""
    k: int | None
    """The minimum cell size applied."""
    notes: list[str] = field(default_factory=list)
    """Notes (missing denominators …)."""

    @classmethod
    def _from_json(cls, raw: dict[str, Any]) -> Summary:
        return cls(
            unit=int(raw["unit"]),
            code=raw.get("code"),
            name=str(raw["name"]),
            level=str(raw["level"]),
            as_of=_dt.date.fromisoformat(raw["as_of"]),
            headcount=raw.get("headcount"),
            components=raw.get("components"),
            population=raw.get("population"),
            share=raw.get("share"),
            share_unit=str(raw["share_unit"]),
            migrant_share=raw.get("migrant_share"),
            status=raw["status"],
            k=raw.get("k"),
            notes=list(raw.get("notes", [])),
        )


@dataclass(frozen=True, eq=False)
class AggregateReport:
    """What :meth:`shiliu.Registry.import_aggregates` did.

    ``rejected`` (columns file, row, column, value, code, reason) is a pandas DataFrame
    when pandas is installed, else a list of dicts; rows are numbered as the file shows
    them. Every row not rejected was kept.
    """

    transaction: int | None
    """The transaction recorded (None for a dry run or when nothing changed)."""
    rows_read: int
    """Data rows read."""
    stored: int
    """Counts stored new or changed."""
    unchanged: int
    """Counts already stored with the same value."""
    rejected: Table
    """Rejected rows."""
    warnings: list[dict[str, str]]
    """Warnings (``code`` and ``message``; legacy notations …)."""
    _raw: dict[str, Any] = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON values, as the core wrote it."""
        import copy

        return copy.deepcopy(self._raw)
