"""The registry: one SQLite file (or memory), one principal, one clock.

Every method is one JSON request to the Rust core (the same protocol the C ABI uses);
the GIL is released while the core works, so a registry may be shared by threads.
"""

from __future__ import annotations

import datetime as _dt
import importlib
import json
import os
from dataclasses import asdict, dataclass
from typing import Any, Literal, Union

from . import _native

FORMAT_VERSION: int = _native.FORMAT_VERSION
"""Version of the JSON documents shiliu reads and writes."""

Role = Literal["administrator", "operator", "viewer", "analyst"]
Hierarchy = Literal["legal", "managing", "working"]
DateLike = Union[_dt.date, str]
Table = Any  # a pandas DataFrame when pandas is installed, else list[dict]


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


def _table(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> Table:
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
    for col in _ID_COLUMNS.intersection(columns):
        frame[col] = frame[col].astype("Int64")
    return frame


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


def _holder(row: dict[str, Any]) -> dict[str, Any]:
    holder = row.pop("holder", None)
    row["holder_id"] = holder["id"] if holder else None
    row["holder_name"] = holder["name"] if holder else None
    row["holder_masked"] = holder["masked"] if holder else None
    return row
