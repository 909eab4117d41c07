"""The import path of a Python child process: ``sim`` from where this process imported it.

``python -c`` and ``python -m`` put the working directory first on a child's import path, so a
``sim`` folder there (a source checkout, or a project's own ``sim`` package) would be what the
child runs. The process backend's fork server and the kernels' compile helper start this way.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager


def import_path_env() -> dict[str, str]:
    """Environment variables that give a child this process's ``sys.path`` and no working directory
    first (``PYTHONSAFEPATH``, Python 3.11+)."""
    return {"PYTHONSAFEPATH": "1", "PYTHONPATH": os.pathsep.join(sys.path)}


@contextmanager
def this_import_path() -> Iterator[None]:
    """:func:`import_path_env` in ``os.environ`` for the block (for children started by a library
    that takes no environment), then the variables as they were."""
    env = import_path_env()
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
