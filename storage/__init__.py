"""All of gridbot's SQL: the database, its migrations and repositories, PTB persistence.

Nothing outside this package writes SQL; the rest of the code uses :class:`Database` and
its repositories (``db.roster``, ``db.reports``, ``db.groups``, ``db.audit``, ``db.meta``).
"""

from storage.sqlite_setup import keep_no_memory_statistics

keep_no_memory_statistics()  # before this package opens any connection

from storage.db import Database, SchemaTooNewError  # noqa: E402

__all__ = ["Database", "SchemaTooNewError"]
