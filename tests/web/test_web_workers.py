"""``inspection serve --workers N`` (PostgreSQL, Linux): every web process listens on a socket of
its own, so kept-alive connections are shared between them; a process that dies is replaced,
and stopping the server stops every process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx2
import pytest

from tests.conftest import ROOT, is_postgres

pytestmark = pytest.mark.skipif(
    not is_postgres() or not sys.platform.startswith("linux"),
    reason="several web processes share one database only on PostgreSQL, and the sockets are "
    "read from Linux's /proc",
)


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The parent pid is the second field after the command, which is in parentheses.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.add(int(entry.name))
    return found


def _connections(pid: int, port: int) -> int:
    """Established TCP connections to ``port`` that process ``pid`` holds."""
    inodes = set()
    for fd in (Path("/proc") / str(pid) / "fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == "01" and fields[9] in inodes:
                count += 1
    return count


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _until(condition: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def _answers(base: str) -> bool:
    try:
        return httpx2.get(f"{base}/health", timeout=2).status_code == 200
    except httpx2.HTTPError:
        return False


def test_two_web_workers_share_kept_alive_connections_and_a_dead_one_is_replaced(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "inspection", "serve", "--port", str(port)]
            + ["--workers", "2", "--no-worker"],
            env=cli_env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    clients = [httpx2.Client(base_url=base, timeout=10) for _ in range(40)]
    try:
        _until(lambda: len(_children(server.pid)) == 2 and _answers(base))
        workers = _children(server.pid)
        # Forty browsers, each keeping its connection open, as they do between requests.
        assert [c.get("/health").status_code for c in clients] == [200] * 40
        held = {pid: _connections(pid, port) for pid in workers}
        assert sum(held.values()) == 40, held
        assert all(n > 0 for n in held.values()), held

        victim = min(workers)
        os.kill(victim, signal.SIGKILL)
        _until(lambda: len(_children(server.pid) - {victim}) == 2 and _answers(base))
        assert victim not in _children(server.pid)
        assert "starting another" in log.read_text()
        assert [c.get("/health").status_code for c in clients] == [200] * 40
        replaced = _children(server.pid)

        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0, log.read_text()
        assert all(not Path(f"/proc/{pid}").exists() for pid in replaced)
    finally:
        for c in clients:
            c.close()
        if server.poll() is None:
            server.kill()
            server.wait()
