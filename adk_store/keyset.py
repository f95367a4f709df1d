"""The "after this row" condition of keyset paging, on every database.

Where the planner seeks an index with a row-value comparison (PostgreSQL,
SQLite) it is one expression, ``(a, b, c) > (x, y, z)``. Oracle has no row
values and MariaDB scans a whole index for one, so there it is spelled out
column by column: ``a > x OR (a = x AND (b > y OR ...))``. Which one a
database gets is `adk_store.dialects.DialectRules.row_value_seek`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, literal, or_, tuple_
from sqlalchemy.sql.elements import BindParameter


def beyond(
    columns: Sequence[ColumnElement[Any]],
    values: Sequence[Any],
    *,
    descending: bool = False,
    inclusive: bool = False,
    row_values: bool = False,
) -> ColumnElement[bool]:
    """Rows after ``values`` in the order of ``columns`` (before them when ``descending``).

    ``inclusive`` also keeps the row equal to ``values`` in every column.
    Plain values are bound as their column binds them (UTC timestamps).
    """
    if row_values:
        row = tuple_(*columns)
        bound = tuple_(
            *(
                value if isinstance(value, BindParameter) else literal(value, column.type)
                for column, value in zip(columns, values, strict=True)
            )
        )
        if descending:
            return row <= bound if inclusive else row < bound
        return row >= bound if inclusive else row > bound
    return _spelled_out(columns, values, descending=descending, inclusive=inclusive)


def _spelled_out(
    columns: Sequence[ColumnElement[Any]],
    values: Sequence[Any],
    *,
    descending: bool,
    inclusive: bool,
) -> ColumnElement[bool]:
    column, value = columns[0], values[0]
    strictly: ColumnElement[bool] = column < value if descending else column > value
    if len(columns) == 1:
        if not inclusive:
            return strictly
        last: ColumnElement[bool] = column <= value if descending else column >= value
        return last
    rest = _spelled_out(columns[1:], values[1:], descending=descending, inclusive=inclusive)
    return or_(strictly, and_(column == value, rest))
