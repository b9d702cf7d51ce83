"""Institutions as code (制度建设进社区): rule sets (制度规则集), assessment schemes
(考核方案), activities (工作记录), findings (检查结果) and scores (考核得分).

A rule set is a TOML or JSON file of rules of five kinds — ``cadence`` (activity K at
least N times per period), ``structure`` (posts filled, within a vacancy tolerance),
``deadline`` (a response within N days of a trigger), ``coverage`` (each flagged
resident reached) and ``threshold`` (an expression over a unit's counts). It needs no
registry to read and check:

    >>> import shiliu
    >>> suzhou = shiliu.RuleSet.preset("suzhou")
    >>> (suzhou.id, suzhou.version, suzhou.rules[1]["id"], suzhou.rules[1]["period"])
    ('suzhou', '2024.1', 'R2', 'quarter')
    >>> shiliu.RuleSet.preset("suzhou", **{"R6.within_days": 10}).rule("R6")["within_days"]
    10
    >>> shiliu.RuleSet.from_text(suzhou.text).hash == suzhou.hash
    True

Evaluating one against a registry (:meth:`shiliu.Registry.evaluate`) gives findings
with their evidence and an explanation in English and Chinese; tables are pandas
DataFrames when pandas is installed, else lists of dicts.
"""

from __future__ import annotations

import copy
import datetime as _dt
import importlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Union

from . import _native

Table = Any  # a pandas DataFrame when pandas is installed, else list[dict]
DateLike = Union[_dt.date, str]

STATUSES = ("met", "breach", "on_time", "late", "overdue", "pending", "warning", "not_applicable")
"""Finding statuses, in order: 达标, 未达标, 按时, 逾期完成, 已逾期, 待办, 预警, 不适用."""
STATUSES_ZH = ("达标", "未达标", "按时", "逾期完成", "已逾期", "待办", "预警", "不适用")
"""The Chinese names of :data:`STATUSES`, in the same order."""
RULE_KINDS = ("cadence", "structure", "deadline", "coverage", "threshold")
"""Kinds of rule: 频次, 岗位配备, 时限, 覆盖, 指标."""
SUBJECT_KINDS = ("unit", "body", "post", "resident")
"""What a finding is about."""
ACTIVITY_KINDS = (
    "meeting", "visit", "consultation", "aid", "briefing", "event", "training", "publicity", "matter",
)
"""Built-in activity kinds: 会议, 走访, 咨询, 帮扶, 通报, 活动, 培训, 宣传, 重要事项."""

FINDING_COLUMNS = (
    "rule", "version", "rule_kind", "subject_kind", "subject", "subject_name", "unit", "unit_name",
    "period_from", "period_to", "status", "status_zh", "expected", "actual", "triggered", "due",
    "evidence", "explanation", "explanation_zh",
)
COMPLIANCE_COLUMNS = ("unit", "code", "name", "depth", "rule", "compliant", "non_compliant", "undecided", "rate")
ACTIVITY_COLUMNS = (
    "id", "date", "kind", "kind_zh", "subtype", "title", "unit", "unit_name", "body", "participants",
    "subjects", "answers", "category", "resolved", "aid_kind", "amount", "evidence", "note", "reference",
    "transaction",
)
SCORE_COLUMNS = ("rank", "unit", "code", "name", "total", "eligible", "vetoed")
ITEM_COLUMNS = ("rank", "unit", "code", "name", "indicator", "item", "item_name", "points", "max", "basis", "note")
ACTIVITY_REJECTED_COLUMNS = ("file", "sheet", "row", "column", "value", "code", "message", "message_zh")

_STATUS_ZH = dict(zip(STATUSES, STATUSES_ZH, strict=True))


def _pandas() -> Any:
    """pandas, or None when it is not installed (imported by name: it is optional)."""
    try:
        return importlib.import_module("pandas")
    except ImportError:
        return None


def _day(value: Any) -> _dt.date | None:
    return None if value is None else _dt.date.fromisoformat(str(value))


def _iso(d: DateLike) -> str:
    if isinstance(d, _dt.datetime):
        raise TypeError("pass a datetime.date, not a datetime")
    return d.isoformat() if isinstance(d, _dt.date) else str(d)


def preset_text(name: str) -> str:
    """The TOML text of a built-in preset (预置): the rule set ``suzhou`` (苏州预置制度,
    R1–R12) or the assessment scheme ``model_community`` (示范社区考核) — a file to copy,
    edit and load with :meth:`RuleSet.from_file` or :meth:`Scheme.from_file`.

    >>> 'id = "suzhou"' in preset_text("suzhou")
    True
    """
    return _native.preset_text(name)


def _override_pairs(overrides: Mapping[str, Any] | None, more: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``{"R6.within_days": 10}`` (or ``R6__within_days=10``) as the core's text pairs:
    a string is passed as written (read as JSON, else as text), anything else as JSON."""
    pairs: list[tuple[str, str]] = []
    for key, value in {**dict(overrides or {}), **dict(more)}.items():
        path = key if "." in key else key.replace("__", ".", 1)
        if isinstance(value, str):
            text = value
        elif isinstance(value, _dt.date):
            text = json.dumps(_iso(value))
        else:
            text = json.dumps(value, ensure_ascii=False)
        pairs.append((path, text))
    return pairs


class RuleSet:
    """制度规则集 — a rule set, read and checked (every error is a
    :class:`shiliu.ValidationError` naming the rule and the field).

    ``id``, ``version`` and ``name`` are the file's; ``hash`` is the SHA-256 of the
    canonical JSON (``canonical``: the same rules give the same hash however the file
    is formatted); ``text`` is what it was read from; ``rules`` are the rules in file
    order as dicts (``id``, ``kind``, ``title``, ``title_en`` and the kind's fields,
    defaults filled in). Rule sets compare equal when their hashes are.
    """

    __slots__ = ("_args", "canonical", "hash", "id", "name", "rules", "text", "version")

    id: str
    version: str
    name: str | None
    hash: str
    text: str
    canonical: str
    rules: list[dict[str, Any]]

    def __init__(self, summary: str, args: dict[str, Any] | None = None) -> None:
        """Made by :meth:`from_text`, :meth:`from_file` and :meth:`preset` (``summary``
        is the native module's JSON; ``args`` what names the set in a request)."""
        raw: dict[str, Any] = json.loads(summary)
        self.id = str(raw["id"])
        self.version = str(raw["version"])
        self.name = raw.get("name")
        self.hash = str(raw["hash"])
        self.text = str(raw["text"])
        self.canonical = str(raw["canonical"])
        self.rules = list(json.loads(self.canonical).get("rules", []))
        self._args: dict[str, Any] = args if args is not None else {"rules": self.canonical}

    @classmethod
    def from_text(cls, text: str) -> RuleSet:
        """Read a rule set from TOML or JSON text (JSON when it starts with ``{``)."""
        return cls(_native.check_rules(text), {"rules": text})

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> RuleSet:
        """Read a rule set file (TOML or JSON); a ``calendar_file`` it names (working
        days, 工作日) is read relative to it. An unreadable file is a
        :class:`shiliu.StorageError`."""
        return cls(_native.check_rules_file(os.fspath(path)))

    @classmethod
    def preset(cls, name: str = "suzhou", /, **overrides: Any) -> RuleSet:
        """A built-in rule set (预置, ``suzhou``) with overrides of rule fields, given as
        ``overrides={"R6.within_days": 5}``, as keywords ``**{"R6.within_days": 5}`` or
        as ``R6__within_days=5``. Values that are strings are read as JSON, else as
        text; other values are written as JSON."""
        given = dict(overrides)
        nested = given.pop("overrides", None)
        if nested is not None and not isinstance(nested, Mapping):
            raise TypeError("overrides: expected a mapping of RULE.field to a value")
        pairs = _override_pairs(nested, given)
        args: dict[str, Any] = {"preset": name}
        if pairs:
            args["overrides"] = dict(pairs)
        return cls(_native.check_rules_preset(name, pairs or None), args)

    def rule(self, rule_id: str) -> dict[str, Any]:
        """The rule with this id (KeyError when the set has none)."""
        for r in self.rules:
            if r.get("id") == rule_id:
                return r
        raise KeyError(rule_id)

    @property
    def rule_ids(self) -> list[str]:
        """The rules' ids, in file order."""
        return [str(r["id"]) for r in self.rules]

    def _request(self) -> dict[str, Any]:
        return copy.deepcopy(self._args)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RuleSet) and other.hash == self.hash

    def __hash__(self) -> int:
        return hash(self.hash)

    def __repr__(self) -> str:
        return f"RuleSet(id={self.id!r}, version={self.version!r}, rules={len(self.rules)}, hash={self.hash[:12]!r})"


class Scheme:
    """考核方案 — an assessment scheme (示范社区考核): first-level indicators (一级指标)
    whose items (二级指标) add up to them, 100 points in all; items scored from a rule's
    compliance rate, an expression, or by hand (``manual``, see
    :meth:`shiliu.Registry.enter_assessment`); veto items (一票否决); a ``threshold``
    (default 90) for eligibility.

    >>> s = Scheme.preset("model_community")
    >>> (s.id, s.threshold, [i["id"] for i in s.indicators], [v["id"] for v in s.vetoes])
    ('model_community', 90.0, ['A', 'B', 'C'], ['V1'])
    """

    __slots__ = ("_args", "id", "indicators", "name", "text", "threshold", "unit_kind", "version", "vetoes")

    id: str
    version: str
    name: str | None
    threshold: float
    unit_kind: str
    indicators: list[dict[str, Any]]
    vetoes: list[dict[str, Any]]
    text: str

    def __init__(self, raw_json: str, args: dict[str, Any] | None = None) -> None:
        """Made by :meth:`from_text`, :meth:`from_file` and :meth:`preset`."""
        raw: dict[str, Any] = json.loads(raw_json)
        self.id = str(raw["id"])
        self.version = str(raw["version"])
        self.name = raw.get("name")
        self.threshold = float(raw["threshold"])
        self.unit_kind = str(raw["unit_kind"])
        self.indicators = list(raw.get("indicator", []))
        self.vetoes = list(raw.get("veto", []))
        self.text = str(raw["text"])
        self._args: dict[str, Any] = args if args is not None else {"scheme": self.text}

    @classmethod
    def from_text(cls, text: str) -> Scheme:
        """Read a scheme from TOML or JSON text; items must add up to their indicator and
        indicators to 100, ids must be unique (else :class:`shiliu.ValidationError`)."""
        return cls(_native.check_scheme(text), {"scheme": text})

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Scheme:
        """Read a scheme file (TOML or JSON)."""
        return cls(_native.check_scheme_file(os.fspath(path)))

    @classmethod
    def preset(cls, name: str = "model_community") -> Scheme:
        """A built-in scheme (``model_community``, 民族团结进步示范社区考核)."""
        return cls(_native.check_scheme_preset(name), {"scheme_preset": name})

    @property
    def items(self) -> list[dict[str, Any]]:
        """Every second-level item, in order, each with its ``indicator``."""
        return [{"indicator": ind["id"], **item} for ind in self.indicators for item in ind.get("item", [])]

    def _request(self) -> dict[str, Any]:
        return dict(self._args)

    def __repr__(self) -> str:
        return f"Scheme(id={self.id!r}, version={self.version!r}, threshold={self.threshold})"


def rules_request(rules: RuleSet | str) -> dict[str, Any]:
    """The request args naming a rule set: a :class:`RuleSet` or a preset's name."""
    if isinstance(rules, RuleSet):
        return rules._request()
    if isinstance(rules, str):
        return {"preset": rules}
    raise TypeError(f"rules: expected a shiliu.RuleSet or a preset's name, not {type(rules).__name__}")


def scheme_request(scheme: Scheme | str) -> dict[str, Any]:
    """The request args naming a scheme: a :class:`Scheme` or a preset's name."""
    if isinstance(scheme, Scheme):
        return scheme._request()
    if isinstance(scheme, str):
        return {"scheme_preset": scheme}
    raise TypeError(f"scheme: expected a shiliu.Scheme or a preset's name, not {type(scheme).__name__}")


# -- tables ------------------------------------------------------------------------------


def _frame(
    pd: Any,
    rows: list[dict[str, Any]],
    columns: Sequence[str],
    *,
    ints: Sequence[str] = (),
    dates: Sequence[str] = (),
    floats: Sequence[str] = (),
    bools: Sequence[str] = (),
    categories: Mapping[str, Sequence[str]] | None = None,
) -> Any:
    """A DataFrame of ``rows`` with the given columns: ids and counts as nullable Int64,
    ISO dates as ``datetime64[s]`` (NaT when missing), floats with NaN, nullable
    booleans, categoricals over the given categories; lists stay lists (object)."""
    np: Any = importlib.import_module("numpy")
    data: dict[str, Any] = {}
    for col in columns:
        values = [r.get(col) for r in rows]
        if col in ints:
            data[col] = pd.array(values, dtype="Int64")
        elif col in dates:
            data[col] = np.array(values, dtype="datetime64[s]") if values else np.array([], dtype="datetime64[s]")
        elif col in floats:
            data[col] = np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
        elif col in bools:
            data[col] = pd.array(values, dtype="boolean")
        elif categories is not None and col in categories:
            data[col] = pd.Categorical(values, categories=list(categories[col]))
        else:
            series = np.empty(len(values), dtype=object)
            series[:] = values
            data[col] = series
    return pd.DataFrame(data, columns=list(columns), index=pd.RangeIndex(len(rows)))


def _in_order(values: Sequence[Any], first: Sequence[str] = ()) -> list[str]:
    """``first`` then the other distinct values in order of appearance."""
    return list(dict.fromkeys([*first, *(str(v) for v in values if v is not None)]))


def _finding(raw: dict[str, Any]) -> dict[str, Any]:
    row = {c: raw.get(c) for c in FINDING_COLUMNS}
    row["status_zh"] = _STATUS_ZH.get(str(raw.get("status")))
    row["evidence"] = list(raw.get("evidence") or [])
    return row


def findings_table(raw: list[dict[str, Any]], rule_ids: Sequence[str] = ()) -> Table:
    """Findings as a DataFrame: ``rule`` (categorical over the set's rule ids),
    ``rule_kind``, ``subject_kind``, ``status`` and ``status_zh`` categoricals,
    ``subject``/``unit`` Int64, ``period_from``/``period_to``/``triggered``/``due``
    datetime64 (NaT when none), ``expected``/``actual`` float (NaN when none),
    ``evidence`` a list of activity ids per row. Without pandas, dicts with dates as
    :class:`datetime.date`."""
    rows = [_finding(f) for f in raw]
    pd = _pandas()
    if pd is None:
        for r in rows:
            for c in ("period_from", "period_to", "triggered", "due"):
                r[c] = _day(r[c])
        return rows
    return _frame(
        pd,
        rows,
        FINDING_COLUMNS,
        ints=("subject", "unit"),
        dates=("period_from", "period_to", "triggered", "due"),
        floats=("expected", "actual"),
        categories={
            "rule": _in_order([r["rule"] for r in rows], rule_ids),
            "rule_kind": RULE_KINDS,
            "subject_kind": SUBJECT_KINDS,
            "status": STATUSES,
            "status_zh": STATUSES_ZH,
        },
    )


def compliance_table(raw: list[dict[str, Any]]) -> Table:
    """The compliance roll-up (达标率) as a DataFrame: per unit (pre-order, ``depth`` below
    the evaluation's root) a row for all rules (``rule`` missing) then one per rule;
    ``compliant`` (met, on time), ``non_compliant`` (breach, late, overdue),
    ``undecided`` (pending, warning, not applicable) and ``rate`` = compliant /
    decided (NaN when nothing was decided)."""
    rows = [{c: r.get(c) for c in COMPLIANCE_COLUMNS} for r in raw]
    pd = _pandas()
    if pd is None:
        return rows
    return _frame(
        pd,
        rows,
        COMPLIANCE_COLUMNS,
        ints=("unit", "depth", "compliant", "non_compliant", "undecided"),
        floats=("rate",),
    )


@dataclass(frozen=True, eq=False)
class Evaluation:
    """制度检查结果 — what :meth:`shiliu.Registry.evaluation` found.

    Compare evaluations through :attr:`digest` (equal findings, equal digest) or
    :meth:`to_dict`; DataFrames have no plain equality.
    """

    rule_set: str
    """The rule set's id."""
    version: str
    """Its version."""
    hash: str
    """Its hash (:attr:`RuleSet.hash`)."""
    transaction: int
    """The transaction the evaluation saw."""
    today: _dt.date
    """"Today" for pending (待办) and overdue (已逾期) deadlines."""
    period_from: _dt.date
    """First day of the period evaluated."""
    period_to: _dt.date
    """Last day of the period evaluated."""
    under: int | None
    """The subtree's root, if one was asked for."""
    digest: str
    """SHA-256 over the findings."""
    run: int | None
    """The stored run (see :meth:`shiliu.Registry.reproduce`), when it was recorded."""
    findings: Table
    """Findings (检查结果), one per rule, subject and period (:func:`findings_table`)."""
    compliance: Table
    """Compliance rates rolled up the unit tree (:func:`compliance_table`)."""
    _raw: dict[str, Any] = field(repr=False)

    @classmethod
    def _from_json(cls, raw: dict[str, Any], rule_ids: Sequence[str] = ()) -> Evaluation:
        period = raw["period"]
        return cls(
            rule_set=str(raw["rule_set"]),
            version=str(raw["version"]),
            hash=str(raw["hash"]),
            transaction=int(raw["transaction"]),
            today=_dt.date.fromisoformat(raw["today"]),
            period_from=_dt.date.fromisoformat(period["from"]),
            period_to=_dt.date.fromisoformat(period["to"]),
            under=None if raw.get("under") is None else int(raw["under"]),
            digest=str(raw["digest"]),
            run=None if raw.get("run") is None else int(raw["run"]),
            findings=findings_table(list(raw["findings"]), rule_ids),
            compliance=compliance_table(list(raw["compliance"])),
            _raw=raw,
        )

    def attrs(self) -> dict[str, Any]:
        """The header as the findings DataFrame's ``attrs`` carry it: ``rule_set``,
        ``version``, ``hash``, ``transaction``, ``today``, ``period_from``, ``period_to``,
        ``under``, ``digest``, ``run`` and ``compliance`` (the roll-up as dicts)."""
        return {
            "rule_set": self.rule_set,
            "version": self.version,
            "hash": self.hash,
            "transaction": self.transaction,
            "today": self.today,
            "period_from": self.period_from,
            "period_to": self.period_to,
            "under": self.under,
            "digest": self.digest,
            "run": self.run,
            "compliance": copy.deepcopy(list(self._raw["compliance"])),
        }

    def table(self) -> Table:
        """The findings with the header in ``df.attrs`` (the list of dicts without pandas)."""
        df = self.findings
        if _pandas() is not None:
            df = df.copy()
            df.attrs.update(self.attrs())
        return df

    def to_dict(self) -> dict[str, Any]:
        """The evaluation as plain JSON values, as the core wrote it."""
        return copy.deepcopy(self._raw)


@dataclass(frozen=True, eq=False)
class Assessment:
    """示范社区考核结果 — what :meth:`shiliu.Registry.assessment` scored."""

    scheme: str
    """The scheme's id."""
    version: str
    """Its version."""
    threshold: float
    """Eligible at this many points or more, without a veto."""
    period_from: _dt.date
    """First day of the period assessed."""
    period_to: _dt.date
    """Last day of the period assessed."""
    transaction: int
    """The transaction seen."""
    scores: Table
    """One row per unit, best first: ``rank``, ``unit``, ``code``, ``name``, ``total``,
    ``eligible``, ``vetoed`` (veto ids, 一票否决) and one column of points per item
    (``A1``, ``A2`` …)."""
    items: Table
    """One row per unit and item: ``rank``, ``unit``, ``code``, ``name``, ``indicator``,
    ``item``, ``item_name``, ``points``, ``max``, ``basis`` (``rule``, ``expr``,
    ``manual``, ``manual_missing``) and ``note`` (how the points were found)."""
    _raw: dict[str, Any] = field(repr=False)

    @classmethod
    def _from_json(cls, raw: dict[str, Any]) -> Assessment:
        item_ids = _in_order([i["item"] for s in raw["scores"] for i in s["items"]])
        scores: list[dict[str, Any]] = []
        items: list[dict[str, Any]] = []
        for s in raw["scores"]:
            head = {c: s.get(c) for c in SCORE_COLUMNS}
            head["vetoed"] = list(s.get("vetoed") or [])
            points = {i["item"]: i["points"] for i in s["items"]}
            scores.append({**head, **{k: points.get(k) for k in item_ids}})
            for i in s["items"]:
                items.append({
                    "rank": s["rank"], "unit": s["unit"], "code": s.get("code"), "name": s["name"],
                    "indicator": i["indicator"], "item": i["item"], "item_name": i["name"],
                    "points": i["points"], "max": i["max"], "basis": i["basis"], "note": i["note"],
                })
        pd = _pandas()
        period = raw["period"]
        score_table: Table = scores
        item_table: Table = items
        if pd is not None:
            score_table = _frame(
                pd, scores, (*SCORE_COLUMNS, *item_ids), ints=("rank", "unit"),
                floats=("total", *item_ids), bools=("eligible",),
            )
            score_table["eligible"] = score_table["eligible"].astype(bool)
            item_table = _frame(
                pd, items, ITEM_COLUMNS, ints=("rank", "unit"), floats=("points", "max"),
                categories={
                    "indicator": _in_order([i["indicator"] for i in items]),
                    "item": item_ids,
                    "basis": ("rule", "expr", "manual", "manual_missing"),
                },
            )
        return cls(
            scheme=str(raw["scheme"]),
            version=str(raw["version"]),
            threshold=float(raw["threshold"]),
            period_from=_dt.date.fromisoformat(period["from"]),
            period_to=_dt.date.fromisoformat(period["to"]),
            transaction=int(raw["transaction"]),
            scores=score_table,
            items=item_table,
            _raw=raw,
        )

    def attrs(self) -> dict[str, Any]:
        """The header as the scores DataFrame's ``attrs`` carry it."""
        return {
            "scheme": self.scheme,
            "version": self.version,
            "threshold": self.threshold,
            "period_from": self.period_from,
            "period_to": self.period_to,
            "transaction": self.transaction,
        }

    def table(self) -> Table:
        """The scores with the header in ``df.attrs`` (the list of dicts without pandas)."""
        df = self.scores
        if _pandas() is not None:
            df = df.copy()
            df.attrs.update(self.attrs())
        return df

    def to_dict(self) -> dict[str, Any]:
        """The assessment as plain JSON values, as the core wrote it."""
        return copy.deepcopy(self._raw)


def _activity(raw: dict[str, Any]) -> dict[str, Any]:
    row = {c: raw.get(c) for c in ACTIVITY_COLUMNS}
    for c in ("participants", "subjects", "evidence"):
        row[c] = list(raw.get(c) or [])
    return row


def activity_record(raw: dict[str, Any]) -> dict[str, Any]:
    """One activity as a dict, its ``date`` a :class:`datetime.date`."""
    row = _activity(raw)
    row["date"] = _day(row["date"])
    return row


def activities_table(raw: list[dict[str, Any]]) -> Table:
    """Activities as a DataFrame: ``date`` datetime64, ``kind`` a categorical (the
    built-in kinds, then custom ones), ids Int64, ``resolved`` nullable boolean,
    ``amount`` float; ``participants``, ``subjects`` (ids) and ``evidence`` (dicts of
    ``document`` and ``sha256``) are lists."""
    rows = [_activity(r) for r in raw]
    pd = _pandas()
    if pd is None:
        for r in rows:
            r["date"] = _day(r["date"])
        return rows
    return _frame(
        pd,
        rows,
        ACTIVITY_COLUMNS,
        ints=("id", "unit", "body", "answers", "transaction"),
        dates=("date",),
        floats=("amount",),
        bools=("resolved",),
        categories={"kind": _in_order([r["kind"] for r in rows], ACTIVITY_KINDS)},
    )


@dataclass(frozen=True, eq=False)
class ActivityImportReport:
    """What :meth:`shiliu.Registry.import_activities` did (导入工作记录).

    The counts are attributes; ``rejected`` (columns file, sheet, row, column, value,
    code, message, message_zh; rows numbered as the file shows them) is a pandas
    DataFrame when pandas is installed, else a list of dicts. Every row not rejected was
    kept. Compare reports through :meth:`to_dict`.
    """

    transaction: int | None
    """The transaction recorded (None for a dry run or when nothing changed)."""
    rows_read: int
    """Data rows read (every sheet)."""
    inserted: int
    """New activities."""
    updated: int
    """Activities with a reference (编号) that changed."""
    unchanged: int
    """Activities already recorded as they are."""
    rejected: Table
    """Rejected rows."""
    warnings: list[dict[str, str]]
    """Warnings about the file (``code`` and ``message``; unmapped columns …)."""
    _raw: dict[str, Any] = field(repr=False)

    @classmethod
    def _from_json(cls, raw: dict[str, Any]) -> ActivityImportReport:
        rejected = [{c: r.get(c) for c in ACTIVITY_REJECTED_COLUMNS} for r in raw.get("rejected", [])]
        pd = _pandas()
        table: Table = rejected
        if pd is not None:
            table = _frame(pd, rejected, ACTIVITY_REJECTED_COLUMNS, ints=("row",))
        return cls(
            transaction=None if raw.get("transaction") is None else int(raw["transaction"]),
            rows_read=int(raw["rows_read"]),
            inserted=int(raw["inserted"]),
            updated=int(raw["updated"]),
            unchanged=int(raw["unchanged"]),
            rejected=table,
            warnings=[dict(w) for w in raw.get("warnings", [])],
            _raw=raw,
        )

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON values, as the core wrote it."""
        return copy.deepcopy(self._raw)


def evidence_arg(evidence: Sequence[Any] | None) -> list[dict[str, str]] | None:
    """Evidence documents as the core takes them: each a name, a (name, sha256) pair or a
    dict of ``document`` and ``sha256``."""
    if evidence is None:
        return None
    out: list[dict[str, str]] = []
    for e in evidence:
        if isinstance(e, str):
            out.append({"document": e})
        elif isinstance(e, Mapping):
            out.append({k: str(v) for k, v in e.items() if v is not None})
        else:
            document, sha256 = e
            out.append({"document": str(document), "sha256": str(sha256)})
    return out
