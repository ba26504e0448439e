"""Billing tables: per-company ledger accounts, append-only transactions and entries,
holds (reservations), billing profiles (cycle anchor) and immutable invoices.

Double entry: every transaction has entries on the company's accounts whose
signed amounts sum to zero. `billing_accounts.balance` is a cache of the sum of
that account's entries, kept in the same database transaction and reconciled by
`talentscout admin billing verify`. Transactions, entries, invoices and invoice
lines are append-only (database triggers, see migration 0003).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from talentscout.db import Base, UTCDateTime, new_uuid
from talentscout.kit.clock import utcnow

# SQLite only auto-increments an `INTEGER PRIMARY KEY`; PostgreSQL gets a bigint identity.
_BigId = BigInteger().with_variant(Integer(), "sqlite")


class BillingAccount(Base):
    """One ledger account of a company: `available`, `held`, `consumed` or `external`."""

    __tablename__ = "billing_accounts"

    company_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("companies.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    # Cache of SUM(billing_entries.amount) for this account; the prepaid check reads it under a row lock.
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Hold(Base):
    """A reservation taken at run creation; captured per item, released at run end."""

    __tablename__ = "billing_holds"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    company_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("companies.id"), index=True)
    # The caller's run reference (e.g. `req_…`, `req_…:pass2`, `enr_…`); one hold per ref.
    ref: Mapped[str] = mapped_column(String(128), unique=True)
    cost_key: Mapped[str] = mapped_column(String(32))
    amount: Mapped[int] = mapped_column(Integer)
    captured: Mapped[int] = mapped_column(Integer, default=0)
    released: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="open")
    # The company's mode when the hold was taken; later captures follow it even if the mode changes.
    billing_mode: Mapped[str] = mapped_column(String(16))
    livemode: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class LedgerTransaction(Base):
    """One balanced business event (top-up, hold, capture, release, adjustment, refund)."""

    __tablename__ = "billing_transactions"
    __table_args__ = (Index("ix_billing_transactions_company_id_created_at", "company_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    company_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("companies.id"))
    kind: Mapped[str] = mapped_column(String(16))
    # Replays of the same business event carry the same key and are ignored.
    idem_key: Mapped[str] = mapped_column(String(400), unique=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    billing_mode: Mapped[str | None] = mapped_column(String(16), nullable=True)
    cost_key: Mapped[str | None] = mapped_column(String(32), nullable=True)
    hold_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("billing_holds.id"), nullable=True, index=True
    )
    item_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerEntry(Base):
    """One signed leg of a transaction on one account."""

    __tablename__ = "billing_entries"
    __table_args__ = (
        ForeignKeyConstraint(
            ["company_id", "account"], ["billing_accounts.company_id", "billing_accounts.kind"]
        ),
        Index("ix_billing_entries_company_id_created_at", "company_id", "created_at"),
        Index("ix_billing_entries_company_id_account", "company_id", "account"),
    )

    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    transaction_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("billing_transactions.id"), index=True)
    company_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    account: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BillingProfile(Base):
    """Per-company billing options that are not part of the Company row (cycle anchor day)."""

    __tablename__ = "billing_profiles"

    company_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("companies.id"), primary_key=True)
    anchor_day: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Invoice(Base):
    """A postpaid company's usage for one closed billing period; immutable once issued."""

    __tablename__ = "billing_invoices"
    __table_args__ = (UniqueConstraint("company_id", "period_start"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    # No separate index: the unique (company_id, period_start) key serves company lookups.
    company_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("companies.id"))
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    total_credits: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="issued")
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InvoiceLine(Base):
    """Quantity of one cost key on an invoice."""

    __tablename__ = "billing_invoice_lines"

    invoice_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("billing_invoices.id"), primary_key=True)
    cost_key: Mapped[str] = mapped_column(String(32), primary_key=True)
    quantity: Mapped[int] = mapped_column(BigInteger)
