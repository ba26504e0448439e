"""Imports every feature's models so `Base.metadata` is complete (Alembic, drift test)."""

from talentscout.auth.models import ApiKey
from talentscout.billing import models as billing_models  # noqa: F401  (registers the billing tables)
from talentscout.db import Base
from talentscout.idempotency.models import IdempotencyRecord
from talentscout.jobs import models as jobs_models  # noqa: F401  (registers the job tables)
from talentscout.tenancy.models import Company
from talentscout.webhooks import models as webhooks_models  # noqa: F401  (registers the webhook tables)

__all__ = ["ApiKey", "Base", "Company", "IdempotencyRecord"]
