"""The kernels' warm-up (``sim/warm.py``): the compile split over two processes on a cold cache."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import sim.warm as warm

ROOT = Path(__file__).resolve().parents[1]


def _python(code: str, env: dict[str, str] | None = None) -> str:
    """Run ``code`` in a fresh interpreter (this tree first on the path) and return its last line."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_kernel_signatures_are_those_a_replication_calls() -> None:
    # a fresh process runs the tiny replication (no explicit compile) and lists what each kernel
    # was compiled for: exactly the types kernel_signatures() names, so the split compiles what
    # the replications then load, not a near miss that they would compile again
    got = json.loads(
        _python(
            """
            import json
            from sim.replication import simulate
            from sim.scenario import Scenario
            from sim.warm import _TINY, kernel_signatures
            simulate(Scenario.model_validate(_TINY), "every-rule", 0)
            print(json.dumps({g: [[k.__name__, [str(s) for s in k.signatures]] for k, _ in items]
                              for g, items in kernel_signatures().items()}))
            """
        )
    )
    groups = warm.kernel_signatures().items()
    want = {g: [[k.__name__, [str(tuple(sig))]] for k, sig in items] for g, items in groups}
    assert got == want
    assert sorted(want) == ["helper", "here"]


def test_helper_entry_point_runs() -> None:
    # the helper entry point (what compile_kernels starts on a cold cache) runs and exits 0
    done = subprocess.run(
        [sys.executable, "-m", "sim.warm"], capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_a_failed_helper_is_said_and_the_kernels_compile_here(monkeypatch: pytest.MonkeyPatch) -> None:
    false = shutil.which("false")
    if false is None:
        pytest.skip("no 'false' command on this system")
    compiled: list[object] = []
    monkeypatch.setattr(warm, "_from_cache", lambda kernel, signature: False)  # as on a cold cache
    monkeypatch.setattr(warm, "_compile", compiled.extend)
    monkeypatch.setattr(warm.sys, "executable", false)
    with pytest.warns(RuntimeWarning, match=r"helper compiling kernels failed \(exit 1"):
        warm.compile_kernels.__wrapped__()
    assert [k.__name__ for k, _ in compiled] == ["apply_rows"]  # the group "here" (the probe done)


def test_filling_the_cache_compiles_only_when_it_is_cold(monkeypatch: pytest.MonkeyPatch) -> None:
    # a filled cache: the probe comes from it and nothing else is compiled or loaded here;
    # a cold one: every kernel, split over two processes as compile_kernels does
    done: list[tuple[list[str], bool]] = []
    monkeypatch.setattr(
        warm, "_compile_every_kernel", lambda here, cold: done.append(([k.__name__ for k, _ in here], cold))
    )
    monkeypatch.setattr(warm, "_from_cache", lambda kernel, signature: True)
    warm.fill_kernel_cache.__wrapped__()
    assert done == []
    monkeypatch.setattr(warm, "_from_cache", lambda kernel, signature: False)
    warm.fill_kernel_cache.__wrapped__()
    assert done == [(["apply_rows"], True)]


@pytest.mark.slow
def test_cold_cache_splits_the_compile(tmp_path: Path) -> None:
    # numba's cache empty, as on a fresh install: the helper's kernels are compiled by the helper,
    # and this process loads them from the cache instead of compiling them (its compile events
    # never name them), while it compiles its own group
    got = json.loads(
        _python(
            """
            import json
            from numba.core import event
            compiled = []
            class Listener(event.Listener):
                def on_start(self, e):
                    compiled.append(e.data["dispatcher"].py_func.__name__)
                def on_end(self, e):
                    pass
            event.register("numba:compile", Listener())
            from sim.warm import compile_kernels, kernel_signatures
            compile_kernels()
            groups = {g: [k.__name__ for k, _ in items] for g, items in kernel_signatures().items()}
            hits = {k.__name__: sum(k.stats.cache_hits.values()) for k, _ in kernel_signatures()["helper"]}
            print(json.dumps({"compiled": compiled, "groups": groups, "hits": hits}))
            """,
            {"NUMBA_CACHE_DIR": str(tmp_path)},
        )
    )
    helped = got["groups"]["helper"]
    assert set(got["groups"]["here"]) <= set(got["compiled"])  # the probe found the cache cold
    assert not set(helped) & set(got["compiled"])
    assert all(got["hits"][name] >= 1 for name in helped)


def test_a_child_with_import_path_env_imports_this_sim(tmp_path: Path) -> None:
    # how the helper starts (`python -m sim.warm` would put the working directory first): from a
    # directory holding a decoy sim, a child given import_path_env() imports this process's sim
    import sim
    from sim.import_path import import_path_env

    (tmp_path / "sim").mkdir()
    (tmp_path / "sim" / "__init__.py").write_text('"""not incentsim"""\n')
    child = subprocess.run(
        [sys.executable, "-c", "import sim; print(sim.__file__)"],
        cwd=tmp_path, env={**os.environ, **import_path_env()}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert child.returncode == 0, child.stderr
    assert child.stdout.strip() == sim.__file__
