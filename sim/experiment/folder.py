"""Opening a results folder for writing: the rules every command that writes one follows.

A folder has one writer (:class:`~sim.files.FolderLock`); a fresh run refuses a folder that holds
anything unless ``force`` (then an earlier run's results and checkpoints are removed first); a
resume needs the folder's configuration files to match the new run's exactly, drops the partial
writes of the interrupted run and keeps its checkpoints. ``incentsim run``, ``sensitivity`` and
``optimise`` all open their folders here.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from sim.experiment.checkpoints import CHECKPOINT_DIR, CheckpointStore
from sim.files import LOCK_FILE, TMP_SUFFIX, FolderLock, atomic_write_text
from sim.problems import Problem, ScenarioError


def open_results_folder(
    folder: Path,
    *,
    configs: Mapping[str, str],
    resume: bool,
    force: bool,
    result_files: Sequence[str],
) -> tuple[FolderLock, CheckpointStore]:
    """Check and lock ``folder``; returns the held lock and the opened checkpoint store.

    ``configs`` maps file names to the text this run records (the first is the scenario's
    ``config.resolved.yaml``; a resume must find every one of them unchanged). ``result_files``
    are the names (files or folders) a run writes at the top of the folder, removed by ``force``.
    Every refusal is a :class:`ScenarioError` (exit 2); the lock is released when one is raised.
    """
    if folder.exists() and not folder.is_dir():
        raise ScenarioError(
            [Problem(str(folder), "(folder)", "expected a results folder, found a file; use another --out")]
        )
    main = next(iter(configs))
    if resume and not (folder / main).exists():
        raise ScenarioError([Problem(str(folder), main, f"cannot resume: no {main} in this folder")])
    lock = FolderLock(folder).acquire()
    try:
        if resume:
            for name, text in configs.items():
                path = folder / name
                if not path.exists() or path.read_text("utf-8") != text:
                    why = (
                        "the resolved configuration differs from this folder's (same scenario file "
                        "and --set values needed)"
                        if name == main
                        else f"the settings in {name} differ from this run's (same options needed)"
                    )
                    raise ScenarioError([Problem(str(path), "(file)", f"cannot resume: {why}")])
            for stale in folder.glob(f".*{TMP_SUFFIX}"):  # partial writes of the interrupted run
                stale.unlink()
        else:
            if any(p.name != LOCK_FILE for p in folder.iterdir()):
                if not force:
                    raise ScenarioError(
                        [
                            Problem(
                                str(folder),
                                "(folder)",
                                "results folder exists and is not empty; "
                                "use --resume, another --out or --force to start over",
                            )
                        ]
                    )
                if (folder / main).exists():  # an earlier run's results: start over without its checkpoints
                    shutil.rmtree(folder / CHECKPOINT_DIR, ignore_errors=True)
                    for name in result_files:
                        target = folder / name
                        if target.is_dir() and not target.is_symlink():
                            shutil.rmtree(target, ignore_errors=True)
                        else:
                            target.unlink(missing_ok=True)
            for name, text in configs.items():
                atomic_write_text(folder / name, text)
        store = CheckpointStore(folder)
        store.open()
    except BaseException:
        lock.release()
        raise
    return lock, store
