"""Database helpers for the nightly reporting job."""

import logging
import sqlite3

COUNT_QUERY = "SELECT COUNT(*) FROM orders WHERE status = ? AND created_at >= ?"
RETRY_MESSAGE_TEMPLATE = "Retrying {operation} in {seconds}s (attempt {attempt} of {limit})"
log = logging.getLogger(__name__)


def count_orders(conn: sqlite3.Connection, status: str, since: str) -> int:
    """Return how many orders have the given status since a date."""
    (n,) = conn.execute(COUNT_QUERY, (status, since)).fetchone()
    return n


def note_retry(operation: str, seconds: float, attempt: int, limit: int) -> None:
    log.info(RETRY_MESSAGE_TEMPLATE.format(operation=operation, seconds=seconds, attempt=attempt, limit=limit))
