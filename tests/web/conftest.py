from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import httpx2
import pytest_asyncio

from inspection.accounts import create_user
from inspection.inspections import add_local_authority, add_member, create_inspection
from inspection.models import Inspection, User
from inspection.settings import Settings
from inspection.web.app import create_app

PASSWORD = "correct horse battery"


@pytest_asyncio.fixture
async def app_client(db: Settings) -> AsyncIterator[httpx2.AsyncClient]:
    app = create_app(db, manage_database=False)
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def make_user(email: str, role: str) -> User:
    return await create_user(email, email.split("@")[0].title(), role, PASSWORD)


async def sign_in(
    client: httpx2.AsyncClient, email: str, password: str = PASSWORD
) -> httpx2.Response:
    return await client.post("/login", data={"email": email, "password": password})


async def make_inspection(title: str = "Test inspection", code: str = "T01") -> Inspection:
    la = await add_local_authority(code, f"Authority {code}")
    return await create_inspection(la.code, "ilacs-standard", title, date(2026, 11, 2))


async def member(inspection: Inspection, user: User, role: str | None = None) -> None:
    await add_member(inspection, user, role or user.role)
