"""The registry: one SQLite file (or memory), one principal, one clock.

Every method is one JSON request to the Rust core (the same protocol the C ABI uses);
the GIL is released while the core works, so a registry may be shared by threads.
"""

from __future__ import annotations

import copy
import datetime as _dt
import importlib
import json
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, TextIO, Union

from . import _native, _rules, _stats
from ._stats import AggregateReport, Dimension, Period, Place, ShareUnit, Summary

FORMAT_VERSION: int = _native.FORMAT_VERSION
"""Version of the JSON documents shiliu reads and writes."""

Role = Literal["administrator", "operator", "viewer", "analyst"]
Hierarchy = Literal["legal", "managing", "working"]
DateLike = Union[_dt.date, str]
Table = Any  # a pandas DataFrame when pandas is installed, else list[dict]
PeriodArg = Union[str, int, tuple[DateLike, DateLike]]
"""A period: ``"2024"``, ``"2024-Q1"``, ``"2024-H1"``, ``"2024-03"``,
``"2024-01-01..2024-06-30"``, a year as an int, or a ``(from, to)`` pair of dates."""
Progress = Callable[[int, int], object]
"""A progress callback: called with (rows done, rows in total)."""


@dataclass(frozen=True)
class Principal:
    """Who acts through a registry handle.

    ``scope`` is a unit id whose subtree (across reorganisations) the principal covers;
    only an administrator may have none. Roles: administrator, operator (writes in
    scope), viewer (reads in scope; personal data masked), analyst (aggregates only).
    """

    name: str
    role: Role = "viewer"
    scope: int | None = None
    hierarchy: Hierarchy = "legal"
    purpose: str | None = None


def _date(d: DateLike | None) -> str | None:
    if d is None:
        return None
    if isinstance(d, _dt.datetime):
        raise TypeError("pass a datetime.date, not a datetime")
    if isinstance(d, _dt.date):
        return d.isoformat()
    return str(d)


def _period(p: PeriodArg) -> str:
    if isinstance(p, tuple):
        start, end = p
        return f"{_date(start)}..{_date(end)}"
    if isinstance(p, bool):
        raise TypeError("period: expected text, a year or a (from, to) pair")
    return str(p)


def _options(principal: Principal | dict[str, Any] | None, today: DateLike | None, must_exist: bool) -> str:
    opts: dict[str, Any] = {"must_exist": must_exist}
    if principal is not None:
        opts["principal"] = asdict(principal) if isinstance(principal, Principal) else dict(principal)
    if today is not None:
        opts["today"] = _date(today)
    return json.dumps(opts, ensure_ascii=False)


def _flatten(row: dict[str, Any]) -> dict[str, Any]:
    """Turns nested ``valid: {from, to}`` into ``valid_from`` / ``valid_to`` columns."""
    out = dict(row)
    valid = out.pop("valid", None)
    if isinstance(valid, dict):
        out["valid_from"] = _dt.date.fromisoformat(valid["from"])
        out["valid_to"] = _dt.date.fromisoformat(valid["to"]) if valid.get("to") else None
    return out


def _json_default(value: object) -> str:
    """Encodes dates nested in request arguments (``into={"valid_from": date(...)}``)."""
    if isinstance(value, _dt.date):
        return _date(value) or ""
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


UNIT_COLUMNS = ("id", "kind", "kind_zh", "name", "code", "parent", "valid_from", "valid_to")
TREE_COLUMNS = (*UNIT_COLUMNS, "depth", "path")
LINEAGE_COLUMNS = (
    "event", "kind", "kind_zh", "date", "predecessor", "predecessor_name", "successor", "successor_name",
)
HOLDER_COLUMNS = (
    "post", "unit", "body", "body_name", "role", "role_zh", "responsibility",
    "holder_id", "holder_name", "holder_masked", "holder_titles",
)
ORGANISATION_COLUMNS = ("id", "name", "credit_code", "unit", "kind", "valid_from", "valid_to")
_ID_COLUMNS = {"id", "parent", "unit", "post", "body", "holder_id", "event", "predecessor", "successor"}


RESIDENT_COLUMNS = (
    "id", "name", "sex", "birth_date", "id_number", "ethnicity", "ethnicity_name", "phone",
    "category", "origin", "community", "masked",
)
REJECTED_COLUMNS = ("file", "sheet", "row", "column", "value", "code", "message", "message_zh")
SKIPPED_COLUMNS = ("file", "sheet", "row", "reason", "text")
ROW_WARNING_COLUMNS = ("file", "sheet", "row", "code", "message")
AGGREGATE_REJECTED_COLUMNS = ("file", "row", "column", "value", "code", "reason")


def _table(
    rows: list[dict[str, Any]], columns: tuple[str, ...], ints: Iterable[str] = _ID_COLUMNS
) -> Table:
    """A DataFrame with the given columns (ids as nullable integers, so an empty result
    still has its columns and a missing parent is <NA>, not a float NaN); without pandas,
    the list of dicts."""
    rows = [_flatten(r) for r in rows]
    try:
        # Imported by name: pandas is optional and ships no type information.
        pd: Any = importlib.import_module("pandas")
    except ImportError:
        return rows
    frame = pd.DataFrame(rows, columns=list(columns))
    for col in set(ints).intersection(columns):
        frame[col] = frame[col].astype("Int64")
    return frame


def _resident(row: dict[str, Any]) -> dict[str, Any]:
    """A resident as answered, with dates as ``datetime.date`` and each residence's
    ``valid`` flattened to ``valid_from`` / ``valid_to``."""
    out = dict(row)
    if out.get("birth_date"):
        out["birth_date"] = _dt.date.fromisoformat(out["birth_date"])
    if "residences" in out:
        out["residences"] = [_flatten(r) for r in out["residences"]]
    return out


def _ethnicity(value: Any) -> Any:
    """An ethnicity argument: a notation string, or a :class:`shiliu.Ethnicity` (its code)."""
    return value.code if isinstance(value, _native.Ethnicity) else value


@dataclass(frozen=True, eq=False)
class ImportReport:
    """What :meth:`Registry.import_residents` did.

    The counts are attributes; ``rejected`` (columns file, sheet, row, column, value,
    code, message, message_zh), ``skipped`` (file, sheet, row, reason, text) and
    ``warnings`` (file, sheet, row, code, message) are pandas DataFrames when pandas is
    installed (with their columns even when empty), else lists of dicts. Row numbers are
    as the file shows them; ID numbers and phones in reported values are masked.
    Compare reports through :meth:`to_dict` (DataFrames have no plain equality).
    """

    rows_read: int
    """Data rows read (every sheet)."""
    inserted: int
    """New residents."""
    updated: int
    """Residents updated."""
    unchanged: int
    """Rows that changed nothing."""
    skipped_existing: int
    """Rows left alone by ``on_conflict="skip"``."""
    departed: int
    """Residents recorded as departed (snapshot mode)."""
    transaction: int | None
    """The transaction recorded (None for a dry run or when nothing changed)."""
    uncertain_matches: list[int]
    """Rows matched without an ID number (name, birth date, sex, community)."""
    rejected: Table
    """Rejected rows."""
    skipped: Table
    """Rows that are not data (blank, 合计, notes …)."""
    warnings: Table
    """Warnings per row."""
    file_warnings: list[dict[str, str]]
    """Warnings about the file (``code`` and ``message``; unmapped columns …)."""
    _raw: dict[str, Any] = field(repr=False)

    @classmethod
    def _from_json(cls, raw: dict[str, Any]) -> ImportReport:
        skipped = [
            {k: s.get(k) for k in SKIPPED_COLUMNS} for s in raw.get("skipped", [])
        ]
        return cls(
            rows_read=int(raw["rows_read"]),
            inserted=int(raw["inserted"]),
            updated=int(raw["updated"]),
            unchanged=int(raw["unchanged"]),
            skipped_existing=int(raw["skipped_existing"]),
            departed=int(raw["departed"]),
            transaction=None if raw.get("transaction") is None else int(raw["transaction"]),
            uncertain_matches=[int(r) for r in raw.get("uncertain_matches", [])],
            rejected=_table(list(raw.get("rejected", [])), REJECTED_COLUMNS, ints=("row",)),
            skipped=_table(skipped, SKIPPED_COLUMNS, ints=("row",)),
            warnings=_table(list(raw.get("warnings", [])), ROW_WARNING_COLUMNS, ints=("row",)),
            file_warnings=[dict(w) for w in raw.get("file_warnings", [])],
            _raw=raw,
        )

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON values (tables as lists of dicts), as the core wrote it."""
        return copy.deepcopy(self._raw)


class _ProgressBar:
    """``progress=True``: a one-line text bar on stderr, redrawn in place."""

    def __init__(self, label: str, stream: TextIO | None = None, width: int = 30) -> None:
        self._label = label
        self._stream = stream
        self._width = width

    def __call__(self, done: int, total: int) -> None:
        stream = self._stream if self._stream is not None else sys.stderr
        filled = self._width if total <= 0 else min(self._width, self._width * done // total)
        percent = 100 if total <= 0 else min(100, 100 * done // total)
        bar = "#" * filled + "." * (self._width - filled)
        end = "\n" if done >= total else ""
        stream.write(f"\r{self._label} [{bar}] {done}/{total} rows ({percent}%){end}")
        stream.flush()


class Registry:
    """A handle on a shiliu registry; use it as a context manager.

    >>> with Registry.in_memory(today="2024-12-31") as reg:
    ...     city = reg.add_unit(kind="city", name="苏州市", code="320500", valid_from="1983-01-18")
    ...     reg.unit(city, as_of="2003-06-30")["name"]
    '苏州市'
    """

    def __init__(self, native: _native.Registry, pinned: int | None = None) -> None:
        self._native = native
        self._pinned = pinned
        self.last_transaction: int = 0
        """The recorded transaction the last answer reflected."""
        self.last_warnings: list[dict[str, str]] = []
        """The warnings of the last answer (``code`` and ``message`` each)."""

    # -- opening and closing -------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        principal: Principal | dict[str, Any] | None = None,
        *,
        today: DateLike | None = None,
        must_exist: bool = False,
    ) -> Registry:
        """Open (creating if needed) the registry file at ``path``.

        Without a principal the handle acts as the local administrator; ``today`` fixes
        the registry's clock (tests, reproducible reports).
        """
        return cls(_native.Registry.open(os.fspath(path), _options(principal, today, must_exist)))

    @classmethod
    def in_memory(
        cls,
        principal: Principal | dict[str, Any] | None = None,
        *,
        today: DateLike | None = None,
    ) -> Registry:
        """Open a private registry in memory."""
        return cls(_native.Registry.in_memory(_options(principal, today, False)))

    def close(self) -> None:
        """Close the handle (idempotent). A view from :meth:`at_transaction` leaves the
        handle it shares open."""
        if self._pinned is None:
            self._native.close()

    def at_transaction(self, transaction: int) -> Registry:
        """A read-only view answering every query exactly as the registry did when
        ``transaction`` was the newest (to reproduce a report). It shares this handle;
        writes through it raise :class:`shiliu.ValidationError`."""
        return Registry(self._native, pinned=transaction)

    @property
    def closed(self) -> bool:
        return self._native.closed

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the protocol ----------------------------------------------------------------

    def execute(self, op: str, **args: Any) -> Any:
        """Run one request of the JSON protocol and return its ``result``.

        ``warnings`` of the response are kept in :attr:`last_warnings`.
        """
        clean = {k: (_date(v) if isinstance(v, _dt.date) else v) for k, v in args.items() if v is not None}
        envelope: dict[str, Any] = {"op": op, "args": clean}
        if self._pinned is not None:
            envelope["transaction"] = self._pinned
        request = json.dumps(envelope, ensure_ascii=False, default=_json_default)
        doc = json.loads(self._native.execute(request))
        self.last_transaction = int(doc.get("transaction") or 0)
        self.last_warnings = list(doc.get("warnings", []))
        return doc["result"]

    @property
    def transaction(self) -> int:
        """The newest recorded transaction (0 for an empty registry)."""
        return self._native.transaction()

    # -- writes ------------------------------------------------------------------------

    def add_unit(
        self,
        *,
        kind: str,
        name: str,
        valid_from: DateLike,
        code: str | None = None,
        parent: int | None = None,
        managing_parent: int | None = None,
        working_parent: int | None = None,
        valid_to: DateLike | None = None,
    ) -> int:
        """Add a unit (kind: city/district/street/area/community or 市/区/街道/联络片/社区 …)."""
        return int(
            self.execute(
                "add_unit",
                kind=kind,
                name=name,
                code=code,
                parent=parent,
                managing_parent=managing_parent,
                working_parent=working_parent,
                valid_from=valid_from,
                valid_to=valid_to,
            )
        )

    def add_body(self, *, unit: int, kind: str, name: str, valid_from: DateLike, valid_to: DateLike | None = None) -> int:
        """Add a body (领导小组, 协调小组, 咨询服务站, 联谊会 or custom) to a unit."""
        return int(self.execute("add_body", unit=unit, kind=kind, name=name, valid_from=valid_from, valid_to=valid_to))

    def add_post(
        self,
        *,
        role: str,
        valid_from: DateLike,
        body: int | None = None,
        unit: int | None = None,
        responsibility: str | None = None,
        valid_to: DateLike | None = None,
    ) -> int:
        """Add a post (组长, 副组长, 组员, 片长, 片联络员 or custom) to a body or unit."""
        return int(
            self.execute(
                "add_post",
                role=role,
                body=body,
                unit=unit,
                responsibility=responsibility,
                valid_from=valid_from,
                valid_to=valid_to,
            )
        )

    def add_person(self, *, name: str, phone: str | None = None) -> int:
        """Add a person (cadre or staff member; personal data)."""
        return int(self.execute("add_person", name=name, phone=phone))

    def add_position(
        self, *, person: int, title: str, unit: int, valid_from: DateLike, valid_to: DateLike | None = None
    ) -> int:
        """Record a position held (e.g. 街道党工委书记)."""
        return int(
            self.execute("add_position", person=person, title=title, unit=unit, valid_from=valid_from, valid_to=valid_to)
        )

    def add_membership(self, *, post: int, person: int, valid_from: DateLike, valid_to: DateLike | None = None) -> int:
        """Record that a person holds a post over an interval."""
        return int(self.execute("add_membership", post=post, person=person, valid_from=valid_from, valid_to=valid_to))

    def add_organisation(
        self,
        *,
        name: str,
        unit: int,
        valid_from: DateLike,
        credit_code: str | None = None,
        credit_code_allow: list[str] | None = None,
        kind: str | None = None,
        valid_to: DateLike | None = None,
    ) -> int:
        """Add an organisation in the jurisdiction (辖区单位)."""
        return int(
            self.execute(
                "add_organisation",
                name=name,
                unit=unit,
                credit_code=credit_code,
                credit_code_allow=credit_code_allow,
                kind=kind,
                valid_from=valid_from,
                valid_to=valid_to,
            )
        )

    def end(self, record: int, date: DateLike) -> None:
        """End a membership, position, post, body or organisation on ``date`` (exclusive)."""
        self.execute("end", id=record, date=date)

    def set_parent(self, unit: int, hierarchy: Hierarchy, parent: int, start: DateLike) -> int:
        """Set a unit's parent in the managing or working hierarchy from ``start`` on."""
        return int(self.execute("set_parent", unit=unit, hierarchy=hierarchy, parent=parent, **{"from": _date(start)}))

    def reorganise(self, event: str, **args: Any) -> dict[str, Any]:
        """Record a reorganisation: ``merge``, ``split``, ``move``, ``rename``, ``recode``,
        ``close`` or ``open`` (arguments as in the README). Returns ``{"event", "successors"}``."""
        clean = {k: (_date(v) if isinstance(v, _dt.date) else v) for k, v in args.items()}
        result: dict[str, Any] = self.execute("reorganise", event=event, **clean)
        return result

    def import_units(
        self,
        path: str | os.PathLike[str],
        reorganisations: str | os.PathLike[str] | None = None,
        *,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        """Import units from a units.csv (and lineage from a reorganisations CSV).

        Returns the report: ``rows_read``, ``units_created``, ``units_unchanged``,
        ``events``, ``rejected`` (row number, column, value, reason per bad row) and
        ``warnings``. Bad rows never abort the file; good rows commit together.
        """
        report: dict[str, Any] = self.execute(
            "import_units",
            path=os.fspath(path),
            reorganisations=os.fspath(reorganisations) if reorganisations is not None else None,
            dry_run=dry_run,
        )
        return report

    # -- the resident register: writes ---------------------------------------------------

    def add_resident(
        self,
        *,
        name: str,
        ethnicity: Any,
        community: int,
        arrived_on: DateLike,
        category: Literal["registered", "migrant", "户籍", "流动"],
        id_number: str | None = None,
        sex: Literal["male", "female"] | None = None,
        birth_date: DateLike | None = None,
        phone: str | None = None,
        origin: str | None = None,
        household: str | None = None,
        father_ethnicity: Any = None,
        mother_ethnicity: Any = None,
        left_on: DateLike | None = None,
        registered_unit: int | None = None,
        registered_division: str | None = None,
    ) -> int:
        """Add a resident (one row of a ledger); returns the resident's id.

        ``ethnicity`` (and the parents') in any notation (``"回族"``, ``"03"``, ``"Hui"``) or
        a :class:`shiliu.Ethnicity`; ``community`` is the unit lived in from ``arrived_on``;
        a 15-digit ID number is upgraded; sex and birth date default to the ID number's.
        Warnings (upgraded number, legacy names …) are in :attr:`last_warnings`. A resident
        already registered (same ID number) is a :class:`shiliu.ConflictError`.
        """
        return int(
            self.execute(
                "add_resident",
                **_resident_args(
                    name, ethnicity, community, arrived_on, category, id_number, sex, birth_date, phone,
                    origin, household, father_ethnicity, mother_ethnicity, left_on, registered_unit,
                    registered_division,
                ),
            )
        )

    def upsert_resident(
        self,
        *,
        name: str,
        ethnicity: Any,
        community: int,
        arrived_on: DateLike,
        category: Literal["registered", "migrant", "户籍", "流动"],
        id_number: str | None = None,
        sex: Literal["male", "female"] | None = None,
        birth_date: DateLike | None = None,
        phone: str | None = None,
        origin: str | None = None,
        household: str | None = None,
        father_ethnicity: Any = None,
        mother_ethnicity: Any = None,
        left_on: DateLike | None = None,
        registered_unit: int | None = None,
        registered_division: str | None = None,
    ) -> tuple[int, str]:
        """Add a resident, or update the one with the same ID number (else the same name,
        birth date, sex and community); returns ``(id, outcome)`` with outcome
        ``"inserted"``, ``"updated"`` or ``"unchanged"``. Arguments as :meth:`add_resident`."""
        out = self.execute(
            "upsert_resident",
            **_resident_args(
                name, ethnicity, community, arrived_on, category, id_number, sex, birth_date, phone,
                origin, household, father_ethnicity, mother_ethnicity, left_on, registered_unit,
                registered_division,
            ),
        )
        return int(out["id"]), str(out["outcome"])

    def move_resident(self, resident: int, community: int, date: DateLike) -> None:
        """Record that ``resident`` lives in ``community`` from ``date`` on."""
        self.execute("move_resident", resident=resident, community=community, date=date)

    def depart_resident(self, resident: int, date: DateLike) -> None:
        """Record that ``resident`` no longer lives in the registry's area from ``date`` on."""
        self.execute("depart_resident", resident=resident, date=date)

    def change_ethnicity(
        self, resident: int, ethnicity: Any, date: DateLike, reason: str | None = None
    ) -> list[dict[str, str]]:
        """Record a change of ethnicity (民族成份变更) effective on ``date``.

        The 2015 rules are checked as far as the record allows: the new ethnicity must be a
        recorded parent's, at most one change before 18 and one within two years after
        turning 18 (else :class:`shiliu.ValidationError`). Returns the warnings for the
        checks that could not be made (``ethnicity.parents_unknown``,
        ``ethnicity.age_unknown``), each a dict of ``code`` and ``message``.
        """
        self.execute("change_ethnicity", resident=resident, ethnicity=_ethnicity(ethnicity), date=date, reason=reason)
        return list(self.last_warnings)

    def add_flag(
        self,
        resident: int,
        kind: str,
        valid_from: DateLike,
        *,
        detail: str | None = None,
        valid_to: DateLike | None = None,
    ) -> int:
        """Set a flag over an interval (``hardship``/困难, ``elderly_alone``/独居老人,
        ``disabled``/残疾, ``student``/学生, ``representative``/代表人士 or custom);
        returns the flag's record id."""
        return int(
            self.execute(
                "add_flag", resident=resident, kind=kind, detail=detail, valid_from=valid_from, valid_to=valid_to
            )
        )

    def add_life_event(self, resident: int, kind: str, date: DateLike, *, note: str | None = None) -> int:
        """Record a life event (``hospitalised``/住院, ``disaster``/受灾, ``dispute``/纠纷,
        ``special``/特殊情况, ``death``/死亡) on ``date`` (not in the future); returns its id."""
        return int(self.execute("add_life_event", resident=resident, kind=kind, date=date, note=note))

    def declare_preference(self, resident: int, kind: str, value: str, declared_on: DateLike) -> int:
        """Store a preference the resident declared themself (``halal_diet``/清真饮食,
        ``burial_custom``/丧葬习俗 or custom) — never inferred from ethnicity; returns its id."""
        return int(
            self.execute("declare_preference", resident=resident, kind=kind, value=value, declared_on=declared_on)
        )

    def import_residents(
        self,
        path: str | os.PathLike[str],
        mapping: Mapping[str, str] | None = None,
        encoding: Literal["auto", "utf-8", "gb18030", "gbk", "gb2312"] | None = None,
        mode: Literal["upsert", "snapshot"] = "upsert",
        dry_run: bool = False,
        on_conflict: Literal["update", "skip", "reject"] = "update",
        *,
        format: Literal["csv", "xlsx", "json_lines", "jsonl"] | None = None,
        sheet: str | None = None,
        header_row: int | None = None,
        snapshot_unit: int | None = None,
        snapshot_date: DateLike | None = None,
        progress: Progress | bool | None = None,
    ) -> ImportReport:
        """Import a residents' ledger (台账): CSV, XLSX or JSON Lines.

        Every good row is kept and every bad row reported; good rows commit together in
        one transaction (none with ``dry_run``, which validates and reports only).
        Re-importing an unchanged file changes nothing (``transaction`` is then None).

        ``mapping`` maps headers as written to fields (``{"证件号": "id_number"}``; ``""``
        ignores a column) over the built-in Chinese synonyms; ``encoding`` None detects
        (byte-order mark, else UTF-8, else GB18030); ``format`` None follows the extension;
        ``sheet`` is ``"first"`` (default), ``"all"`` or a sheet's name; ``header_row`` (as
        the file shows it) None detects it below title rows. ``mode="snapshot"`` says the
        file is complete for ``snapshot_unit`` on ``snapshot_date``: residents living there
        but missing from it depart on that date. ``on_conflict`` is what to do with a
        resident already registered: update, skip (counted) or reject the row.

        ``progress`` is a callable ``(done, total)`` called every few thousand rows and at
        the end (``done == total``), or True for a text bar on stderr. An exception it
        raises cancels the import — nothing is written — and propagates. The callback runs
        while the import holds the write lock, so it may not call into a registry (such
        calls raise :class:`shiliu.ValidationError`); other threads may read meanwhile.
        """
        args: dict[str, Any] = {
            "path": os.fspath(path),
            "mode": mode,
            "dry_run": dry_run,
            "on_conflict": on_conflict,
        }
        if mapping is not None:
            args["mapping"] = dict(mapping)
        if encoding is not None:
            args["encoding"] = encoding
        if format is not None:
            args["format"] = format
        if sheet is not None:
            args["sheet"] = sheet if sheet in ("first", "all") else {"named": sheet}
        if header_row is not None:
            args["header_row"] = header_row
        if snapshot_unit is not None:
            args["snapshot_unit"] = snapshot_unit
        if snapshot_date is not None:
            args["snapshot_date"] = _date(snapshot_date)
        if self._pinned is not None:
            # Refused by the core: a pinned view is read-only.
            return ImportReport._from_json(self.execute("import_residents", **args))
        callback: Progress | None
        if progress is True:
            callback = _ProgressBar(f"importing {os.path.basename(os.fspath(path))}")
        elif progress is False or progress is None:
            callback = None
        else:
            callback = progress
        raw: dict[str, Any] = json.loads(
            self._native.import_residents(json.dumps(args, ensure_ascii=False), callback)
        )
        self.last_transaction = int(raw.get("transaction") or 0)
        self.last_warnings = []
        return ImportReport._from_json(raw)

    # -- queries -----------------------------------------------------------------------

    def unit(self, unit: int, as_of: DateLike, hierarchy: Hierarchy = "legal") -> dict[str, Any]:
        """One unit as it was on ``as_of``."""
        return _flatten(self.execute("unit", unit=unit, as_of=as_of, hierarchy=hierarchy))

    def tree(self, as_of: DateLike, root: int | None = None, hierarchy: Hierarchy = "legal") -> Table:
        """The tree under ``root`` (or every tree in scope) on ``as_of``, in pre-order,
        with ``depth`` and ``path`` columns."""
        return _table(self.execute("tree", root=root, as_of=as_of, hierarchy=hierarchy), TREE_COLUMNS)

    def ancestors(self, unit: int, as_of: DateLike, hierarchy: Hierarchy = "legal") -> Table:
        """The ancestors of ``unit`` on ``as_of``, root first."""
        return _table(self.execute("ancestors", unit=unit, as_of=as_of, hierarchy=hierarchy), UNIT_COLUMNS)

    def descendants(self, unit: int, as_of: DateLike, hierarchy: Hierarchy = "legal") -> Table:
        """Every unit below ``unit`` on ``as_of``, in pre-order."""
        return _table(self.execute("descendants", unit=unit, as_of=as_of, hierarchy=hierarchy), UNIT_COLUMNS)

    def find_by_code(self, code: str, as_of: DateLike) -> dict[str, Any]:
        """The unit holding ``code`` on ``as_of``."""
        return _flatten(self.execute("find_by_code", code=code, as_of=as_of))

    def find_by_path(self, path: str, as_of: DateLike, hierarchy: Hierarchy = "legal") -> dict[str, Any]:
        """The unit at a name path such as ``姑苏区/双塔街道`` on ``as_of``."""
        return _flatten(self.execute("find_by_path", path=path, as_of=as_of, hierarchy=hierarchy))

    def successors(self, unit: int, as_of: DateLike) -> Table:
        """What carries ``unit`` on at ``as_of`` (itself while it exists)."""
        return _table(self.execute("successors", unit=unit, as_of=as_of), UNIT_COLUMNS)

    def predecessors(self, unit: int) -> Table:
        """Every lineage step leading into ``unit``, newest first."""
        return _table(self.execute("predecessors", unit=unit), LINEAGE_COLUMNS)

    def post_holders(self, unit: int, as_of: DateLike) -> Table:
        """The posts of ``unit`` and its bodies on ``as_of`` with their holders
        (names masked unless the principal may see them)."""
        rows = self.execute("post_holders", unit=unit, as_of=as_of)
        return _table([_holder(r) for r in rows], HOLDER_COLUMNS)

    def vacant_posts(self, under: int, as_of: DateLike, hierarchy: Hierarchy = "legal") -> Table:
        """Posts in ``under``'s subtree that nobody holds on ``as_of``."""
        rows = self.execute("vacant_posts", under=under, as_of=as_of, hierarchy=hierarchy)
        return _table([_holder(r) for r in rows], HOLDER_COLUMNS)

    def organisations(self, under: int, as_of: DateLike, hierarchy: Hierarchy = "legal") -> Table:
        """Organisations in the jurisdiction (辖区单位) located in ``under``'s subtree on ``as_of``."""
        rows = self.execute("organisations", under=under, as_of=as_of, hierarchy=hierarchy)
        return _table(rows, ORGANISATION_COLUMNS)

    def person_history(self, person: int) -> dict[str, Any]:
        """A person's posts and positions over time."""
        h: dict[str, Any] = self.execute("person_history", person=person)
        h["memberships"] = [_flatten(m) for m in h["memberships"]]
        h["positions"] = [_flatten(p) for p in h["positions"]]
        return h

    def history(self, record: int) -> list[dict[str, Any]]:
        """Every recorded version of a record, oldest first, with the transactions that
        recorded (``recorded_in``) and superseded (``superseded_in``) it."""
        versions: list[dict[str, Any]] = self.execute("history", id=record)
        return versions

    def transaction_info(self, transaction: int) -> dict[str, Any]:
        """Who recorded a transaction, when and why."""
        info: dict[str, Any] = self.execute("transaction_info", transaction=transaction)
        return info

    def audit_log(self) -> dict[str, Any]:
        """The audit log (administrators only): ``entries`` and ``broken_at`` (the first
        entry whose hash chain fails verification, or None)."""
        log: dict[str, Any] = self.execute("audit_log")
        return log


    # -- statistics (统计) -------------------------------------------------------------

    def _table(self, op: str, args: dict[str, Any]) -> Table:
        cols = self._native.table(op, json.dumps(args, ensure_ascii=False), self._pinned)
        self.last_transaction = int(cols["transaction"])
        self.last_warnings = []
        return _stats.frame(cols)

    def population(
        self,
        as_of: DateLike | None = None,
        by: Dimension | Sequence[Dimension] = (),
        level: str | None = None,
        under: int | None = None,
        k: int | None = None,
        rebase_to: DateLike | None = None,
        hierarchy: Hierarchy = "legal",
        place: Place = "residence",
        categories: Sequence[Literal["registered", "migrant", "户籍", "流动"]] | None = None,
        ethnicities: Iterable[Any] | None = None,
        minorities_only: bool = False,
        age_bands: Sequence[int] | None = None,
        publish: bool = False,
        publish_zeros: bool = True,
        share_unit: ShareUnit = "permille",
        denominators: str | None = None,
        source: str | None = None,
    ) -> Table:
        """人口统计 — residents living in each unit on ``as_of`` (default: the registry's
        today), reported on the units valid then (or on ``rebase_to``), across
        reorganisations.

        ``by`` are the group keys in column order: ``ethnicity`` (民族), ``category``
        (人员类别), ``sex`` (性别), ``age_band`` (年龄段, boundaries ``age_bands``, default
        18, 35, 60) and ``origin_province`` (流出地省份). Each unit has a total row
        (keys missing, names ``合计``) then its non-zero cells; units come in pre-order.
        ``level`` keeps one level (``district``, ``street``, ``community`` … or ``all``);
        ``under`` one subtree; ``categories``, ``ethnicities`` (any notation or
        :class:`shiliu.Ethnicity`) and ``minorities_only`` filter residents; ``place``
        counts where residents live or are registered. Shares (占比, in ``share_unit``)
        divide by the unit's total population from the aggregate table ``denominators``
        (default: the newest of kind ``population``); ``source`` counts from an
        aggregate table instead of the register.

        Disclosure control: with ``k`` (or ``publish``, k = 5) counts 1..k−1 are
        suppressed (``status`` primary 主隐藏) with partner cells (secondary 次隐藏) so
        that no hidden count can be derived; ``publish_zeros=False`` hides zeros too.
        Analysts always get k ≥ 5 (a smaller k is :class:`shiliu.AccessDenied`).

        Returns a DataFrame (columns in :mod:`shiliu._stats`; ``df.attrs`` holds
        ``transaction``, ``k``, ``notes``, ``geography``, ``periods`` …), or a list of
        dicts without pandas.
        """
        return self._table(
            "population",
            _query(
                as_of, by, level, under, k, rebase_to, hierarchy, place, categories, ethnicities,
                minorities_only, age_bands, publish, publish_zeros, share_unit, denominators, source,
            ),
        )

    def population_trend(
        self,
        from_: DateLike,
        to: DateLike,
        period: Period = "month",
        by: Dimension | Sequence[Dimension] = (),
        level: str | None = None,
        under: int | None = None,
        k: int | None = None,
        rebase_to: DateLike | None = None,
        hierarchy: Hierarchy = "legal",
        place: Place = "residence",
        categories: Sequence[Literal["registered", "migrant", "户籍", "流动"]] | None = None,
        ethnicities: Iterable[Any] | None = None,
        minorities_only: bool = False,
        age_bands: Sequence[int] | None = None,
        publish: bool = False,
        publish_zeros: bool = True,
        share_unit: ShareUnit = "permille",
        denominators: str | None = None,
        source: str | None = None,
    ) -> Table:
        """人口趋势 — the :meth:`population` query at the end of every ``period``
        (``month`` 月, ``quarter`` 季度, ``half_year`` 半年, ``year`` 年) from ``from_`` up
        to ``to`` (whole periods; the last ends on or before ``to``), with ``arrivals``
        (迁入), ``departures`` (迁出) and ``growth`` (增减) per period. Each period is
        reported on its own units unless ``rebase_to`` names one geography; each is
        protected as its own table. The other arguments are :meth:`population`'s."""
        args = _query(
            None, by, level, under, k, rebase_to, hierarchy, place, categories, ethnicities,
            minorities_only, age_bands, publish, publish_zeros, share_unit, denominators, source,
        )
        args.update({"from": _date(from_), "to": _date(to), "period": period})
        return self._table("population_trend", args)

    def summary(
        self,
        unit: int,
        as_of: DateLike | None = None,
        hierarchy: Hierarchy = "legal",
        denominators: str | None = None,
        k: int | None = None,
    ) -> Summary:
        """概况 — a unit's headcount, ethnic components (民族成分数), share of the total
        population and migrants' share on ``as_of`` (default: today), with the
        denominators and the minimum cell size ``k`` of :meth:`population`."""
        raw = self.execute(
            "summary", unit=unit, as_of=as_of, hierarchy=hierarchy, denominators=denominators, k=k
        )
        return Summary._from_json(raw)

    def import_aggregates(
        self,
        path: str | os.PathLike[str],
        name: str | None = None,
        kind: str = "population",
        *,
        format: Literal["csv", "xlsx"] | None = None,
        encoding: Literal["auto", "utf-8", "gb18030", "gbk", "gb2312"] | None = None,
        sheet: str | None = None,
        header_row: int | None = None,
        mapping: Mapping[str, str] | None = None,
        dry_run: bool = False,
    ) -> AggregateReport:
        """Import an aggregate table (汇总数据: 人口普查, 户籍人口统计 …) of unit ×
        ethnicity × reference date → count, CSV or XLSX with Chinese or English headers
        (``单位代码``/``unit`` — a division code or a name path —, ``民族``/``ethnicity``
        — blank or ``合计`` for everyone —, ``日期``/``date``, ``人数``/``count``).

        Tables of ``kind`` ``population`` supply the denominators of shares; any table
        can be counted from with ``source=name``. Bad rows are reported and skipped;
        the rest commits in one transaction, and re-importing the same file changes
        nothing. ``name`` defaults to the file's name without its extension. ``mapping``
        maps headers as written to fields; ``sheet`` is ``first``, ``all`` or a sheet's
        name.
        """
        args: dict[str, Any] = {"path": os.fspath(path), "kind": kind, "dry_run": dry_run}
        if name is not None:
            args["name"] = name
        if format is not None:
            args["format"] = format
        if encoding is not None:
            args["encoding"] = encoding
        if sheet is not None:
            args["sheet"] = sheet if sheet in ("first", "all") else {"named": sheet}
        if header_row is not None:
            args["header_row"] = header_row
        if mapping is not None:
            args["mapping"] = dict(mapping)
        raw: dict[str, Any] = self.execute("import_aggregates", **args)
        return AggregateReport(
            transaction=None if raw.get("transaction") is None else int(raw["transaction"]),
            rows_read=int(raw["rows_read"]),
            stored=int(raw["stored"]),
            unchanged=int(raw["unchanged"]),
            rejected=_table(list(raw.get("rejected", [])), AGGREGATE_REJECTED_COLUMNS, ints=("row",)),
            warnings=[dict(w) for w in raw.get("warnings", [])],
            _raw=raw,
        )

    def export_cube(
        self,
        path: str | os.PathLike[str],
        as_of: DateLike | None = None,
        by: Dimension | Sequence[Dimension] = ("ethnicity",),
        level: str | None = None,
        under: int | None = None,
        rebase_to: DateLike | None = None,
        hierarchy: Hierarchy = "legal",
        place: Place = "residence",
        categories: Sequence[Literal["registered", "migrant", "户籍", "流动"]] | None = None,
        ethnicities: Iterable[Any] | None = None,
        minorities_only: bool = False,
        age_bands: Sequence[int] | None = None,
        source: str | None = None,
    ) -> dict[str, Any]:
        """上报数据 — write the query's counts (by ethnicity unless ``by`` says otherwise),
        unsuppressed, as a cube CSV for the level above (逐级上报): columns ``code_path``
        (unit codes from the root joined by ``/``), ``level``, ``name``, one column per
        key (value code; empty on a total row) and ``headcount``. Cubes of several registries merge by summing
        ``headcount``; protect the merge with :func:`shiliu.protect_cube` before it is
        published. Administrators and operators only. Returns ``{"path", "rows",
        "transaction"}``."""
        args = _query(
            as_of, by, level, under, None, rebase_to, hierarchy, place, categories, ethnicities,
            minorities_only, age_bands, False, True, "permille", None, source,
        )
        report: dict[str, Any] = self.execute("export_cube", path=os.fspath(path), **args)
        return report

    # -- activities (工作记录) -------------------------------------------------------------

    def record_activity(
        self,
        kind: str,
        date: DateLike,
        unit: int,
        *,
        subtype: str | None = None,
        body: int | None = None,
        participants: Sequence[int] | None = None,
        subjects: Sequence[int] | None = None,
        answers: int | None = None,
        title: str | None = None,
        category: str | None = None,
        resolved: bool | None = None,
        aid_kind: str | None = None,
        amount: float | None = None,
        evidence: Sequence[Any] | None = None,
        note: str | None = None,
        reference: str | None = None,
    ) -> tuple[int, str]:
        """记录工作 — record an activity; returns ``(id, outcome)`` with outcome
        ``"inserted"``, ``"updated"`` or ``"unchanged"``.

        ``kind`` is ``meeting`` (会议), ``visit`` (走访), ``consultation`` (咨询), ``aid``
        (帮扶), ``briefing`` (通报), ``event`` (活动), ``training`` (培训), ``publicity``
        (宣传), ``matter`` (重要事项) — in English or Chinese — or the user's own text;
        ``subtype`` narrows it (联络员会议, 领导小组研究 …). ``unit`` is where (or for
        which unit) it took place, ``body`` the organising body, ``participants`` person
        ids, ``subjects`` resident ids, ``answers`` the life event it answers (one of a
        subject's). ``evidence`` (证明材料) lists documents: names, ``(name, sha256)``
        pairs or dicts. ``note`` is personal data (masked for viewers). With a
        ``reference`` (编号) recorded before, the activity gets a new version; without
        one, recording exactly the same activity again changes nothing.
        """
        out = self.execute(
            "record_activity",
            kind=kind,
            date=_date(date),
            unit=unit,
            subtype=subtype,
            body=body,
            participants=None if participants is None else list(participants),
            subjects=None if subjects is None else list(subjects),
            answers=answers,
            title=title,
            category=category,
            resolved=resolved,
            aid_kind=aid_kind,
            amount=amount,
            evidence=_rules.evidence_arg(evidence),
            note=note,
            reference=reference,
        )
        return int(out["id"]), str(out["outcome"])

    def activity(self, activity: int) -> dict[str, Any]:
        """One activity as recorded (``date`` a :class:`datetime.date`; ``kind`` and
        ``kind_zh``; ``unit_name`` on its day; the ``transaction`` that recorded it)."""
        return _rules.activity_record(self.execute("activity", id=activity))

    def activities(self, under: int | None = None, *, from_: DateLike, to: DateLike) -> Table:
        """Activities from ``from_`` to ``to`` (both included) in ``under``'s subtree (the
        principal's scope, or everything, when None), in day order. Columns: id, date,
        kind, kind_zh, subtype, title, unit, unit_name, body, participants, subjects,
        answers, category, resolved, aid_kind, amount, evidence, note, reference,
        transaction (see :func:`shiliu._rules.activities_table`)."""
        rows = self.execute("activities", under=under, **{"from": _date(from_), "to": _date(to)})
        return _rules.activities_table(list(rows))

    def import_activities(
        self,
        path: str | os.PathLike[str],
        mapping: Mapping[str, str] | None = None,
        encoding: Literal["auto", "utf-8", "gb18030", "gbk", "gb2312"] | None = None,
        dry_run: bool = False,
        *,
        format: Literal["csv", "xlsx", "json_lines", "jsonl"] | None = None,
        sheet: str | None = None,
        header_row: int | None = None,
    ) -> _rules.ActivityImportReport:
        """导入工作记录 — import activities from CSV, XLSX or JSON Lines with Chinese
        headers: 日期, 类型, 子类型/会议类型, 主题, 单位/社区 (a 12-digit code, a unit id or a
        name path such as ``苏州市/姑苏区/府前街道``), 机构 (a body's name or id), 参加人员
        (names or person ids separated by 、), 对象 (resident ids or ID numbers), 金额,
        证明材料, 编号 (reference) and 备注.

        As :meth:`import_residents`: every good row kept, every bad row reported (row
        number as the file shows it, column, value with ID numbers masked, a code and a
        reason in English and Chinese); good rows commit together (none with
        ``dry_run``); re-importing the same file changes nothing. ``mapping`` maps headers
        as written to fields; ``encoding`` None detects; ``sheet`` is ``"first"``,
        ``"all"`` or a sheet's name; ``header_row`` None detects it below title rows.
        """
        args: dict[str, Any] = {"path": os.fspath(path), "dry_run": dry_run}
        if mapping is not None:
            args["mapping"] = dict(mapping)
        if encoding is not None:
            args["encoding"] = encoding
        if format is not None:
            args["format"] = format
        if sheet is not None:
            args["sheet"] = sheet if sheet in ("first", "all") else {"named": sheet}
        if header_row is not None:
            args["header_row"] = header_row
        return _rules.ActivityImportReport._from_json(self.execute("import_activities", **args))

    # -- institutions as code (制度检查) and assessment (考核) ------------------------------

    def evaluation(
        self,
        rules: _rules.RuleSet | str,
        period: PeriodArg,
        under: int | None = None,
        only: Sequence[str] | None = None,
        record: bool | None = None,
        hierarchy: Hierarchy = "legal",
    ) -> _rules.Evaluation:
        """制度检查 — check ``rules`` (a :class:`shiliu.RuleSet`, or a preset's name such
        as ``"suzhou"``) against the record over ``period`` in ``under``'s subtree (the
        principal's scope, or everything, when None) and return the
        :class:`shiliu.Evaluation`: ``findings`` and the ``compliance`` roll-up as
        tables, ``digest``, ``run`` ….

        ``period`` is a year (``"2024"`` or 2024), a quarter (``"2024-Q1"``), a half
        (``"2024-H1"``), a month (``"2024-03"``), a range (``"2024-01-01..2024-06-30"``)
        or a ``(from, to)`` pair of dates. ``only`` keeps the rules with these ids.
        ``record`` stores the run so that :meth:`reproduce` can re-run it (default: when
        the principal may write; a viewer asking for it is :class:`shiliu.AccessDenied`).
        Findings carry no personal data: residents are named by id.
        """
        args = _rules.rules_request(rules)
        args.update(
            period=_period(period),
            under=under,
            hierarchy=hierarchy,
            only=None if only is None else list(only),
            record=record,
        )
        if only is not None:
            ids: Sequence[str] = list(only)
        elif isinstance(rules, _rules.RuleSet):
            ids = rules.rule_ids
        else:
            ids = _rules.RuleSet.preset(rules).rule_ids
        return _rules.Evaluation._from_json(self.execute("evaluate", **args), ids)

    def evaluate(
        self,
        rules: _rules.RuleSet | str,
        period: PeriodArg,
        under: int | None = None,
        only: Sequence[str] | None = None,
        record: bool | None = None,
        hierarchy: Hierarchy = "legal",
    ) -> Table:
        """制度检查 — as :meth:`evaluation`, answering the findings table: one row per
        rule, subject and period with ``rule``, ``version``, ``rule_kind``,
        ``subject_kind`` (unit, body, post, resident), ``subject``, ``subject_name``,
        ``unit``, ``unit_name``, ``period_from``, ``period_to``, ``status`` (met 达标,
        breach 未达标, on_time 按时, late 逾期完成, overdue 已逾期, pending 待办, warning 预警,
        not_applicable 不适用), ``status_zh``, ``expected``, ``actual``, ``triggered`` and
        ``due`` (deadlines), ``evidence`` (activity ids), ``explanation`` and
        ``explanation_zh``. ``df.attrs`` holds ``rule_set``, ``version``, ``hash``,
        ``transaction``, ``today``, ``period_from``, ``period_to``, ``under``,
        ``digest``, ``run`` and ``compliance`` (the roll-up as dicts). A list of dicts
        without pandas.
        """
        return self.evaluation(rules, period, under, only, record, hierarchy).table()

    def reproduce_evaluation(self, run: int) -> _rules.Evaluation:
        """Re-run the stored evaluation ``run`` at the transaction it saw, with its rules
        and its "today": the findings (and :attr:`~shiliu.Evaluation.digest`) are the
        same as then, whatever was recorded since."""
        return _rules.Evaluation._from_json(self.execute("reproduce", run=run))

    def reproduce(self, run: int) -> Table:
        """As :meth:`reproduce_evaluation`, answering the findings table of :meth:`evaluate`."""
        return self.reproduce_evaluation(run).table()

    def run_info(self, run: int) -> dict[str, Any]:
        """A stored evaluation run: ``id``, ``recorded_in`` (its transaction),
        ``transaction`` (the one evaluated), ``rule_set``, ``version``, ``hash``,
        ``findings`` (how many) and ``digest``."""
        info: dict[str, Any] = self.execute("run_info", run=run)
        return info

    def assessment(
        self,
        scheme: _rules.Scheme | str,
        rules: _rules.RuleSet | str,
        period: PeriodArg,
        under: int | None = None,
    ) -> _rules.Assessment:
        """示范社区考核 — score every unit of the scheme's kind (communities) in ``under``'s
        subtree over ``period`` under ``scheme`` (a :class:`shiliu.Scheme` or a preset's
        name, ``"model_community"``) with ``rules`` (the rule set its items and vetoes
        refer to); returns the :class:`shiliu.Assessment`, ranked best first (eligible
        units first, then by total)."""
        args = _rules.rules_request(rules)
        args.update(_rules.scheme_request(scheme))
        args.update(period=_period(period), under=under)
        return _rules.Assessment._from_json(self.execute("assess", **args))

    def assess(
        self,
        scheme: _rules.Scheme | str,
        rules: _rules.RuleSet | str,
        period: PeriodArg,
        under: int | None = None,
    ) -> Table:
        """示范社区考核 — as :meth:`assessment`, answering the ranked scores: ``rank``,
        ``unit``, ``code``, ``name``, ``total``, ``eligible``, ``vetoed`` and one column
        of points per item (``A1`` …); ``df.attrs`` holds ``scheme``, ``version``,
        ``threshold``, ``period_from``, ``period_to`` and ``transaction``."""
        return self.assessment(scheme, rules, period, under).table()

    def enter_assessment(
        self,
        scheme: _rules.Scheme | str,
        unit: int,
        period: PeriodArg,
        indicator: str,
        *,
        reason: str,
        points: float | None = None,
        veto: bool = False,
    ) -> int:
        """人工评分 — enter a manual item's ``points`` (e.g. ``"C3"``, 居民满意度测评) or a
        veto (``indicator="V1", veto=True``, 一票否决) for ``unit`` and ``period`` under
        ``scheme``, with a ``reason`` (required); a new entry for the same item
        supersedes the old one. Returns the entry's id."""
        args = _rules.scheme_request(scheme)
        args.update(unit=unit, period=_period(period), indicator=indicator, points=points, veto=veto, reason=reason)
        return int(self.execute("enter_assessment", **args))

    # -- the resident register: reads ----------------------------------------------------

    def residents(self, under: int, as_of: DateLike, hierarchy: Hierarchy = "legal") -> Table:
        """Residents living in ``under``'s subtree on ``as_of`` (unit pre-order, then id),
        personal data masked (``马**``, ``110105********002X``, ``138****5678``). Columns:
        id, name, sex, birth_date, id_number, ethnicity (code valid on ``as_of``),
        ethnicity_name, phone, category, origin, community, masked. Analysts, who see
        aggregates only, get :class:`shiliu.AccessDenied`."""
        rows = self.execute("residents", under=under, as_of=as_of, hierarchy=hierarchy)
        out = []
        for r in rows:
            r = _resident(r)
            r.pop("residences", None)
            out.append(r)
        return _table(out, RESIDENT_COLUMNS, ints=("id", "community"))

    def resident(self, resident: int, as_of: DateLike) -> dict[str, Any]:
        """One resident as of ``as_of`` (ethnicity and community valid then), masked, with
        ``residences`` (each with ``unit``, ``valid_from``, ``valid_to``), oldest first."""
        return _resident(self.execute("resident", resident=resident, as_of=as_of))

    def reveal_resident(self, resident: int, as_of: DateLike) -> dict[str, Any]:
        """One resident with personal data shown. Operators and administrators only, and
        only with a stated purpose (the principal's ``purpose``); every reveal is written
        to the audit log (action ``reveal_resident``)."""
        return _resident(self.execute("reveal_resident", resident=resident, as_of=as_of))

    def circumstances(self, resident: int) -> dict[str, Any]:
        """A resident's ``flags`` (with ``valid_from`` / ``valid_to``), life ``events`` and
        declared ``preferences``, oldest first. Details and notes are None unless the
        principal may see personal data (such reads are audited)."""
        c: dict[str, Any] = self.execute("circumstances", resident=resident)
        c["flags"] = [_flatten(f) for f in c["flags"]]
        for e in c["events"]:
            e["date"] = _dt.date.fromisoformat(e["date"])
        for p in c["preferences"]:
            p["declared_on"] = _dt.date.fromisoformat(p["declared_on"])
        return c

    def export_residents(
        self,
        under: int,
        as_of: DateLike,
        path: str | os.PathLike[str],
        format: Literal["csv", "xlsx"] | None = None,
    ) -> dict[str, Any]:
        """Write the residents living in ``under``'s subtree on ``as_of`` to ``path`` with
        the ledger's Chinese headers: CSV (UTF-8 with a byte-order mark) or XLSX, by
        ``format`` or else the extension. Masked unless the principal may see personal
        data and states a purpose (such exports are audited). Returns ``{"rows", "masked"}``;
        the file can be imported again."""
        target = os.fspath(path)
        if format is None:
            ext = os.path.splitext(target)[1].lower()
            if ext not in (".csv", ".xlsx"):
                raise ValueError(f"cannot tell the format of {target!r}: pass format='csv' or 'xlsx'")
            format = "csv" if ext == ".csv" else "xlsx"
        report: dict[str, Any] = self.execute(
            "export_residents", under=under, as_of=as_of, path=target, format=format
        )
        return report


def _query(
    as_of: DateLike | None,
    by: Dimension | Sequence[Dimension],
    level: str | None,
    under: int | None,
    k: int | None,
    rebase_to: DateLike | None,
    hierarchy: Hierarchy,
    place: Place,
    categories: Sequence[str] | None,
    ethnicities: Iterable[Any] | None,
    minorities_only: bool,
    age_bands: Sequence[int] | None,
    publish: bool,
    publish_zeros: bool,
    share_unit: ShareUnit,
    denominators: str | None,
    source: str | None,
) -> dict[str, Any]:
    """The JSON args of a population query (fields left at their default are omitted)."""
    q: dict[str, Any] = {
        "by": [by] if isinstance(by, str) else list(by),
        "hierarchy": hierarchy,
        "place": place,
        "minorities_only": minorities_only,
        "publish": publish,
        "publish_zeros": publish_zeros,
        "share_unit": share_unit,
    }
    optional: dict[str, Any] = {
        "as_of": _date(as_of),
        "level": level,
        "under": under,
        "k": k,
        "rebase_to": _date(rebase_to),
        "categories": None if categories is None else [categories] if isinstance(categories, str) else list(categories),
        "ethnicities": None if ethnicities is None else [_ethnicity(e) for e in ethnicities],
        "age_bands": None if age_bands is None else list(age_bands),
        "denominators": denominators,
        "source": source,
    }
    q.update({key: value for key, value in optional.items() if value is not None})
    return q


def import_aggregates(
    reg: Registry,
    path: str | os.PathLike[str],
    name: str | None = None,
    kind: str = "population",
    **options: Any,
) -> AggregateReport:
    """Import an aggregate table (汇总数据) into ``reg``: the same as
    :meth:`Registry.import_aggregates` (keyword options as there)."""
    return reg.import_aggregates(path, name, kind, **options)


def protect_cube(path: str | os.PathLike[str], k: int, publish_zeros: bool = True) -> Table:
    """Apply disclosure control (统计披露控制) to a cube file — one registry's
    :meth:`Registry.export_cube`, or several merged by summing ``headcount`` grouped by
    ``code_path``, ``level`` and the key columns — with minimum cell size ``k``: the
    protection a registry applies to its own tables (counts 1..k−1 suppressed as
    primary 主隐藏, partners as secondary 次隐藏, checked against a linear-programming
    attacker). Returns the table as :meth:`Registry.population` does, units by code path
    (``path`` is the code path), totals first; a cube knows codes, not registry ids, so
    ``unit`` numbers its units -1, -2, … and it has no date (``period`` is NaT)."""
    return _stats.frame(_native.protect_cube(os.fspath(path), k, publish_zeros))


def _holder(row: dict[str, Any]) -> dict[str, Any]:
    holder = row.pop("holder", None)
    row["holder_id"] = holder["id"] if holder else None
    row["holder_name"] = holder["name"] if holder else None
    row["holder_masked"] = holder["masked"] if holder else None
    return row


def _resident_args(
    name: str,
    ethnicity: Any,
    community: int,
    arrived_on: DateLike,
    category: str,
    id_number: str | None,
    sex: str | None,
    birth_date: DateLike | None,
    phone: str | None,
    origin: str | None,
    household: str | None,
    father_ethnicity: Any,
    mother_ethnicity: Any,
    left_on: DateLike | None,
    registered_unit: int | None,
    registered_division: str | None,
) -> dict[str, Any]:
    return {
        "name": name,
        "ethnicity": _ethnicity(ethnicity),
        "community": community,
        "arrived_on": arrived_on,
        "category": category,
        "id_number": id_number,
        "sex": sex,
        "birth_date": birth_date,
        "phone": phone,
        "origin": origin,
        "household": household,
        "father_ethnicity": _ethnicity(father_ethnicity),
        "mother_ethnicity": _ethnicity(mother_ethnicity),
        "left_on": left_on,
        "registered_unit": registered_unit,
        "registered_division": registered_division,
    }
