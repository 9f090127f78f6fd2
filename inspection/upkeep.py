"""Upkeep of what the app keeps, run when the web app starts and then every few minutes.

- Jobs whose worker ended, marked failed with the reason (``jobs.queue.expire``);
- raw uploads left in ``incoming/`` by an import whose process died (a crash, a killed
  worker), once nobody holds them and they are older than ``incoming_max_age_minutes``;
- exports kept longer than ``export_keep_minutes`` for their maker to download, and the partial
  file of an export whose worker ended (``export.stored.sweep``);
- any file still kept for an inspection that was purged;
- sign-in counts whose window has ended;
- set-password links that were used, ended or expired.

Every step is safe to run in several processes at once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from inspection.evidence import incoming
from inspection.export import stored
from inspection.invitations import forget_finished
from inspection.jobs import queue
from inspection.retention import sweep_purged
from inspection.settings import Settings
from inspection.throttle import forget_ended


@dataclass(frozen=True)
class UpkeepReport:
    incoming_files: int
    purged_files: int
    exports: int
    sign_in_counts: int
    invitations: int


async def upkeep(settings: Settings) -> UpkeepReport:
    """One round of upkeep; what it removed."""
    # The jobs of workers that ended are said so (and their raw files removed) even where no
    # worker runs; the raw files of queued jobs are kept for them.
    await queue.expire()
    stale = await asyncio.to_thread(
        incoming.sweep,
        settings.data_dir,
        settings.incoming_max_age_minutes * 60,
        None,
        await queue.waiting_files(),
    )
    exports = await asyncio.to_thread(
        stored.sweep, settings.data_dir, settings.export_keep_minutes * 60
    )
    purged = await sweep_purged(settings.data_dir)
    counts = await forget_ended(settings.sign_in_throttle())
    links = await forget_finished()
    return UpkeepReport(stale, purged, exports, counts, links)
