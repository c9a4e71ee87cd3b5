"""Session history: every set, live or scored, stored as it happens in an SQLite database.

:mod:`.db` opens and migrates the database, :mod:`.recorder` writes sessions, sets and reps
as they happen, :mod:`.query` lists, exports and deletes.
"""

from formcheck.history.db import HistoryError, connect, default_db_path
from formcheck.history.query import Filters, SessionRow, delete_patient, export_csv, list_sessions
from formcheck.history.recorder import DEFAULT_PATIENT, HistoryRecorder, SessionInfo, SetRecorder, record_report

__all__ = [
    "DEFAULT_PATIENT", "Filters", "HistoryError", "HistoryRecorder", "SessionInfo", "SessionRow", "SetRecorder",
    "connect", "default_db_path", "delete_patient", "export_csv", "list_sessions", "record_report",
]  # fmt: skip
