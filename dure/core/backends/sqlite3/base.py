"""SQLite with write transactions queued inside the process instead of in SQLite's busy handler.

SQLite has one writer at a time; Dure begins every transaction IMMEDIATE (see settings), so a second writer
waits at ``BEGIN``. SQLite's own waiting (the busy timeout) sleeps 1, 2, 5, 10 … up to 100 ms between tries,
so under load a writer often sleeps long after the lock came free: that sleeping is most of the work loop's
tail latency on SQLite. Threads of one process therefore take turns on a lock here first, which wakes the
next one the moment the previous one commits; only writers in other processes still meet in SQLite.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db.backends.sqlite3 import base

#: held from BEGIN to COMMIT or ROLLBACK by the thread whose connection is writing
_writer = threading.Lock()
#: a thread gives up queueing after this long and lets SQLite's busy timeout decide (never a deadlock here)
_QUEUE_SECONDS = 30.0


class DatabaseWrapper(base.DatabaseWrapper):
    _holds_writer = False

    def _start_transaction_under_autocommit(self) -> None:
        if not self._holds_writer:
            self._holds_writer = _writer.acquire(timeout=_QUEUE_SECONDS)
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._release_writer()
            raise

    def _release_writer(self) -> None:
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
