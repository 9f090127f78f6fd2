"""The writer's statements get each dialect's own placeholders, numbered in order, and a
literal brace (the empty JSON object) stays as written."""

import pytest

from inspection.evidence.bulk import Bulk

STATEMENT = "UPDATE t SET a = {}, evidence = '{{}}' WHERE b = {} AND c <> {}"


def test_postgres_placeholders_are_numbered_in_order():
    assert Bulk(None, "postgres").sql(STATEMENT) == (  # type: ignore[arg-type]
        "UPDATE t SET a = $1, evidence = '{}' WHERE b = $2 AND c <> $3"
    )


def test_sqlite_placeholders_are_question_marks():
    assert Bulk(None, "sqlite").sql(STATEMENT) == (  # type: ignore[arg-type]
        "UPDATE t SET a = ?, evidence = '{}' WHERE b = ? AND c <> ?"
    )


def test_a_dialect_without_bulk_statements_is_refused():
    with pytest.raises(ValueError, match="No bulk statements for the mysql dialect"):
        Bulk(None, "mysql")  # type: ignore[arg-type]
