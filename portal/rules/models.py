"""The stored accounting rules: one row per published version of a rule."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.db.base import Base
from portal.db.models import _enum


class RuleStatus(enum.StrEnum):
    PUBLISHED = "published"  # in force for its classes until a later version replaces it
    WITHDRAWN = "withdrawn"  # no longer applies (results that named it keep the name)


class AccountingRuleRecord(Base):
    """One version of a product-category accounting rule, as its publisher wrote it."""

    __tablename__ = "accounting_rule"
    __table_args__ = (UniqueConstraint("rule_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(80), index=True)
    version: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    cpc_classes: Mapped[str] = mapped_column(Text)  # JSON list of CPC codes
    document: Mapped[str] = mapped_column(Text)  # the rule document, JSON
    status: Mapped[RuleStatus] = mapped_column(_enum(RuleStatus))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
