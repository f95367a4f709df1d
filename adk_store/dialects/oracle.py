"""Oracle's rules: the portable ones, plus the error codes of a rolled-back transaction.

Oracle cannot run on the machines the suite runs on: what is here is
compiled in the tests, not exercised against a server.
"""

from __future__ import annotations

from adk_store.dialects.base import DialectRules

# ORA-00060 (deadlock detected) and ORA-08177 (cannot serialize access).
_CONFLICT_CODES = frozenset({60, 8177})


class OracleRules(DialectRules):
    def is_conflict(self, error: BaseException) -> bool:
        detail = error.args[0] if error.args else None
        return getattr(detail, "code", None) in _CONFLICT_CODES


ORACLE = OracleRules("oracle")
