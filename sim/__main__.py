"""``python -m sim`` is the ``incentsim`` command."""

from sim.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
