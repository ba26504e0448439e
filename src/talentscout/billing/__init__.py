"""Credits and billing: the double-entry ledger, holds/captures/releases, postpaid invoices.

Other features call the service API inside their own transaction:

    from talentscout.billing import capture, hold, release

    h = await hold(session, company_id, limit, ref=request_id, cost_key="sourcing_candidate", livemode=live)
    await capture(session, request_id, profile_id, "sourcing_candidate")   # once per delivered item
    await release(session, request_id)                                        # at run end
"""

from talentscout.billing.ledger import (
    COST_KEYS,
    BillingError,
    HoldClosed,
    HoldExhausted,
    HoldNotFound,
    balance,
    capture,
    captured_count,
    hold,
    release,
)
from talentscout.billing.models import Hold

__all__ = [
    "COST_KEYS",
    "BillingError",
    "Hold",
    "HoldClosed",
    "HoldExhausted",
    "HoldNotFound",
    "balance",
    "capture",
    "captured_count",
    "hold",
    "release",
]
