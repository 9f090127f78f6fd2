"""A job's progress on the command line: a bar redrawn in place on a terminal, a line per
stage otherwise."""

import io

from inspection.cli.progress import ProgressPrinter
from inspection.models import Job, JobKind


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_one_bar_is_redrawn_and_its_line_ended():
    out = Terminal()
    show = ProgressPrinter(out)
    job = Job(filename="annex_a.xlsx")
    show(job, "Reading the file", 0.0)
    show(job, "Writing to the database", 0.9)
    show.close()
    assert out.getvalue() == (
        f"\rannex_a.xlsx [{'-' * 30}]   0% {'Reading the file':<40}"
        f"\rannex_a.xlsx [{'#' * 27}{'-' * 3}]  90% {'Writing to the database':<40}\n"
    )


def test_elsewhere_each_stage_is_one_line_and_a_repeated_stage_is_not_printed_again():
    out = io.StringIO()
    show = ProgressPrinter(out)
    show(Job(filename="police.csv"), "Reading the file", 0.0)
    show(Job(filename="police.csv"), "Reading the file", 0.5)
    show(Job(filename="", kind=JobKind.LINKAGE), "Linking records", 0.1)
    show(Job(filename="", kind=JobKind.SAMPLE_CHECK), "Drawing the sample again", 0.2)
    show.close()
    assert out.getvalue() == (
        "police.csv: Reading the file (0%)\n"
        "Linkage: Linking records (10%)\n"
        "Sample check: Drawing the sample again (20%)\n"
    )
