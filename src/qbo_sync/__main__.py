"""``python -m qbo_sync``: the same as the ``qbo-sync`` command."""

from __future__ import annotations

from qbo_sync.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
