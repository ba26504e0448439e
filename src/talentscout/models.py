"""Imports every feature's models so `Base.metadata` is complete (Alembic, drift test)."""

from talentscout.auth.models import ApiKey
from talentscout.db import Base
from talentscout.idempotency.models import IdempotencyRecord
from talentscout.tenancy.models import Company

__all__ = ["ApiKey", "Base", "Company", "IdempotencyRecord"]
