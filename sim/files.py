"""Files the command line reads and writes: one place for the rules that keep user files safe.

* Every output is written atomically (:func:`atomic_write_bytes`): a hidden temporary file in
  the same folder, fsynced, then renamed over the final name, so a crash never leaves a
  half-written file under a final name. Names ending in ``.tmp`` are in-progress writes.
* An existing file is never replaced unless the user said ``--force``, and an input is never
  an output (:func:`check_output_file`).
* Only regular files are read (:func:`read_regular_file`): FIFOs, devices and sockets are
  refused before they are opened, and a size limit stops endless input.
* A results folder has one writer at a time (:class:`FolderLock`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from sim.problems import FILE, Problem, ScenarioError

TMP_SUFFIX = ".tmp"
LOCK_FILE = ".incentsim.lock"
"""Lock file of a results folder (holds the writer's process id)."""


# --- atomic writes --------------------------------------------------------------------------


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # some platforms cannot open directories; the rename is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_writer(path: str | Path) -> Iterator[BinaryIO]:
    """A binary file to write ``path`` through, atomically: a hidden temp file in the same folder,
    fsynced and renamed onto ``path`` when the block ends without an error (removed otherwise),
    so a large output can be written in pieces and never leaves a partial file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}{TMP_SUFFIX}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    _fsync_dir(path.parent)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: hidden temp file in the same folder, fsync, rename."""
    with atomic_writer(path) as fh:
        fh.write(data)


def atomic_write_text(path: str | Path, text: str) -> None:
    """:func:`atomic_write_bytes` for UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"))


# --- outputs --------------------------------------------------------------------------------


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_output_file(
    path: str | Path, *, force: bool, source: str, option: str = "--out", inputs: Iterable[str | Path] = ()
) -> Path:
    """Refuse (``ScenarioError``, exit 2) an output file that would destroy something.

    Refused: a folder or anything that is not a regular file; a missing parent folder; one of
    ``inputs`` (even with ``force``); an existing file unless ``force``. ``source`` names the
    command in the error line (``incentsim backtest``), ``option`` the argument.
    """
    out = Path(path)

    def refuse(message: str) -> ScenarioError:
        return ScenarioError([Problem(source, option, message)])

    for given in inputs:
        if _same_file(out, Path(given)):
            raise refuse(f"expected a new file, found the input file {str(out)!r}")
    try:
        st = os.stat(out)
    except FileNotFoundError:
        parent = out.parent
        if not parent.is_dir():
            raise refuse(f"expected a file in an existing folder, {str(parent)!r} is not a folder") from None
        return out
    except OSError as exc:
        raise refuse(f"cannot use {str(out)!r}: {exc.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        raise refuse(f"expected a file name, found the folder {str(out)!r}")
    if not stat.S_ISREG(st.st_mode):
        raise refuse(f"expected a regular file, found {_kind(st.st_mode)} {str(out)!r}")
    if not force:
        raise refuse(f"{str(out)!r} exists; expected a new file (use --force to replace it)")
    return out


# --- inputs ---------------------------------------------------------------------------------


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def file_problem(path: str | Path) -> str | None:
    """Why ``path`` cannot be read as a regular file (without opening it), or None when it can."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "file not found"
    except PermissionError:
        return "file is not readable (permission denied)"
    except OSError as exc:
        return f"file cannot be read: {exc.strerror}"
    if stat.S_ISREG(st.st_mode):
        return None
    return f"expected a regular file, found {_kind(st.st_mode)}"


def read_regular_file(path: str | Path, max_bytes: int, label: str, what: str = "file") -> bytes:
    """The bytes of a regular file of at most ``max_bytes``; anything else is a ``(file)`` problem.

    FIFOs, devices and sockets are refused before opening (and checked again on the open
    descriptor, which is opened non-blocking so that a FIFO swapped in meanwhile cannot hang).
    ``what`` names the expected content for a directory (``a YAML file``).
    """
    try:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            raise ScenarioError([Problem(label, FILE, f"expected {what}, found a directory")])
        if not stat.S_ISREG(st.st_mode):
            raise ScenarioError([Problem(label, FILE, f"expected a regular file, found {_kind(st.st_mode)}")])
        if st.st_size > max_bytes:
            raise ScenarioError([Problem(label, FILE, f"file is larger than {max_bytes} bytes")])
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
        fd = os.open(path, flags | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise ScenarioError([Problem(label, FILE, "expected a regular file, found something else")])
            # One byte more than allowed is enough to know it is too large.
            data = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise ScenarioError([Problem(label, FILE, "file not found")]) from None
    except PermissionError:
        raise ScenarioError([Problem(label, FILE, "file is not readable (permission denied)")]) from None
    except OSError as exc:
        raise ScenarioError([Problem(label, FILE, f"file cannot be read: {exc.strerror}")]) from None
    if len(data) > max_bytes:
        raise ScenarioError([Problem(label, FILE, f"file is larger than {max_bytes} bytes")])
    return data


# --- one writer per results folder ------------------------------------------------------------


class FolderBusy(ScenarioError):
    """Another process holds the lock of a results folder."""


class FolderLock:
    """An exclusive lock on a results folder: ``<folder>/.incentsim.lock`` holding the writer's PID.

    The lock is an ``flock`` on that file where the platform has it (released by the kernel when
    the process dies, so a killed run never leaves the folder locked); elsewhere the file is
    created exclusively and a file whose process is gone is taken over. A second writer gets
    :class:`FolderBusy` (exit 2) naming the holder's PID.
    """

    def __init__(self, folder: str | Path, source: str = "incentsim run") -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK_FILE
        self.source = source
        self._fd: int | None = None

    def _busy(self, pid: str) -> FolderBusy:
        holder = f"process {pid}" if pid else "another process"
        return FolderBusy(
            [
                Problem(
                    str(self.folder),
                    "(folder)",
                    f"results folder is in use by {holder} (lock file {LOCK_FILE}); "
                    "wait for it to finish or stop it",
                )
            ]
        )

    def _holder(self) -> str:
        try:
            return self.path.read_text("ascii", errors="replace").strip()
        except OSError:
            return ""

    def acquire(self) -> FolderLock:
        """Take the lock (the folder is created if needed); raise :class:`FolderBusy` if held."""
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            import fcntl
        except ImportError:  # pragma: no cover - platforms without flock
            self._acquire_exclusive()
            return self
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise self._busy(self._holder()) from None
            raise
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        self._fd = fd
        return self

    def _acquire_exclusive(self) -> None:  # pragma: no cover - platforms without flock
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:
                pid = self._holder()
                if pid.isdecimal() and _alive(int(pid)):
                    raise self._busy(pid) from None
                with contextlib.suppress(FileNotFoundError):
                    self.path.unlink()
                continue
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
            self._fd = fd
            return
        raise self._busy(self._holder())

    def release(self) -> None:
        """Let go of the lock (idempotent). The file stays; it is unlocked."""
        if self._fd is None:
            return
        try:
            import fcntl
        except ImportError:  # pragma: no cover
            os.close(self._fd)
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
        else:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
        self._fd = None

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def _alive(pid: int) -> bool:  # pragma: no cover - platforms without flock
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
