"""Every pointer to code in the docs names code that exists.

``docs/model.md`` puts each behavioural equation beside the code that computes it, and the other
docs point at code the same way; a refactor that moves a function leaves those pointers stale
without failing anything else. Four forms are checked, each a backticked token of
``docs/*.md`` and ``README.md``:

* a path, ``sim/world/market.py``, and a file name, ``pricing.py``: the file exists;
* a dotted name, ``sim.policy.protocol.one_at_a_time``: it imports;
* a class's member, ``ImplementationTeam._table``: some class of that name in ``sim`` (or one of
  its bases) defines it, as a method, a class attribute or an attribute set on ``self``;
* a file's function, ``closes.py:_close_threshold``: a ``def``, ``class`` or module-level name of
  that file.

The docstrings of ``sim`` point the same way with Sphinx roles; every fully qualified one
(``:func:`sim.plans.credits.event_credits```) must import too.
"""

from __future__ import annotations

import ast
import functools
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]

_TOKEN = re.compile(r"`([^`\s]+)`")
_PATH = re.compile(r"sim/[\w/]+\.py")
_DOTTED = re.compile(r"sim(\.\w+)+")
_MEMBER = re.compile(r"([A-Z][A-Za-z0-9]*)\.(\w+)")
_FILE_NAME = re.compile(r"([\w/]+\.py):(\w+)")
_FILE = re.compile(r"\w+\.py")


@functools.cache
def _python_files() -> tuple[Path, ...]:
    skip = {".venv", ".git", "node_modules"}
    return tuple(p for p in ROOT.rglob("*.py") if not skip & set(p.relative_to(ROOT).parts))


@functools.cache
def _classes() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Members and base-class names of every class defined in ``sim``, by class name."""
    members: dict[str, set[str]] = {}
    bases: dict[str, set[str]] = {}
    for path in (ROOT / "sim").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ClassDef):
                continue
            got = members.setdefault(node.name, set())
            bases.setdefault(node.name, set()).update(b.id for b in node.bases if isinstance(b, ast.Name))
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    got.add(item.name)
                elif isinstance(item, ast.Assign):
                    got.update(t.id for t in item.targets if isinstance(t, ast.Name))
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    got.add(item.target.id)
            for sub in ast.walk(node):
                if (
                    isinstance(sub, ast.Attribute)
                    and isinstance(sub.ctx, ast.Store)
                    and isinstance(sub.value, ast.Name)
                    and sub.value.id == "self"
                ):
                    got.add(sub.attr)
    return members, bases


def _has_member(cls: str, name: str, seen: frozenset[str] = frozenset()) -> bool:
    members, bases = _classes()
    if name in members.get(cls, ()):
        return True
    return any(_has_member(b, name, seen | {cls}) for b in bases.get(cls, ()) if b not in seen)


def _defines(path: Path, name: str) -> bool:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name == name:
            return True
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return True
    return False


def _imports(dotted: str) -> bool:
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            if not hasattr(obj, attr):
                # a dataclass field without a default is only an annotation of its class
                return attr == parts[-1] and isinstance(obj, type) and _annotated(obj, attr)
            obj = getattr(obj, attr)
        return True
    return False


def _annotated(cls: type, attr: str) -> bool:
    return any(attr in getattr(c, "__annotations__", {}) for c in cls.__mro__)


def pointer_problems(text: str) -> list[str]:
    """Each backticked pointer of ``text`` that names no code, as ``line N: `token`: why``."""
    files = _python_files()
    names = {p.name for p in files}
    out: list[str] = []
    for m in _TOKEN.finditer(text):
        token = m.group(1)
        why = None
        if _PATH.fullmatch(token):
            why = None if (ROOT / token).is_file() else "no such file"
        elif _DOTTED.fullmatch(token):
            why = None if _imports(token) else "does not import"
        elif (mm := _MEMBER.fullmatch(token)) is not None:
            cls, name = mm.groups()
            if cls not in _classes()[0]:
                why = "no class of that name in sim"
            elif not _has_member(cls, name):
                why = f"{cls} has no {name}"
        elif (fm := _FILE_NAME.fullmatch(token)) is not None:
            fname, name = fm.groups()
            found = [
                p
                for p in files
                if p.relative_to(ROOT).as_posix() == fname or ("/" not in fname and p.name == fname)
            ]
            if not found:
                why = "no such file"
            elif not any(_defines(p, name) for p in found):
                why = f"{fname} defines no {name}"
        elif _FILE.fullmatch(token):
            why = None if token in names else "no such file"
        if why is not None:
            out.append(f"line {text.count(chr(10), 0, m.start()) + 1}: `{token}`: {why}")
    return out


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_pointer_names_code_that_exists(doc: Path) -> None:
    problems = pointer_problems(doc.read_text())
    assert not problems, f"{doc.name}: " + "; ".join(problems)


_ROLE = re.compile(r":(?:func|meth|class|mod|data|attr|exc):`~?(sim(?:\.\w+)+)`")


def docstring_problems(text: str) -> list[str]:
    """Each fully qualified Sphinx reference of a module's ``text`` that does not import."""
    return [
        f"line {text.count(chr(10), 0, m.start()) + 1}: {m.group(1)}"
        for m in _ROLE.finditer(text)
        if not _imports(m.group(1))
    ]


def test_every_qualified_docstring_reference_imports() -> None:
    problems = [
        f"{p.relative_to(ROOT).as_posix()} {problem}"
        for p in sorted((ROOT / "sim").rglob("*.py"))
        for problem in docstring_problems(p.read_text())
    ]
    assert not problems, "; ".join(problems)


def test_stale_pointers_are_caught() -> None:
    text = "\n".join(
        [
            "`sim/world/market.py` `sim/world/bazaar.py`",
            "`sim.policy.protocol.one_at_a_time` `sim.policy.batch.one_at_a_time`",
            "`ImplementationTeam._table` `ImplementationTeam._project` `SdrTeam.monthly_people`",
            "`Nowhere.thing` `closes.py:_close_threshold` `kernel.py:_price_credit` `ghost.py:x`",
            "`pricing.py` `gone.py`",
        ]
    )
    assert pointer_problems(text) == [
        "line 1: `sim/world/bazaar.py`: no such file",
        "line 2: `sim.policy.batch.one_at_a_time`: does not import",
        "line 3: `ImplementationTeam._project`: ImplementationTeam has no _project",
        "line 4: `Nowhere.thing`: no class of that name in sim",
        "line 4: `kernel.py:_price_credit`: kernel.py defines no _price_credit",
        "line 4: `ghost.py:x`: no such file",
        "line 5: `gone.py`: no such file",
    ]
    assert docstring_problems(
        ":class:`~sim.plans.rule.Rule` :attr:`sim.plans.rulebook.Rulebook.cfg`\n"
        ":func:`sim.plans.kernel.event_credits` :meth:`sim.policy.protocol.Policy.nothing`"
    ) == ["line 2: sim.plans.kernel.event_credits", "line 2: sim.policy.protocol.Policy.nothing"]
