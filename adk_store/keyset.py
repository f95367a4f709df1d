"""The "after this row" condition of keyset paging, on every database.

A row-value comparison ``(a, b, c) > (x, y, z)`` would say it in one
expression, but Oracle has none and MariaDB scans a whole index for one, so
it is spelled out column by column: ``a > x OR (a = x AND (b > y OR ...))``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, or_


def beyond(
    columns: Sequence[ColumnElement[Any]],
    values: Sequence[Any],
    *,
    descending: bool = False,
    inclusive: bool = False,
) -> ColumnElement[bool]:
    """Rows after ``values`` in the order of ``columns`` (before them when ``descending``).

    ``inclusive`` also keeps the row equal to ``values`` in every column.
    """
    column, value = columns[0], values[0]
    strictly: ColumnElement[bool] = column < value if descending else column > value
    if len(columns) == 1:
        if not inclusive:
            return strictly
        last: ColumnElement[bool] = column <= value if descending else column >= value
        return last
    rest = beyond(columns[1:], values[1:], descending=descending, inclusive=inclusive)
    return or_(strictly, and_(column == value, rest))
