"""Customers, contact persons, the product catalogue, installations and machines."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.base import Base, utcnow, value_enum


class CustomerTier(enum.StrEnum):
    """Service tier; drives SLA targets and routing priority."""

    BASIC = "basic"
    VIP = "vip"
    SVIP = "svip"


class Customer(Base):
    """A company that buys the vendor's products and asks for support."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    tier: Mapped[CustomerTier] = mapped_column(value_enum(CustomerTier, 8), default=CustomerTier.BASIC)
    region: Mapped[str] = mapped_column(String(64), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    language: Mapped[str] = mapped_column(String(16), default="en")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    contact_persons: Mapped[list[ContactPerson]] = relationship(back_populates="customer")
    installations: Mapped[list[Installation]] = relationship(back_populates="customer")


class ContactPerson(Base):
    """Someone at a customer who calls or writes; phones/e-mail kept raw and normalized."""

    __tablename__ = "contact_persons"
    __table_args__ = (
        Index("ix_contact_persons_phone_e164", "phone_e164"),
        Index("ix_contact_persons_mobile_e164", "mobile_e164"),
        Index("ix_contact_persons_email_normalized", "email_normalized"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    job_title: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str | None] = mapped_column(String(40))
    #: E.164 form of ``phone`` (``+8610...``), the screen-pop key for a ringing number.
    phone_e164: Mapped[str | None] = mapped_column(String(20))
    mobile: Mapped[str | None] = mapped_column(String(40))
    mobile_e164: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    #: Lower-cased ``email`` (case-insensitive lookup with a plain index on every backend).
    email_normalized: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(16), default="en")
    is_primary: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str] = mapped_column(Text, default="")

    customer: Mapped[Customer] = relationship(back_populates="contact_persons")


class Product(Base):
    """A product the vendor supports (an ERP, a finance suite, a hospital system...)."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")

    modules: Mapped[list[Module]] = relationship(back_populates="product")
    versions: Mapped[list[ProductVersion]] = relationship(back_populates="product")


class Module(Base):
    """A licensable part of a product (General Ledger, Payroll, Inpatient...)."""

    __tablename__ = "modules"
    __table_args__ = (UniqueConstraint("product_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(120))

    product: Mapped[Product] = relationship(back_populates="modules")


class ProductVersion(Base):
    """A released version of a product."""

    __tablename__ = "product_versions"
    __table_args__ = (UniqueConstraint("product_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    version: Mapped[str] = mapped_column(String(32))
    released_at: Mapped[datetime | None] = mapped_column()
    end_of_support_at: Mapped[datetime | None] = mapped_column()

    product: Mapped[Product] = relationship(back_populates="versions")


class Installation(Base):
    """One product at one customer: which version, how many licences, which modules."""

    __tablename__ = "installations"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    version_id: Mapped[int | None] = mapped_column(ForeignKey("product_versions.id"))
    licences: Mapped[int] = mapped_column(default=1)
    site: Mapped[str] = mapped_column(String(120), default="")
    installed_at: Mapped[datetime | None] = mapped_column()

    customer: Mapped[Customer] = relationship(back_populates="installations")
    product: Mapped[Product] = relationship()
    version: Mapped[ProductVersion | None] = relationship()
    modules: Mapped[list[InstallationModule]] = relationship(back_populates="installation")


class InstallationModule(Base):
    """A module licensed within an installation."""

    __tablename__ = "installation_modules"

    installation_id: Mapped[int] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE"), primary_key=True
    )
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"), primary_key=True)

    installation: Mapped[Installation] = relationship(back_populates="modules")
    module: Mapped[Module] = relationship()


class Machine(Base):
    """A computer seen by Tandem Assist; keeps its latest and previous environment report.

    Keeping exactly two reports lets the screen pop say what changed (OS update, new
    screen, product upgrade) without a history table that grows on every ring.
    """

    __tablename__ = "machines"

    id: Mapped[int] = mapped_column(primary_key=True)
    machine_id: Mapped[str] = mapped_column(String(128), unique=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    contact_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact_persons.id", ondelete="SET NULL")
    )
    hostname: Mapped[str] = mapped_column(String(255), default="")
    environment: Mapped[dict[str, Any] | None] = mapped_column()
    environment_reported_at: Mapped[datetime | None] = mapped_column()
    previous_environment: Mapped[dict[str, Any] | None] = mapped_column()
    previous_environment_reported_at: Mapped[datetime | None] = mapped_column()
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    customer: Mapped[Customer | None] = relationship()
    contact_person: Mapped[ContactPerson | None] = relationship()
