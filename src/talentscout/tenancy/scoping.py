"""The one helper that adds company filters to tenant queries.

Every query over a tenant-owned table goes through `scoped()`, so a forgotten
filter cannot leak another company's rows; a test greps for direct uses.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlalchemy import Select

T = TypeVar("T", bound=Select[Any])


def scoped(stmt: T, model: Any, company_id: uuid.UUID) -> T:
    """`stmt` restricted to rows of `company_id` (the model must have `company_id`)."""
    return stmt.where(model.company_id == company_id)
