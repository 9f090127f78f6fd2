"""Counting the queries a piece of code sends to the database.

Tortoise logs every statement it sends on the ``tortoise.db_client`` logger at DEBUG level (its
public logger); a handler on it counts the statements while ``count_queries`` is open.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

STATEMENTS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


@dataclass
class Queries:
    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)


class _Counter(logging.Handler):
    def __init__(self, queries: Queries) -> None:
        super().__init__(logging.DEBUG)
        self.queries = queries

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage().lstrip()
        if text.upper().startswith(STATEMENTS):
            self.queries.statements.append(text)


@contextmanager
def count_queries() -> Iterator[Queries]:
    """Every statement sent while the block runs (``.count``, ``.statements``)."""
    logger = logging.getLogger("tortoise.db_client")
    queries = Queries()
    handler = _Counter(queries)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield queries
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
