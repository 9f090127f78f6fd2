"""Several web worker processes, each with a listening socket of its own on the same port.

uvicorn's own ``--workers`` shares one listening socket between its processes: whichever
process wakes first accepts the next connection, and a kept-alive connection stays with the
process that accepted it. Measured with 50 browsers signed in one after the other against two
workers, one process held 42 of the 50 connections and answered five requests in six while
the other core waited (``bench/bench_load.py`` prints the spread it sees). With
``SO_REUSEPORT`` every process listens on a socket of its own and Linux spreads new
connections across them, so the workers share the work.

Each worker is ``uvicorn.Server`` running on its socket (uvicorn's public API); this module is
the supervisor: it starts the workers, replaces one that dies, and stops them all on SIGINT or
SIGTERM. Where the platform does not spread connections over ``SO_REUSEPORT`` sockets (it is a
Linux behaviour), ``serve`` keeps uvicorn's own shared-socket workers.
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
import sys
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any

_RESTART_PAUSE = 1.0
# A worker that could not start (uvicorn's exit code for it): another would fail the same way.
STARTUP_FAILURE = 3


def spreads_connections() -> bool:
    """Whether this platform balances connections across ``SO_REUSEPORT`` listeners."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def listening_socket(host: str, port: int, *, listen: bool = True) -> socket.socket:
    """A TCP socket on ``host``:``port`` that other processes may bind as well."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    if listen:
        sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _worker(host: str, port: int, uvicorn_options: dict[str, Any]) -> None:
    import uvicorn

    sock = listening_socket(host, port)
    server = uvicorn.Server(uvicorn.Config(host=host, port=port, **uvicorn_options))
    server.run(sockets=[sock])
    if not server.started:
        sys.exit(STARTUP_FAILURE)


def run_workers(host: str, port: int, workers: int, uvicorn_options: dict[str, Any]) -> int:
    """Serve with ``workers`` processes until SIGINT or SIGTERM; a worker that dies is
    replaced, unless it could not start, which stops them all. ``uvicorn_options`` are
    ``uvicorn.Config``'s (the app and its settings). Returns the exit status."""
    # Bound, never listening: holds the port (and picks it when 0 is asked for) without
    # taking connections, so workers can come and go on it.
    holder = listening_socket(host, port, listen=False)
    port = holder.getsockname()[1]
    # Forked: the supervisor has built no app, opened no database and started no thread.
    context = multiprocessing.get_context("fork")
    stopping = False

    def start() -> BaseProcess:
        process = context.Process(
            target=_worker, args=(host, port, uvicorn_options), name="inspection-web"
        )
        process.start()
        return process

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous: dict[int, Callable[[int, FrameType | None], Any] | int | None] = {
        sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    sys.stderr.write(f"Serving on http://{host}:{port} with {workers} web workers\n")
    processes = [start() for _ in range(workers)]
    status = 0
    try:
        while not stopping:
            time.sleep(0.2)
            for i, process in enumerate(processes):
                if process.exitcode == STARTUP_FAILURE:
                    sys.stderr.write("A web worker could not start; stopping.\n")
                    stopping, status = True, STARTUP_FAILURE
                    break
                if not process.is_alive() and not stopping:
                    sys.stderr.write(
                        f"Web worker {process.pid} stopped (exit code {process.exitcode}); "
                        "starting another\n"
                    )
                    time.sleep(_RESTART_PAUSE)
                    processes[i] = start()
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
                process.join()
        holder.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return status
