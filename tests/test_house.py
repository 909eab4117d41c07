"""The shape of the code (docs/architecture.md): no import circle in ``sim/``, no oversized module,
and the layers' "never imports" rules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parents[1] / "sim"
MAX_LINES = 450

NEVER: tuple[tuple[str, str, str], ...] = (
    ("sim.plans", "sim.world", "pay knows no SimPy"),
    ("sim.plans", "sim.policy", "pricing is below the policy"),
    ("sim.plans", "sim.experiment", "pure rules"),
    ("sim.world", "sim.plans", "the world asks the policy; it never reads a plan"),
    ("sim.world", "sim.experiment", "a replication knows no workers"),
    ("sim.world", "sim.report", "no plotting inside the model"),
    ("sim.world", "sim.explore", "the world never reaches up"),
    ("sim.world", "sim.calibrate", "the world never reaches up"),
    ("sim.policy", "sim.world", "the policy knows decisions, not the world"),
    ("sim.experiment", "sim.report", "data below views"),
    ("sim.experiment", "sim.explore", "the experiment runs one point"),
    ("sim.experiment", "sim.calibrate", "the experiment runs one point"),
    ("sim.explore", "sim.world", "explore drives the experiment; it never reaches into the world"),
    ("sim.calibrate", "sim.world", "calibration drives the experiment; it never reaches into the world"),
    ("sim.scenario", "sim.world", "input knows nothing of the model"),
    ("sim.scenario", "sim.experiment", "input knows nothing of the experiment"),
    ("sim.vocabulary", "sim.scenario", "names sit below everything"),
    ("sim.files", "sim.scenario", "atomic files sit below the input they read"),
    ("sim.problems", "sim.scenario", "the error contract sits below every input"),
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SIM.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every ``sim`` module a file imports, at any depth (inside functions and TYPE_CHECKING too)."""
    tree = ast.parse(path.read_text("utf-8"))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == "sim"}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            if base.split(".")[0] != "sim":
                continue
            for a in node.names:  # "from sim.x import y": y is a module, or a name of sim.x
                sub = f"{base}.{a.name}"
                is_module = (SIM.parent / sub.replace(".", "/")).with_suffix(".py").exists() or (
                    SIM.parent / sub.replace(".", "/") / "__init__.py"
                ).exists()
                out.add(sub if is_module else base)
    return out


def graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in SIM.rglob("*.py")}
    g: dict[str, set[str]] = {}
    for name, path in files.items():
        g[name] = {m for m in imports_of(path) if m in files and m != name}
    return g


def circles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(g[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def test_no_import_circle_in_sim() -> None:
    assert circles(graph()) == []


def test_the_circle_finder_finds_a_circle() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize(("low", "high", "why"), NEVER)
def test_a_layer_never_imports_one_it_must_not(low: str, high: str, why: str) -> None:
    g = graph()
    bad = sorted(
        f"{a} -> {b}"
        for a, deps in g.items()
        if a == low or a.startswith(low + ".")
        for b in deps
        if b == high or b.startswith(high + ".")
    )
    assert bad == [], why


def test_no_module_is_over_the_limit() -> None:
    sizes = {module_name(p): len(p.read_text("utf-8").splitlines()) for p in SIM.rglob("*.py")}
    assert {m: n for m, n in sizes.items() if n > MAX_LINES} == {}


UNNAMED_RANDOMNESS = {"default_rng", "RandomState", "seed", "PCG64", "SeedSequence", "Generator"}
"""numpy's ways to start a generator of one's own: outside ``sim/rng.py`` every draw comes from a
named stream (``sim.rng.stream``, ``Streams``); annotations naming ``np.random.Generator`` are
types, not calls."""


def unnamed_randomness(source: str) -> list[str]:
    """Calls in ``source`` that start a random generator without a named stream, and imports of
    Python's ``random`` module."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = ast.unparse(node.func.value)
            if node.func.attr in UNNAMED_RANDOMNESS and owner.endswith("random"):
                found.append(f"{node.lineno}: {ast.unparse(node.func)}")
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            found += [f"{node.lineno}: import {n}" for n in names if n == "random"]
            if isinstance(node, ast.ImportFrom) and node.module == "numpy.random":
                taken = [a.name for a in node.names if a.name in UNNAMED_RANDOMNESS]
                found += [f"{node.lineno}: from numpy.random import {n}" for n in taken]
    return sorted(found, key=lambda x: int(x.split(":")[0]))  # in line order (the walk is breadth first)


def test_every_draw_comes_from_a_named_stream() -> None:
    bad = {
        module_name(p): got
        for p in SIM.rglob("*.py")
        if p != SIM / "rng.py" and (got := unnamed_randomness(p.read_text("utf-8")))
    }
    assert bad == {}


def test_the_randomness_finder_finds_unnamed_generators() -> None:
    source = (
        "import random\nimport numpy as np\nrng = np.random.default_rng(3)\nnp.random.seed(1)\n"
        "def f(g: np.random.Generator) -> None: ...\nx = stream(1, 0, 'a').random(3)\n"
        "from numpy.random import PCG64, Generator\n"
    )
    assert unnamed_randomness(source) == [
        "1: import random",
        "3: np.random.default_rng",
        "4: np.random.seed",
        "7: from numpy.random import PCG64",
        "7: from numpy.random import Generator",
    ]
