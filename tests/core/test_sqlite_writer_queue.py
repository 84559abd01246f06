"""SQLite writers of one process take turns on a lock from BEGIN to COMMIT/ROLLBACK (dure.core.backends)."""

from __future__ import annotations

import fcntl
import os
import threading
import time

import pytest
from django.db import connection, transaction

from dure.accounts.models import User
from dure.core.backends.sqlite3 import base

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's writer queue"),
]


def test_the_lock_is_held_for_the_transaction_and_released_after_commit_and_rollback() -> None:
    with transaction.atomic():
        assert base._writer.locked()
        with transaction.atomic():  # a savepoint: no second BEGIN, no second acquire
            User.objects.create(username="a")
    assert not base._writer.locked()
    with pytest.raises(RuntimeError), transaction.atomic():
        User.objects.create(username="b")
        raise RuntimeError
    assert not base._writer.locked()
    assert list(User.objects.values_list("username", flat=True)) == ["a"]


def test_a_second_writer_waits_for_the_first_to_commit() -> None:
    order: list[str] = []
    first_in = threading.Event()

    def first() -> None:
        try:
            with transaction.atomic():
                User.objects.create(username="first")
                first_in.set()
                time.sleep(0.3)
                order.append("first commits")
        finally:
            connection.close()

    def second() -> None:
        try:
            first_in.wait(5)
            with transaction.atomic():
                order.append("second begins")
                User.objects.create(username="second")
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert order == ["first commits", "second begins"]
    assert User.objects.filter(username__in=["first", "second"]).count() == 2
    assert not base._writer.locked()


def test_writers_in_other_processes_wait_on_the_lock_file() -> None:
    """Another process holding the lock file (here: another open file description, which flock treats the
    same way) makes a writer wait until it lets go."""
    path = f"{connection.settings_dict['NAME']}-writer.lock"
    other = os.open(path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(other, fcntl.LOCK_EX)
    began = threading.Event()

    def write() -> None:
        try:
            with transaction.atomic():
                began.set()
                User.objects.create(username="later")
        finally:
            connection.close()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        assert not began.wait(0.3)
    finally:
        fcntl.flock(other, fcntl.LOCK_UN)
        os.close(other)
    thread.join(10)
    assert began.is_set() and User.objects.filter(username="later").exists()
