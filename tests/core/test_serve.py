"""``dure serve``: the server command line for granian (default) and gunicorn, and a real server of each that
answers the API with its security headers, serves static files and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

import pytest

from dure.cli import server_command

ROOT = Path(__file__).resolve().parents[2]


def test_granian_serves_the_wsgi_application_with_the_chosen_workers_and_threads():
    command = server_command(
        server="granian", bind="0.0.0.0:9000", workers="3", threads="2", access_log=True, rest=["--http", "1"]
    )
    assert command[:4] == [sys.executable, "-m", "granian", "dure.wsgi:application"]
    options = " ".join(command[4:])
    assert "--interface wsgi" in options
    assert "--host 0.0.0.0 --port 9000" in options
    assert "--workers 3 --blocking-threads 2" in options
    assert "--respawn-failed-workers" in options and "--workers-kill-timeout 10" in options
    assert "--access-log" in command and command[-2:] == ["--http", "1"]
    assert "--access-log" not in server_command(
        server="granian", bind="[::1]:8000", workers="1", threads="1", access_log=False, rest=[]
    )
    assert "--host ::1 --port 8000" in " ".join(
        server_command(
            server="granian", bind="[::1]:8000", workers="1", threads="1", access_log=False, rest=[]
        )
    )


def test_granian_is_the_default_with_one_process_per_core_and_four_threads(monkeypatch):
    from dure import cli

    commands: list[list[str]] = []
    monkeypatch.setattr(cli, "_manage", lambda args: None)
    monkeypatch.setattr(cli.os, "execv", lambda path, command: commands.append(command))
    monkeypatch.setattr(cli.os, "cpu_count", lambda: 2)
    for name in ("DURE_SERVER", "DURE_WEB_WORKERS", "DURE_WEB_THREADS", "DURE_ACCESS_LOG"):
        monkeypatch.delenv(name, raising=False)
    cli.serve(["--bind", "127.0.0.1:8000"])
    assert commands[0][2] == "granian" and "--workers 2 --blocking-threads 4" in " ".join(commands[0])
    monkeypatch.setenv("DURE_SERVER", "gunicorn")
    cli.serve(["--bind", "127.0.0.1:8000"])
    assert commands[1][2] == "gunicorn" and "--workers 5 --threads 4" in " ".join(commands[1])


def test_gunicorn_stays_available():
    command = server_command(
        server="gunicorn", bind="127.0.0.1:8000", workers="5", threads="4", access_log=True, rest=[]
    )
    assert command[:4] == [sys.executable, "-m", "gunicorn", "dure.wsgi:application"]
    assert "--workers 5 --threads 4" in " ".join(command)
    assert "--access-logfile -" in " ".join(command)


@pytest.mark.parametrize(
    ("server", "bind"), [("nginx", "127.0.0.1:8000"), ("granian", "8000"), ("granian", "localhost:http")]
)
def test_unknown_servers_and_bad_addresses_are_refused(server, bind):
    with pytest.raises(SystemExit):
        server_command(server=server, bind=bind, workers="1", threads="1", access_log=True, rest=[])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str) -> tuple[int, Message, bytes]:
    """Status, headers (granian sends their names in lower case: look them up without case) and body."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.mark.parametrize("server", ["granian", "gunicorn"])
def test_a_real_server_answers_serves_static_files_and_stops_on_sigterm(server, tmp_path):
    port = _free_port()
    env = {**os.environ, "DURE_VAR_DIR": str(tmp_path), "DURE_SERVER": server, "DURE_WEB_THREADS": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "dure", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
            try:
                status, headers, body = _get(base + "/api/v1/me")
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not answer within 60 s"
                time.sleep(0.2)
        assert status == 401
        assert json.loads(body)["code"] == "not_authenticated"
        assert headers["Cache-Control"] == "no-store"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert "camera=()" in headers["Permissions-Policy"]
        status, headers, body = _get(base + "/static/web/site.js")
        assert status == 200 and body == (ROOT / "dure/web/static/web/site.js").read_bytes()
        assert headers["Content-Type"].startswith("text/javascript")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            output = process.communicate(timeout=20)[0].decode()
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
    assert process.returncode == 0, output
    assert f"({server}, 1 workers x 1 threads)" in output
    assert "GET /api/v1/me" in output  # the access log, on standard output
