"""SQLite with write transactions queued inside the process instead of in SQLite's busy handler.

SQLite has one writer at a time; Dure begins every transaction IMMEDIATE (see settings), so a second writer
waits at ``BEGIN``. SQLite's own waiting (the busy timeout) sleeps 1, 2, 5, 10 … up to 100 ms between tries,
so under load a writer often sleeps long after the lock came free: that sleeping is most of the work loop's
tail latency on SQLite. Writers therefore take turns here first, on locks that wake the next one the moment
the previous one commits: threads of one process on a ``threading.Lock``, then processes (the web server's
workers, ``dure worker``) on an advisory ``flock`` of a file beside the database. SQLite's own locking still
guards the data; programs that do not take these locks (the ``sqlite3`` shell) meet in its busy handler.
"""

from __future__ import annotations

import fcntl
import os
import threading
from typing import Any

from django.db.backends.sqlite3 import base

#: held from BEGIN to COMMIT or ROLLBACK by the thread whose connection is writing
_writer = threading.Lock()
#: a thread gives up queueing after this long and lets SQLite's busy timeout decide (never a deadlock here)
_QUEUE_SECONDS = 30.0


#: database path → (process id, open lock file); opened per process, since a descriptor inherited through
#: fork() would share its lock with the parent
_lock_files: dict[str, tuple[int, int]] = {}
_lock_files_guard = threading.Lock()


def _lock_file(database: str) -> int | None:
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    opened = _lock_files.get(database)
    if opened is None or opened[0] != os.getpid():
        with _lock_files_guard:
            opened = _lock_files.get(database)
            if opened is None or opened[0] != os.getpid():
                descriptor = os.open(f"{database}-writer.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
                opened = _lock_files[database] = (os.getpid(), descriptor)
    return opened[1]


class DatabaseWrapper(base.DatabaseWrapper):
    _holds_writer = False
    _holds_file: int | None = None

    def _start_transaction_under_autocommit(self) -> None:
        if not self._holds_writer:
            self._holds_writer = _writer.acquire(timeout=_QUEUE_SECONDS)
            if self._holds_writer:
                # Only the thread holding the process lock waits here, so one per process; the kernel wakes
                # it when the holder commits (or dies: its lock goes with it).
                descriptor = _lock_file(str(self.settings_dict["NAME"]))
                if descriptor is not None:
                    fcntl.flock(descriptor, fcntl.LOCK_EX)
                    self._holds_file = descriptor
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._release_writer()
            raise

    def _release_writer(self) -> None:
        if self._holds_file is not None:
            descriptor, self._holds_file = self._holds_file, None
            fcntl.flock(descriptor, fcntl.LOCK_UN)
        if self._holds_writer:
            self._holds_writer = False
            _writer.release()

    def _commit(self) -> Any:
        try:
            return super()._commit()  # type: ignore[misc]
        finally:
            self._release_writer()

    def _rollback(self) -> Any:
        try:
            return super()._rollback()  # type: ignore[misc]
        finally:
            self._release_writer()

    def _close(self) -> Any:
        try:
            return super()._close()  # type: ignore[misc]
        finally:
            self._release_writer()
