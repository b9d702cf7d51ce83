"""Division codes (GB/T 2260 and statistical codes) and unified social credit codes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from . import _native


@dataclass(frozen=True)
class DivisionCode:
    """A division code (行政区划代码 / 统计用区划代码) with the level its digits give."""

    code: str
    """The normalised code (6 or 9 or 12 digits)."""
    level: str
    """``province``, ``prefecture``, ``county``, ``street``, ``town``, ``township``,
    ``residents_committee``, ``villagers_committee`` …"""
    level_zh: str
    """The level in Chinese (县级, 街道, 居委会 …)."""
    parent: str | None
    """The parent code by prefix, if any."""
    warnings: list[_native.Warning] = field(default_factory=list)


@dataclass(frozen=True)
class CreditCode:
    """A unified social credit code (统一社会信用代码, GB 32100-2015)."""

    code: str
    check_ok: bool
    """False for an allow-listed early pilot code whose check character fails."""
    warnings: list[_native.Warning] = field(default_factory=list)


def parse_division_code(value: str) -> DivisionCode:
    """Parse a 6-, 9- or 12-digit division code.

    >>> parse_division_code("320508021017").level
    'residents_committee'
    """
    code, level, level_zh, parent, warnings = _native.parse_division_code(value)
    return DivisionCode(code, level, level_zh, parent, warnings)


def parse_credit_code(value: str, allow: Iterable[str] = ()) -> CreditCode:
    """Parse a unified social credit code.

    A code whose check character fails raises :class:`shiliu.ValidationError` unless
    ``allow`` names it; it is then accepted with a ``credit_code.check_failed_allowed``
    warning.
    """
    code, ok, warnings = _native.parse_credit_code(value, list(allow))
    return CreditCode(code, ok, warnings)
