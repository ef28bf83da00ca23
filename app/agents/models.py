"""Agents, their levels, roles and skills."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.agents.enums import AgentRole, AgentStatus, SupportLevel
from app.db.base import Base, utcnow, value_enum


class Agent(Base):
    """A person who signs in to the console (login + argon2id password hash)."""

    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    level: Mapped[SupportLevel] = mapped_column(value_enum(SupportLevel, 4), default=SupportLevel.L1)
    role: Mapped[AgentRole] = mapped_column(value_enum(AgentRole, 16), default=AgentRole.AGENT)
    #: BCP 47 language tags the agent can serve in, e.g. ["zh", "en"].
    languages: Mapped[list[str]] = mapped_column(default=list)
    max_chats: Mapped[int] = mapped_column(default=1)
    status: Mapped[AgentStatus] = mapped_column(value_enum(AgentStatus, 16), default=AgentStatus.OFFLINE)
    status_since: Mapped[datetime | None] = mapped_column()
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    skills: Mapped[list[AgentSkill]] = relationship(back_populates="agent", cascade="all, delete-orphan")


class AgentSkill(Base):
    """What an agent knows: a product (optionally one module) at a proficiency 1..5."""

    __tablename__ = "agent_skills"
    __table_args__ = (
        CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),
        Index("ix_agent_skills_product_module", "product_id", "module_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    module_id: Mapped[int | None] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"))
    level: Mapped[int] = mapped_column(default=3)

    agent: Mapped[Agent] = relationship(back_populates="skills")
