"""Imports every feature's models so `Base.metadata` is complete (Alembic, drift test)."""

from talentscout.auth.models import ApiKey
from talentscout.billing import models as billing_models  # noqa: F401  (registers the billing tables)
from talentscout.db import Base
from talentscout.enrichment import models as enrichment_models  # noqa: F401  (registers the enrichment tables)
from talentscout.idempotency.models import IdempotencyRecord
from talentscout.index.models import Profile
from talentscout.jobs import models as jobs_models  # noqa: F401  (registers the job tables)
from talentscout.sourcing import models as sourcing_models  # noqa: F401  (registers the sourcing tables)
from talentscout.tenancy.models import Company
from talentscout.webhooks import models as webhooks_models  # noqa: F401  (registers the webhook tables)

__all__ = ["ApiKey", "Base", "Company", "IdempotencyRecord", "Profile"]
