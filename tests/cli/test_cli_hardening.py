"""Probes of a new user beyond the malformed-scenario corpus (issue 15), in the corpus style:
an input built under ``tmp_path``, the command, the expected exit code and the expected error
line (field path and a fragment of the message), plus what must not happen (a file clobbered,
markup rendered, another file's content shown, a hang).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from sim.cli import main

REPO = Path(__file__).resolve().parent.parent.parent
PLANS = REPO / "tests" / "plans" / "data" / "seed-plans.yaml"
MINIMAL = REPO / "tests" / "corpus" / "bases" / "minimal.yaml"
LINE = re.compile(r"^error: (?P<file>.+?): (?P<path>(?:(?!: ).)+): (?P<message>\S.*)$")

HEADER = "id,owner,amount,close_date,type,term_months,csm,go_live_date,churn_date\n"
ROW = "D1,Ann,1000,2025-03-01,new,12,,,\n"


def deals(tmp_path: Path, *rows: str, header: str = HEADER, name: str = "deals.csv") -> Path:
    path = tmp_path / name
    path.write_text(header + "".join(rows), encoding="utf-8")
    return path


@dataclass(frozen=True)
class Case:
    """One probe: ``build(tmp_path)`` returns the argv; the first error line must carry ``path``
    (``None``: exit 0 expected) and ``fragment``; ``file`` is the file that line must name."""

    build: Callable[[Path], list[str]]
    code: int
    path: str | None = None
    fragment: str = ""
    file: str | None = None
    lines: int = 1


def _backtest(csv_rows: tuple[str, ...], header: str = HEADER) -> Callable[[Path], list[str]]:
    return lambda tmp: ["backtest", str(deals(tmp, *csv_rows, header=header)), "--scenario", str(PLANS)]


def _extends(target: Callable[[Path], str]) -> Callable[[Path], list[str]]:
    def build(tmp: Path) -> list[str]:
        child = tmp / "child.yaml"
        child.write_text(f"extends: {target(tmp)}\nname: child\n", encoding="utf-8")
        return ["validate", str(child)]

    return build


def _secret_file(tmp: Path) -> str:
    """A file shaped like /etc/shadow (parses as a YAML mapping); created here, never read from /etc."""
    (tmp / "shadow").write_text(
        'root: "$6$SECRETHASH$abc:19000:0:99999:7:::"\ndaemon: TOPSECRET-LINE\n', encoding="utf-8"
    )
    return "shadow"


def _fifo(tmp: Path) -> str:
    os.mkfifo(tmp / "pipe.yaml")
    return "pipe.yaml"


def _out_existing(tmp: Path) -> list[str]:
    (tmp / "old.csv").write_text("keep me\n", encoding="utf-8")
    return ["backtest", str(deals(tmp, ROW)), "--scenario", str(PLANS), "--out", str(tmp / "old.csv")]


def _out_is_input(tmp: Path) -> list[str]:
    d = deals(tmp, ROW)
    return ["backtest", str(d), "--scenario", str(PLANS), "--out", str(d), "--force"]


def _out_is_folder(tmp: Path) -> list[str]:
    return ["backtest", str(deals(tmp, ROW)), "--scenario", str(PLANS), "--out", str(tmp)]


def _run_out_is_file(tmp: Path) -> list[str]:
    (tmp / "f").write_text("x", encoding="utf-8")
    return ["run", str(MINIMAL), "--out", str(tmp / "f"), "--quiet"]


CASES: dict[str, Case] = {
    # outputs never clobber
    "backtest_out_existing_file": Case(_out_existing, 2, "--out", "exists; expected a new file (use --force"),
    "backtest_out_is_the_input": Case(_out_is_input, 2, "--out", "found the input file"),
    "backtest_out_is_a_folder": Case(_out_is_folder, 2, "--out", "found the folder"),
    "run_out_is_a_file": Case(_run_out_is_file, 2, "(folder)", "expected a results folder, found a file"),
    # extends never shows another file's content; only regular files are read
    "extends_foreign_mapping": Case(
        _extends(_secret_file), 2, "line 1, column 1", "is not an incentsim scenario (extended by", "shadow"
    ),
    "extends_fifo": Case(_extends(_fifo), 2, "(file)", "found a FIFO", "pipe.yaml"),
    "validate_fifo": Case(
        lambda tmp: ["validate", str(tmp / _fifo(tmp))], 2, "(file)", "found a FIFO", "pipe.yaml"
    ),
    # back-test rows: ranges and date orders, one line each
    "term_months_huge": Case(
        _backtest(("D1,Ann,1000,2025-03-01,new,1e9,,,\n",)), 2, "row 2.term_months", "from 1 to 120"
    ),
    "close_date_year_1": Case(
        _backtest(("D1,Ann,1000,0001-01-01,new,12,,,\n",)),
        2,
        "row 2.close_date",
        "a date from 1950-01-01 to 2100-12-31, found '0001-01-01'",
    ),
    "close_date_year_9999": Case(
        _backtest(("D1,Ann,1000,9999-12-31,new,12,,,\n",)), 2, "row 2.close_date", "found '9999-12-31'"
    ),
    "churn_before_close": Case(
        _backtest(("D1,Ann,1000,2025-03-01,new,12,,,2025-02-01\n",)),
        2,
        "row 2.churn_date",
        "on or after close_date (2025-03-01)",
    ),
    "go_live_before_close": Case(
        _backtest(("D1,Ann,1000,2025-03-01,new,12,,2024-12-01,\n",)),
        2,
        "row 2.go_live_date",
        "on or after close_date",
    ),
    "amount_huge": Case(_backtest(("D1,Ann,1e300,2025-03-01,new,12,,,\n",)), 2, "row 2.amount", "at most"),
    "unknown_delimiter_is_named": Case(
        _backtest(("D1:Ann:1000:2025-03-01:new\n",), header="id:owner:amount:close_date:type\n"),
        2,
        "row 1.id",
        "separated by commas",
        lines=5,
    ),
    "semicolon_delimiter_is_sniffed": Case(
        _backtest(("D1;Ann;1000;2025-03-01;new;12;;;\n",), header=HEADER.replace(",", ";")), 0
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_probe(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = CASES[name]
    argv = case.build(tmp_path)
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == case.code, f"{name}: exit {code}\n{err}"
    assert "Traceback" not in out + err
    if case.path is None:
        assert err == ""
        return
    lines = err.strip().splitlines()
    assert len(lines) == case.lines, err
    m = LINE.match(lines[0])
    assert m, lines[0]
    assert m["path"] == case.path, lines[0]
    assert case.fragment in m["message"], lines[0]
    if case.file:
        assert Path(m["file"]).name == case.file, lines[0]


@pytest.mark.parametrize("flag", ["--reps", "--max-reps"])
def test_run_names_the_flag_asking_for_one_replication(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    # a paired t-interval needs two replications; the error names the flag typed, not the
    # scenario's experiment.replications it would have set
    with pytest.raises(SystemExit) as stop:
        main(["run", str(MINIMAL), flag, "1", "--quiet"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert (
        err.strip()
        .splitlines()[-1]
        .endswith(
            f"argument {flag}: expected at least 2 replications per plan (an interval needs two), found 1"
        )
    )


def test_refused_output_leaves_the_file_alone_and_force_replaces_it_atomically(tmp_path: Path) -> None:
    argv = _out_existing(tmp_path)
    assert main(argv) == 2
    assert (tmp_path / "old.csv").read_text() == "keep me\n"
    assert main([*argv, "--force"]) == 0
    assert (tmp_path / "old.csv").read_text().startswith("plan,person,name,")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("value", ["tomorrow", "1.5e9", "-1", "\u00b2", "253402300800"])
def test_a_malformed_source_date_epoch_stops_the_command_before_it_starts(
    value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """numpy parses ``$SOURCE_DATE_EPOCH`` on import and fails with a bare ValueError; the command
    line names the variable instead, exit 2, before any replication or output folder."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    out = tmp_path / "run"
    assert main(["run", str(MINIMAL), "--out", str(out)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    m = LINE.match(lines[0])
    assert m and m["file"] == "incentsim" and m["path"] == "$SOURCE_DATE_EPOCH", lines[0]
    assert "expected whole seconds since 1970-01-01 UTC" in m["message"] and repr(value) in m["message"]
    assert not out.exists()


def test_input_given_as_out_is_never_touched(tmp_path: Path) -> None:
    argv = _out_is_input(tmp_path)
    before = (tmp_path / "deals.csv").read_bytes()
    assert main(argv) == 2
    assert (tmp_path / "deals.csv").read_bytes() == before


def test_extends_never_prints_the_other_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_extends(_secret_file)(tmp_path)) == 2
    message = capsys.readouterr().err.split(": is not an incentsim scenario", 1)[1].replace(str(tmp_path), "")
    for secret in ("SECRETHASH", "TOPSECRET", "root", "daemon", "19000"):
        assert secret not in message
    # not YAML at all: still one line, still no content
    (tmp_path / "shadow").write_text("root: [SECRETHASH, 19000\n", encoding="utf-8")
    assert main(["validate", str(tmp_path / "child.yaml")]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert "invalid YAML" in line and "SECRETHASH" not in line.replace(str(tmp_path), "")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_extends_a_device_is_refused_before_reading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_extends(lambda _tmp: "/dev/zero")(tmp_path)) == 2
    err = capsys.readouterr().err
    assert err == (
        "error: /dev/zero: (file): is not an incentsim scenario (extended by "
        f"{tmp_path / 'child.yaml'}): expected a regular file, found a character device\n"
    )


def test_validate_fifo_does_not_hang(tmp_path: Path) -> None:
    """A FIFO nobody writes to: refused at once (before, ``open`` blocked forever)."""
    fifo = tmp_path / _fifo(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "sim", "validate", str(fifo)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr == f"error: {fifo}: (file): expected a regular file, found a FIFO (named pipe)\n"


@pytest.mark.parametrize("owner", ["Bob [/EMEA]", "[/]", "[bold red]Eve", "Eve\x1b[31mRED\x1b[0m", "a\nb"])
def test_owner_names_are_shown_as_written(
    owner: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    quoted = '"' + owner.replace('"', '""') + '"'
    path = deals(tmp_path, f"D1,{quoted},1000,2025-03-01,new,12,,,\n")
    assert main(["backtest", str(path), "--scenario", str(PLANS)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out  # not a terminal: any escape would come from the name
    shown = f"ae:{owner}".replace("\x1b", "\\x1b").replace("\n", "\\n")
    # the person column may wrap a long name: compare the table's text without borders
    cells = "".join(re.findall(r"^│ (.*?) *│", out, flags=re.MULTILINE))
    assert shown.replace(" ", "") in cells.replace(" ", "")
