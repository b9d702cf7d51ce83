"""shiliu (石榴) — ethnic-affairs work carried into urban communities (民族工作进社区).

The organisational network that does the work, the institutions it keeps and the
statistics it reports, over time. This package is a thin typed layer over the Rust
core (``shiliu._native``); every capability of the C ABI is here too.

    >>> import shiliu
    >>> shiliu.ethnicity("回").name
    '回族'
    >>> shiliu.parse_id_number("11010519491231002X").sex
    'female'

Errors raise subclasses of :class:`ShiliuError`; warnings are data on results (a
``warnings`` list), never Python ``Warning`` objects.
"""

from __future__ import annotations

from ._native import (
    AccessDenied,
    ConflictError,
    Ethnicity,
    IdNumber,
    InternalError,
    InvalidEthnicity,
    InvalidIdNumber,
    NotFoundError,
    ShiliuError,
    StorageError,
    ValidationError,
    Warning,
    __version__,
    ethnicities,
    ethnicity,
    parse_id_number,
)
from ._codes import CreditCode, DivisionCode, parse_credit_code, parse_division_code
from ._registry import FORMAT_VERSION, ImportReport, Principal, Registry, import_aggregates, protect_cube
from ._rules import ActivityImportReport, Assessment, Evaluation, RuleSet, Scheme, preset_text
from ._stats import AggregateReport, Summary

__all__ = [
    "FORMAT_VERSION",
    "AccessDenied",
    "ActivityImportReport",
    "AggregateReport",
    "Assessment",
    "ConflictError",
    "CreditCode",
    "DivisionCode",
    "Ethnicity",
    "Evaluation",
    "IdNumber",
    "ImportReport",
    "InternalError",
    "InvalidEthnicity",
    "InvalidIdNumber",
    "NotFoundError",
    "Principal",
    "Registry",
    "RuleSet",
    "Scheme",
    "ShiliuError",
    "StorageError",
    "Summary",
    "ValidationError",
    "Warning",
    "__version__",
    "ethnicities",
    "ethnicity",
    "import_aggregates",
    "parse_credit_code",
    "parse_division_code",
    "parse_id_number",
    "preset_text",
    "protect_cube",
]
