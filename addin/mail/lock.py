"""One send of a month at a time: a lock beside the send log, per (reports folder, month).

The lock is the operating system's (``fcntl.flock`` on POSIX, ``msvcrt.locking`` on Windows)
on ``mail_YYYY-MM.lock``, so it ends with the process that holds it, however that process ends
(``kill -9`` included): a dead process's lock is taken over by the next run without anyone
deleting a file. The file also says who holds it (pid, host, start time), for the message a
second run stops with: ``another send of 2026-10 is running (pid 4242 since 09:41)``. The file
is emptied on a clean release and never deleted (deleting it would let two runs lock two
different files of the same name).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import socket
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger("addin.mail")

_INFO_AT = 16  # Windows locks byte 0; the holder's details are written after it


class SendBusy(Exception):
    """Another process is sending the same month from the same reports folder."""


def lock_path(folder: Path, month: str) -> Path:
    return folder / f"mail_{month}.lock"


def _try_lock(fh) -> bool:
    if os.name == "nt":  # pragma: no cover - Windows only
        import msvcrt

        try:
            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _unlock(fh) -> None:
    if os.name == "nt":  # pragma: no cover - Windows only
        import msvcrt

        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _holder(fh) -> dict:
    fh.seek(_INFO_AT)
    try:
        info = json.loads(fh.read().decode("utf-8") or "{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return info if isinstance(info, dict) else {}


def _since(info: dict) -> str:
    try:
        return dt.datetime.fromisoformat(info["since"]).astimezone().strftime("%H:%M")
    except (KeyError, TypeError, ValueError):
        return "?"


@contextlib.contextmanager
def month_lock(folder: Path, month: str) -> Iterator[None]:
    """Hold the lock of ``month`` in ``folder`` for the ``with`` block, or raise
    :class:`SendBusy` naming the holder. A lock left by a process that died is taken over
    (and logged as a warning: its messages in flight are in doubt, see the send log)."""
    folder.mkdir(parents=True, exist_ok=True)
    fh = open(lock_path(folder, month), "a+b")  # noqa: SIM115 - held for the block
    try:
        if not _try_lock(fh):
            info = _holder(fh)
            raise SendBusy(f"another send of {month} is running (pid {info.get('pid', '?')} "
                           f"since {_since(info)}); wait for it to finish, then run again")
        stale = _holder(fh)
        if stale.get("pid"):
            log.warning("took over the %s send lock of pid %s (since %s), which ended without "
                        "releasing it", month, stale["pid"], _since(stale))
        info = {"pid": os.getpid(), "host": socket.gethostname(),
                "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        fh.truncate(_INFO_AT)
        fh.seek(_INFO_AT)
        fh.write(json.dumps(info).encode())
        fh.flush()
        try:
            yield
        finally:
            fh.truncate(0)
            fh.flush()
            _unlock(fh)
    finally:
        fh.close()
