"""Pages that list an inspection's samples read them without their sampling frames.

A drawn sample keeps its frame (``population_ids``: a pair for every child of the population,
tens of thousands in a large authority) for its own page and its verification. The findings
page, the audits board, the moderation page and the exports page list samples on every visit:
reading the frames there made the findings page of a 52,000-child authority cost 73 ms of CPU
instead of 10 (``bench/profile_requests.py``), growing with the authority, not with the work.
"""

from __future__ import annotations

from inspection.models import Sample
from tests.audit.helpers import make_inspection, make_sample, make_user
from tests.query_count import count_queries
from tests.web.conftest import sign_in


async def test_pages_listing_samples_never_read_a_sampling_frame(app_client):
    inspection = await make_inspection()
    sample, _ = await make_sample(inspection, n=4)
    frame = [[f"K{i:05d}", "all"] for i in range(5000)]
    await Sample.filter(id=sample.id).update(population_ids=frame, purpose="October audit")
    await make_user(inspection, "lead@x.test", "lead_inspector")
    assert (await sign_in(app_client, "lead@x.test")).status_code == 303
    base = f"/inspections/{inspection.id}"
    for url in (f"{base}/findings", f"{base}/audits", f"{base}/moderation", f"{base}/exports"):
        with count_queries() as queries:
            page = await app_client.get(url)
        assert page.status_code == 200, url
        # each page names the sample, so it did read the sample: just not its frame
        assert "October audit" in page.text, url
        reads = [s for s in queries.statements if '"sample"' in s or " sample " in s]
        assert reads, url
        assert not [s for s in queries.statements if "population_ids" in s], url
    # the sample's own page still reads its frame: it shows the population by stratum
    with count_queries() as queries:
        own = await app_client.get(f"{base}/samples/{sample.id}")
    assert own.status_code == 200
    assert [s for s in queries.statements if "population_ids" in s]
