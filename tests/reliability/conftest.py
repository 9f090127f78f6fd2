from __future__ import annotations

import pytest

from inspection.settings import Settings
from tests.reliability.faults import Fault, SqliteDisk


@pytest.fixture
def fault(db: Settings, monkeypatch: pytest.MonkeyPatch) -> Fault:
    """Break the test database's connections on demand (see faults.py)."""
    if db.dialect == "postgres":
        return Fault(db.database_url, None)
    disk = SqliteDisk()
    disk.install(monkeypatch.setattr)
    return Fault(db.database_url, disk)
