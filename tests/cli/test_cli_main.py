"""The ``incentsim`` command line: version, help, exit codes, the error contract, --debug."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import sim.cli
from sim._version import __version__
from sim.cli import build_parser, main

REPO = Path(__file__).resolve().parent.parent.parent
SEED = REPO / "scenarios" / "seed-plans.yaml"
LINE = re.compile(r"^error: (?P<file>.+?): (?P<path>(?:(?!: ).)+): (?P<message>\S.*)$")


def _subcommands() -> list[str]:
    sim.cli._load_extra_commands()
    parser = build_parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sorted(actions[0].choices)


def run_cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sim", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def test_version_comes_from_the_version_module(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"incentsim {__version__}"
    assert re.fullmatch(r"\d+\.\d+\.\d+([.-]?\w+)*", __version__)


def test_python_dash_m_sim_works() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"incentsim {__version__}"
    result = run_cli("validate", str(SEED))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"ok: {SEED}: seed-plans (")


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / ("incentsim.exe" if os.name == "nt" else "incentsim")
    if not script.exists():
        found = shutil.which("incentsim")
        if found is None:
            pytest.skip("incentsim console script not on this interpreter's path")
        script = Path(found)
    result = subprocess.run(
        [str(script), "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"incentsim {__version__}"


def test_validate_and_schema_are_commands() -> None:
    assert {"validate", "schema"} <= set(_subcommands())


@pytest.mark.parametrize("command", [None, *_subcommands()])
def test_help_on_every_command_exits_0(command: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--help"] if command is None else [command, "--help"]
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: incentsim")
    if command is not None:
        assert f"incentsim {command}" in out


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    out = capsys.readouterr().out
    assert out.startswith("usage: incentsim")
    assert "validate" in out and "schema" in out


@pytest.mark.parametrize(
    ("argv", "prog"),
    [
        (["no-such-command"], "incentsim"),
        (["validate"], "incentsim validate"),
        (["schema", "--indent", "x"], "incentsim schema"),
        (["--bogus"], "incentsim"),
    ],
)
def test_usage_errors_exit_2_with_an_error_line(
    argv: list[str], prog: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"error: {prog}: (arguments): ")
    assert LINE.match(last)


def test_missing_file_and_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.yaml"
    assert main(["validate", str(missing), str(tmp_path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"error: {missing}: (file): file not found",
        f"error: {tmp_path}: (file): expected a YAML file, found a directory",
    ]


@pytest.mark.skipif(os.name == "nt" or os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "secret.yaml"
    path.write_text("name: x\n", encoding="utf-8")
    path.chmod(0)
    assert main(["validate", str(path)]) == 2
    assert capsys.readouterr().err == f"error: {path}: (file): file is not readable (permission denied)\n"


def test_good_and_bad_files_together(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("extends: " + str(SEED) + "\nexperiment: {seed: -1}\n", encoding="utf-8")
    assert main(["validate", str(SEED), str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out.startswith(f"ok: {SEED}")
    assert captured.err == f"error: {bad}: experiment.seed: expected greater than or equal to 0, found -1\n"


def test_quiet_prints_nothing_for_valid_files(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--quiet", str(SEED)]) == 0
    assert capsys.readouterr() == ("", "")


def test_schema_command_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "--indent", "0"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "incentsim scenario"
    assert "plans" in schema["properties"]


def _boom(args: argparse.Namespace) -> int:
    raise RuntimeError("simulated failure")


def test_runtime_failure_exits_1_without_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sim.cli, "_cmd_validate", _boom)
    assert main(["validate", str(SEED)]) == 1
    err = capsys.readouterr().err
    assert err == "error: RuntimeError: simulated failure (rerun with --debug for a traceback)\n"


def test_debug_shows_the_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sim.cli, "_cmd_validate", _boom)
    assert main(["--debug", "validate", str(SEED)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert "RuntimeError: simulated failure" in err
    assert "_boom" in err


def test_interrupt_exits_130(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def interrupted(args: argparse.Namespace) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.cli, "_cmd_validate", interrupted)
    assert main(["validate", str(SEED)]) == 130
    assert capsys.readouterr().err == "error: interrupted\n"


def test_invalid_input_never_shows_a_traceback_even_from_a_subprocess(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nplans: [{name: a, ae: {quota: {annual_amount: 0}}}]\n", encoding="utf-8")
    result = run_cli("validate", str(bad))
    assert result.returncode == 2
    expected = f"error: {bad}: plans[a].ae.quota.annual_amount: expected greater than 0, found 0\n"
    assert result.stderr == expected
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_endless_input_is_refused_not_read_forever(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "/dev/zero"]) == 2
    err = capsys.readouterr().err
    assert err == "error: /dev/zero: (file): expected a regular file, found a character device\n"
