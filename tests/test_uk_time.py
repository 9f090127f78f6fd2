"""Stored times are UTC; every page, export and the access log show them in UK time."""

from datetime import UTC, datetime

from inspection.export.tables import local
from inspection.sampling.service import sample_name
from inspection.uk_time import uk_datetime
from inspection.web.templating import templates

SUMMER = datetime(2026, 7, 1, 9, 30, tzinfo=UTC)
WINTER = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def test_a_summer_time_is_shown_in_bst_and_a_winter_one_in_gmt():
    assert uk_datetime(SUMMER) == "01/07/2026 10:30"
    assert uk_datetime(WINTER) == "01/12/2026 09:30"
    assert uk_datetime(SUMMER.replace(tzinfo=None)) == "01/07/2026 10:30"  # naive: UTC
    assert uk_datetime(datetime(2026, 3, 29, 0, 30, tzinfo=UTC)) == "29/03/2026 00:30"
    assert uk_datetime(datetime(2026, 3, 29, 1, 30, tzinfo=UTC)) == "29/03/2026 02:30"


def test_pages_exports_and_sample_names_agree_on_the_uk_clock():
    shown = templates.env.from_string('{{ t|uk_date("%d/%m/%Y %H:%M") }}').render(t=SUMMER)
    assert shown == "01/07/2026 10:30"
    assert local(SUMMER) == datetime(2026, 7, 1, 10, 30)
    assert sample_name("", SUMMER) == "Sample drawn on 01/07/2026 at 10:30"
