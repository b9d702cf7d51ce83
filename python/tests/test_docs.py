"""The examples in the documentation run: doctests of the package, and the ```python
blocks of the repository README (if it has any)."""

from __future__ import annotations

import doctest
import re
import types
from pathlib import Path

import pytest

import shiliu
import shiliu._codes
import shiliu._registry
import shiliu._rules

README = Path(__file__).resolve().parents[2] / "README.md"
PYTHON_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize("module", [shiliu, shiliu._codes, shiliu._registry, shiliu._rules], ids=lambda m: m.__name__)
def test_doctests(module: types.ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, report=True)
    assert result.attempted > 0, f"{module.__name__} has no doctests"
    assert result.failed == 0


def python_blocks(text: str) -> list[str]:
    return [m.group(1) for m in PYTHON_BLOCK.finditer(text)]


def test_python_block_extraction() -> None:
    text = "intro\n```python\nx = 1\n```\n```c\nint y;\n```\n```python\ny = x + 1\n```\n"
    assert python_blocks(text) == ["x = 1\n", "y = x + 1\n"]


def test_readme_python_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = python_blocks(README.read_text(encoding="utf-8")) if README.exists() else []
    if not blocks:
        pytest.skip(f"no ```python blocks in {README}")
    monkeypatch.chdir(tmp_path)  # examples may create files
    namespace: dict[str, object] = {"__name__": "readme"}
    for n, block in enumerate(blocks, 1):
        code = compile(block, f"{README.name}[python block {n}]", "exec")
        exec(code, namespace)
