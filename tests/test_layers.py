"""The import rule of docs/ARCHITECTURE.md, checked on every module's imports (read with ``ast``, nothing run).

Layers, highest first: the entry (``dashboard/streamlit_app.py``, ``dashboard/registry.py``) -> pages
(``dashboard/app_pages``) -> sections (``dashboard/sections``) -> components, cache and session
(``dashboard/components``, ``dashboard/cache.py``, ``dashboard/session.py``) -> renderers
(``dashboard/render``) -> ``core``. A module imports its own layer or lower ones only; ``core`` and the
renderers never import Streamlit.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Rank of each layer: a module may import modules of its rank or lower.
RANKS = {"core": 0, "render": 1, "components": 2, "cache": 2, "session": 2, "sections": 3, "pages": 4, "entry": 5}


def layer(module: str) -> str | None:
    """The layer of a dotted module name inside the project, None for a module outside it.

    Examples
    --------
    >>> layer("core.analysis.gallery"), layer("dashboard.render.svg"), layer("dashboard.app_pages.data")
    ('core', 'render', 'pages')
    >>> layer("dashboard"), layer("numpy") is None
    ('components', True)
    """
    parts = module.split(".")
    if parts[0] == "core":
        return "core"
    if parts[0] != "dashboard":
        return None
    if len(parts) == 1:
        return "components"  # `from dashboard import components` names the components package
    return {"render": "render", "components": "components", "cache": "cache", "session": "session",
            "sections": "sections", "app_pages": "pages", "streamlit_app": "entry", "registry": "entry"}[parts[1]]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(source: str) -> list[tuple[int, str]]:
    """Every module ``source`` imports (``from a import b`` counts as ``a.b``, which may be a module), with its
    line number."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def target_layer(name: str) -> str | None:
    """The layer of what an import names: ``dashboard.X`` for a module ``X`` of the dashboard package is that
    module's layer; a name inside a module is its module's layer."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        path = ROOT.joinpath(*parts)
        if path.with_suffix(".py").is_file() or (path / "__init__.py").is_file():
            return layer(candidate)
        parts.pop()
    return None


MODULES = sorted(p for folder in ("core", "dashboard") for p in (ROOT / folder).rglob("*.py"))


def violations(path: Path, source: str | None = None) -> list[str]:
    """What breaks the rule in module ``path`` (its text, or ``source`` in its place)."""
    own = layer(module_name(path))
    found = []
    for line, name in imports(path.read_text() if source is None else source):
        if name.split(".")[0] == "streamlit" and own in ("core", "render"):
            found.append(f"{path.relative_to(ROOT)}:{line} imports {name}: {own} never imports streamlit")
        target = target_layer(name)
        if target is not None and RANKS[target] > RANKS[own]:
            found.append(f"{path.relative_to(ROOT)}:{line} ({own}) imports {name} ({target}), a higher layer")
    return found


def test_every_module_imports_only_its_own_layer_or_lower_ones():
    assert len(MODULES) > 60, "the walk found the project's modules"
    problems = [problem for path in MODULES for problem in violations(path)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("source", "module", "expected"), [
    ("from dashboard import cache\n", "dashboard/render/bad.py", "imports dashboard.cache (cache), a higher layer"),
    ("import streamlit as st\n", "core/bad.py", "core never imports streamlit"),
    ("from dashboard.sections import layout\n", "dashboard/components/bad.py", "a higher layer"),
])
def test_the_rule_flags_an_upward_import(source, module, expected):
    assert any(expected in problem for problem in violations(ROOT / module, source))


def test_a_downward_import_is_allowed():
    assert violations(ROOT / "dashboard" / "app_pages" / "data.py") == []
