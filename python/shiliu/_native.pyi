"""Type stubs of ``shiliu._native``, the Rust extension module (python/src/lib.rs).

The typed, documented API is the pure-Python package ``shiliu``; this module is its
thin native layer. Every class is immutable (``frozen``) and none can be constructed
from Python: values come from the module's functions and ``Registry``'s constructors.
"""

import datetime
import os
from collections.abc import Callable
from typing import Any, ClassVar, final

__all__ = [
    "ShiliuError",
    "ValidationError",
    "InvalidIdNumber",
    "InvalidEthnicity",
    "NotFoundError",
    "AccessDenied",
    "StorageError",
    "ConflictError",
    "InternalError",
    "__version__",
    "FORMAT_VERSION",
    "ethnicity",
    "ethnicities",
    "parse_id_number",
    "parse_division_code",
    "parse_credit_code",
    "protect_cube",
    "preset_text",
    "check_rules",
    "check_rules_file",
    "check_rules_preset",
    "check_scheme",
    "check_scheme_file",
    "check_scheme_preset",
    "Warning",
    "Ethnicity",
    "IdNumber",
    "Registry",
]

__version__: str
"""The library version (``MAJOR.MINOR.PATCH``)."""
FORMAT_VERSION: int
"""Version of the JSON documents shiliu reads and writes."""

# -- exceptions ------------------------------------------------------------------------
# Created at import with ``type()``; their ``__module__`` is ``shiliu``. Instances carry
# the stable numeric ``code`` (kind × 1000 + n) and the ``kind`` name of the error.

class ShiliuError(Exception):
    """Base of every shiliu error; carries .code (stable number) and .kind."""

    code: int
    kind: str

class ValidationError(ShiliuError, ValueError):
    """Input that is not valid."""

class InvalidIdNumber(ValidationError):
    """A citizen ID number that fails GB 11643-1999."""

class InvalidEthnicity(ValidationError):
    """An ethnicity notation nobody recognises."""

class NotFoundError(ShiliuError, LookupError):
    """Something named does not exist (on the date)."""

class AccessDenied(ShiliuError, PermissionError):
    """The principal may not do or see this."""

class StorageError(ShiliuError):
    """The database file or the file system failed."""

class ConflictError(ShiliuError):
    """The request contradicts the record."""

class InternalError(ShiliuError):
    """A bug in shiliu."""

# -- values ----------------------------------------------------------------------------

@final
class Warning:
    """A warning raised while parsing or importing (data, never a Python ``Warning``)."""

    __hash__: ClassVar[None]  # type: ignore[assignment]
    @property
    def code(self) -> str:
        """Stable code, e.g. ``ethnicity.legacy_name``."""
    @property
    def message(self) -> str:
        """English message."""
    def __eq__(self, other: object, /) -> bool: ...
    def __ne__(self, other: object, /) -> bool: ...

@final
class Ethnicity:
    """An ethnic group of GB/T 3304-1991 (or a practice code 97/98)."""

    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def roman(self) -> str: ...
    @property
    def alpha2(self) -> str: ...
    @property
    def is_minority(self) -> bool: ...
    @property
    def is_standard(self) -> bool: ...
    @property
    def warnings(self) -> list[Warning]:
        """Warnings raised while parsing (legacy name, practice code)."""
    def __eq__(self, other: object, /) -> bool: ...
    def __ne__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class IdNumber:
    """A validated citizen ID number."""

    @property
    def number(self) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def birth_date(self) -> datetime.date: ...
    @property
    def sex(self) -> str: ...
    @property
    def upgraded(self) -> bool: ...
    @property
    def masked(self) -> str: ...
    @property
    def warnings(self) -> list[Warning]: ...

# -- functions -------------------------------------------------------------------------

def ethnicity(value: str) -> Ethnicity:
    """Parses an ethnicity in any ledger notation."""

def ethnicities() -> list[Ethnicity]:
    """The 56 standard groups in code order."""

def parse_id_number(value: str, today: datetime.date | None = None) -> IdNumber:
    """Parses a citizen ID number; `today` bounds the birth date (default: the system date)."""

def parse_division_code(value: str) -> tuple[str, str, str, str | None, list[Warning]]:
    """Parses a division code; returns (code, level, level_zh, parent, warnings)."""

def parse_credit_code(value: str, allow: list[str] | None = None) -> tuple[str, bool, list[Warning]]:
    """Parses a unified social credit code; returns (code, check_ok, warnings)."""

def protect_cube(path: str | os.PathLike[str], k: int, publish_zeros: bool = True) -> dict[str, Any]:
    """Reads a cube file (see `shiliu::stats::cube`), applies disclosure control with
    minimum cell size `k` and answers the table as columns (layout: `Registry.table`)."""

# -- rule sets and assessment schemes (no registry needed) -----------------------------

def preset_text(name: str) -> str:
    """The text of a built-in preset: the rule set `suzhou` or the assessment scheme
    `model_community` (TOML, to copy and edit)."""

def check_rules(text: str) -> str:
    """Reads and checks a rule set from TOML or JSON text; returns the JSON of its summary
    (`id`, `version`, `name`, `hash`, `canonical`, `text`, `rules`)."""

def check_rules_file(path: str | os.PathLike[str]) -> str:
    """Reads and checks a rule set file (a `calendar_file` it names is read relative to
    it); returns the JSON of its summary, as `check_rules`."""

def check_rules_preset(name: str, overrides: list[tuple[str, str]] | None = None) -> str:
    """A built-in rule set with `overrides` (`("R6.within_days", "5")` pairs; values read
    as JSON, else as text); returns the JSON of its summary, as `check_rules`."""

def check_scheme(text: str) -> str:
    """Reads and checks an assessment scheme from TOML or JSON text; returns its JSON
    (the scheme's fields and `text`)."""

def check_scheme_file(path: str | os.PathLike[str]) -> str:
    """Reads and checks an assessment scheme file; returns its JSON, as `check_scheme`."""

def check_scheme_preset(name: str) -> str:
    """A built-in assessment scheme (`model_community`); returns its JSON, as `check_scheme`."""

# -- the registry ----------------------------------------------------------------------

@final
class Registry:
    """A registry handle. Thread-safe: use one from many threads at once."""

    @staticmethod
    def open(path: str | os.PathLike[str], options: str | None = None) -> Registry:
        """Opens (creating if needed) a registry file; `options` is the JSON of open options."""
    @staticmethod
    def in_memory(options: str | None = None) -> Registry:
        """Opens a private in-memory registry."""
    def execute(self, request: str) -> str:
        """Answers one JSON request (`{"op": ..., "args": {...}}`) with a JSON response."""
    def import_residents(self, options: str, progress: Callable[[int, int], object] | None = None) -> str:
        """Imports a residents' ledger; `options` is the JSON of the import options.

        `progress(done, total)` is called every few thousand rows and at the end; an
        exception it raises cancels the import (nothing is written) and propagates. The
        callback may not call into a registry (the import holds the write lock):
        such calls raise ValidationError. Returns the JSON of the report.
        """
    def table(self, op: str, args: str, transaction: int | None = None) -> dict[str, Any]:
        """Answers a table request (`population` or `population_trend`; `args` is the JSON
        of the request's args) as columns (layout: `Prepared`); the query runs without the
        GIL, the columns are written with it (one pass over the rows).

        Header: `transaction`, `hierarchy`, `geography` (date or None), `periods` (dates;
        None where Python cannot hold the date; empty for a cube), `k`, `share_unit`, `notes`, `rows`,
        `trend`, `dimensions` (key labels), `statuses` / `statuses_zh` (status labels in
        code order). Row columns are little-endian bytearrays: `period` (i64 seconds since
        1970-01-01, i64 min = NaT), `unit` and `depth` (i64); `code`, `name`, `level`,
        `level_zh`, `path` as (distinct values, numpy dtype, index per row, -1 = none);
        `keys` per dimension (codes, names + "合计", (dtype, code index, -1 on a total
        row), (dtype, name index)); `headcount`, `components`, `population` and for trends
        `arrivals`, `departures`, `growth` as (i64 values, u8 missing mask); `migrant_share`
        and `share` (f64, NaN = missing); `status` (u8 index into `statuses`); `split` (u8).
        """
    def transaction(self) -> int:
        """The newest recorded transaction (0 for an empty registry)."""
    def close(self) -> None:
        """Closes the handle (idempotent). Queries still running finish first."""
    @property
    def closed(self) -> bool:
        """Whether the handle is closed."""
