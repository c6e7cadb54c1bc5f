"""Another commit of this repository as a tree on disk, for the benches that time the same
work before and after a change in one run (run them as ``python bench/NAME.py``, which puts
this folder on the import path)."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def unpack(rev: str, into: Path) -> Path:
    """The tree of ``rev`` in ``into`` (``git archive``: tracked files only)."""
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into
