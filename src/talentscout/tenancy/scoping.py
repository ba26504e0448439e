"""The one helper that adds company filters to tenant queries.

Every query over a tenant-owned table goes through `scoped()`, so a forgotten
filter cannot leak another company's rows; a test checks that tenant tables are
only queried through it.
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol, Self, TypeVar


class _Filterable(Protocol):
    def where(self, *whereclause: Any) -> Self: ...


T = TypeVar("T", bound=_Filterable)


def scoped(stmt: T, model: Any, company_id: uuid.UUID) -> T:
    """`stmt` restricted to rows of `company_id` (the model must have `company_id`).

    Typed by a protocol rather than `Select[Any]` so multi-column selects, updates
    and deletes are accepted too.
    """
    return stmt.where(model.company_id == company_id)
