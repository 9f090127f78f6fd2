"""The demo: the committed synthetic authority loaded into a demo inspection, a demo lead
inspector and a demo administrator (one password).

Running it again is safe: what exists is kept, and the same login is printed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from inspection import db
from inspection.accounts import create_user
from inspection.evidence.staged import EvidenceFileError
from inspection.inspections import add_local_authority, add_member, create_inspection
from inspection.jobs.runner import import_work
from inspection.jobs.worker import start_here
from inspection.models import Child, Inspection, JobKind, JobStatus, LocalAuthority, User
from inspection.models.core import Role
from inspection.settings import Settings

FIXTURE_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "demo"
DEMO_LA = ("DEMO", "Demoshire County Council")
DEMO_EMAIL = "lead@demo.example"
DEMO_ADMIN_EMAIL = "admin@demo.example"
DEMO_TITLE = "Demoshire ILACS standard inspection (demo)"
DEMO_REFERENCE_DATE = date(2026, 11, 2)


@dataclass(frozen=True)
class DemoLogin:
    email: str
    admin_email: str
    password: str
    password_file: Path
    summary: str


def _demo_password(config: Settings) -> tuple[str, Path]:
    path = config.data_dir / "demo_password.txt"
    if path.exists():
        return path.read_text().strip(), path
    config.data_dir.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(12)
    path.write_text(password + "\n")
    path.chmod(0o600)
    return password, path


async def set_up_demo(config: Settings) -> DemoLogin:
    await db.upgrade(config)
    password, password_file = _demo_password(config)
    async with db.database(config):
        if not await LocalAuthority.filter(code=DEMO_LA[0]).exists():
            await add_local_authority(*DEMO_LA)
        if not await User.filter(email=DEMO_ADMIN_EMAIL).exists():
            await create_user(DEMO_ADMIN_EMAIL, "Demo Administrator", Role.ADMIN, password)
        user = await User.get_or_none(email=DEMO_EMAIL)
        if user is None:
            user = await create_user(
                DEMO_EMAIL, "Demo Lead Inspector", Role.LEAD_INSPECTOR, password
            )
        inspection = await Inspection.get_or_none(title=DEMO_TITLE)
        if inspection is None:
            inspection = await create_inspection(
                DEMO_LA[0], "ilacs-standard", DEMO_TITLE, DEMO_REFERENCE_DATE, user
            )
        await add_member(inspection, user, Role.LEAD_INSPECTOR, is_la_contact=False)
        summary = await load_demo_evidence(inspection, user, config)
    return DemoLogin(DEMO_EMAIL, DEMO_ADMIN_EMAIL, password, password_file, summary)


DEMO_FILES = [
    ("annex_a.xlsx", "annex-a", None),
    ("cin_census.xml", "cin-census", None),
    ("ssda903.zip", "ssda903", None),
    ("social_care.csv", "agency", "social_care"),
    ("police.csv", "agency", "police"),
    ("health.csv", "agency", "health"),
    ("education.csv", "agency", "education"),
    ("early_help.csv", "agency", "early_help"),
]


async def load_demo_evidence(inspection: Inspection, user: User, config: Settings) -> str:
    """Load the committed fixtures into the demo inspection and link them, as jobs run here
    (the same jobs a browser upload and a linkage run are).

    Each file is recognised by its hash, so a second run loads nothing again.
    """
    files = [
        (name, import_work(FIXTURE_DIR / name, kind, agency)) for name, kind, agency in DEMO_FILES
    ]
    worker, jobs = await start_here(
        config, "inspection demo", inspection.id, JobKind.IMPORT, files, user
    )
    loaded = 0
    for ended in await worker.run_batch(jobs):
        if ended.status != JobStatus.DONE:  # the committed fixtures always load
            raise EvidenceFileError(ended.message)
        loaded += ended.outcome["status"] == "loaded"
    if loaded:
        worker, jobs = await start_here(
            config, "inspection demo", inspection.id, JobKind.LINKAGE, started_by=user
        )
        ended = await worker.run(jobs[0])
        if ended.status != JobStatus.DONE:
            raise RuntimeError(ended.message)
    children = await Child.filter(inspection_id=inspection.id).count()
    return (
        f"inspection {inspection.id} '{inspection.title}' with {children} children "
        f"from {len(DEMO_FILES)} files ({loaded} loaded now)"
    )
