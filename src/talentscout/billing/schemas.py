"""Billing request bodies and response shapes (API.md §10, admin credits)."""

from __future__ import annotations

import uuid
from typing import Generic, Literal, TypeVar

from pydantic import Field, StrictInt

from talentscout.billing.ledger import MAX_AMOUNT
from talentscout.kit.schema import OutModel, WireModel

T = TypeVar("T")


class Envelope(OutModel, Generic[T]):
    success: bool
    data: T
    error: None = None
    timestamp: str


class BalanceOut(OutModel):
    billing_mode: str
    balance: int
    held: int
    available: int


class UsageByCostKey(OutModel):
    cost_key: str
    events: int
    credits_used: int


class UsageCompany(OutModel):
    company_id: str
    company_name: str
    billing_mode: str
    total_credits_used: int
    breakdown_by_cost_key: list[UsageByCostKey]


class UsageOut(OutModel):
    companies: list[UsageCompany]
    total_credits_used: int


class InvoiceLineOut(OutModel):
    cost_key: str
    quantity: int


class InvoiceOut(OutModel):
    id: str
    company_id: str
    period_start: str
    period_end: str
    lines: list[InvoiceLineOut]
    total_credits: int
    status: str
    issued_at: str


class InvoicePage(OutModel):
    data: list[InvoiceOut]
    next_cursor: str | None


class EntryOut(OutModel):
    id: int
    transaction_id: str
    kind: str
    account: str
    amount: int
    cost_key: str | None
    hold_ref: str | None
    item_key: str | None
    reason: str | None
    created_at: str


class EntryPage(OutModel):
    data: list[EntryOut]
    next_cursor: str | None


class ProfileOut(OutModel):
    company_id: str
    billing_mode: str
    anchor_day: int | None


class RefundOut(OutModel):
    refunded: bool
    balance: BalanceOut


class VerifyOut(OutModel):
    ok: bool
    accounts: int
    transactions: int
    problems: list[str]


class CloseCyclesOut(OutModel):
    issued: list[InvoiceOut]


class CreditTopUp(WireModel):
    company_id: uuid.UUID
    amount: StrictInt = Field(ge=1, le=MAX_AMOUNT)
    reason: str | None = Field(default=None, max_length=500)


class CreditAdjustment(WireModel):
    company_id: uuid.UUID
    amount: StrictInt = Field(ge=-MAX_AMOUNT, le=MAX_AMOUNT)
    reason: str = Field(min_length=1, max_length=500)


class CreditRefund(WireModel):
    hold_ref: str = Field(min_length=1, max_length=128)
    item_key: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=500)


class ProfileUpdate(WireModel):
    billing_mode: Literal["prepaid", "postpaid"] | None = None
    # null clears the company's own anchor (the TALENTSCOUT_BILLING_CYCLE_ANCHOR_DAY default applies)
    anchor_day: int | None = Field(default=None, ge=1, le=31)
