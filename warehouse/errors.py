"""Errors a user can act on. The CLI prints ``str(exc)`` as one line and exits 2 (traceback only
with ``--debug``); the message says what is wrong and what to do."""
from __future__ import annotations


class TrainyardError(Exception):
    """A problem with the user's input or environment, not a bug: one line, what to do."""


class WarehouseCorrupt(TrainyardError):
    """The warehouse file exists but is not a readable DuckDB database (empty, truncated, other)."""
