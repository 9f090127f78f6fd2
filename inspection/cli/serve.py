"""``inspection serve`` and ``inspection demo``."""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
from collections.abc import MutableMapping

from inspection import settings as settings_module
from inspection.cli import web_workers
from inspection.cli.base import BadInput

# Listening on every interface says nothing about the name clients will use.
_EVERY_INTERFACE = {"", "0.0.0.0", "::"}  # noqa: S104 (compared, not bound)


def register(sub: argparse._SubParsersAction) -> None:
    serve = sub.add_parser("serve", help="serve the web app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes serving requests (default 1); more than one needs PostgreSQL",
    )
    serve.add_argument(
        "--no-worker",
        action="store_true",
        help="run no job worker inside the web processes: imports and linkage runs wait for "
        "`inspection worker` processes (by default each web process runs one)",
    )
    serve.set_defaults(handler=_serve)

    demo = sub.add_parser(
        "demo", help="set up the demo authority in the local database and serve the app"
    )
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--no-serve", action="store_true", help="set up only")
    demo.set_defaults(handler=_demo)


def serve(host: str, port: int, workers: int = 1, job_worker: bool = True) -> None:
    """uvicorn with ``workers`` processes, each building the app from the environment
    (``inspection.web.asgi:app``). Several workers share one PostgreSQL database. Each runs a
    job worker of its own unless ``job_worker`` is false."""
    import uvicorn

    if workers < 1:
        raise BadInput("--workers must be 1 or more.")
    allow_served_host(host, os.environ)
    if not job_worker:
        os.environ["INSPECTION_IN_PROCESS_WORKER"] = "0"
    # Read (and, the first time, create) the stored secret once, before any worker starts, so
    # that every worker reads the same one.
    config = settings_module.load()
    if workers > 1 and config.dialect != "postgres":
        raise BadInput(
            "Several workers need PostgreSQL (set INSPECTION_DATABASE_URL): SQLite lets only "
            "one process write at a time. Run one worker with SQLite."
        )
    hosts = ", ".join(config.allowed_hosts)
    sys.stderr.write(f"Answering requests for: {hosts} (INSPECTION_ALLOWED_HOSTS)\n")
    if host in _EVERY_INTERFACE and not os.environ.get("INSPECTION_ALLOWED_HOSTS"):
        sys.stderr.write(
            "Listening on every interface: set INSPECTION_ALLOWED_HOSTS to the names clients "
            "use, or requests for other names are refused.\n"
        )
    options = {
        "app": "inspection.web.asgi:app",
        "factory": True,
        "log_level": "info",
        "proxy_headers": False,
        "server_header": False,
    }
    if workers > 1 and web_workers.spreads_connections():
        status = web_workers.run_workers(host, port, workers, options)
        if status:
            raise SystemExit(status)
        return
    uvicorn.run(host=host, port=port, workers=workers, **options)  # type: ignore[arg-type]


def allow_served_host(host: str, environ: MutableMapping[str, str]) -> None:
    """Without INSPECTION_ALLOWED_HOSTS, answer to the address given to ``--host`` as well as
    to the defaults, so that ``serve --host 192.0.2.10`` works as typed. The workers read the
    setting from the environment."""
    if environ.get("INSPECTION_ALLOWED_HOSTS") or host in _EVERY_INTERFACE:
        return
    try:
        name = f"[{host}]" if ipaddress.ip_address(host).version == 6 else host
    except ValueError:
        name = host
    hosts = list(settings_module.DEFAULT_ALLOWED_HOSTS)
    if name.lower() not in hosts:
        hosts.append(name.lower())
    environ["INSPECTION_ALLOWED_HOSTS"] = ",".join(hosts)


def _serve(args: argparse.Namespace) -> int:
    serve(args.host, args.port, args.workers, job_worker=not args.no_worker)
    return 0


def _demo(args: argparse.Namespace) -> int:
    import asyncio

    from inspection.db import DatabaseUnavailable
    from inspection.demo import set_up_demo

    config = settings_module.load()
    try:
        login = asyncio.run(set_up_demo(config))
    except DatabaseUnavailable as exc:
        raise BadInput(str(exc)) from exc
    print(f"\nThe demo authority is loaded: {login.summary}")
    sign_in = f"sign in as {login.email} with password {login.password}"
    if args.no_serve:
        print(f"Serve it with `inspection serve`, then {sign_in}")
    else:
        print(f"Open http://{args.host}:{args.port}/login and {sign_in}")
    print(f"(or as {login.admin_email}, same password, to administer users and authorities)")
    print(f"(the password is kept in {login.password_file})\n", flush=True)
    if not args.no_serve:
        serve(args.host, args.port)
    return 0
