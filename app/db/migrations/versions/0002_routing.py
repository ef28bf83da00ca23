"""Routing, SLA and notification tables (ROUTE): routing state, offers, decisions, queue
settings and members, ticket queues, escalation rules, calendars, tier policies, warnings sent,
outbox, notification log, rating invitations.

Revision ID: 0002_routing
Revises: 0001_core
Create Date: 2026-11-28 15:09:50.335781
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0002_routing'
down_revision: str | None = '0001_core'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: JSON on SQLite, JSONB on PostgreSQL (as app.db.base.JSONDocument).
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table('sla_calendars',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('definition', JSON_DOCUMENT, nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_calendars')),
    sa.UniqueConstraint('name', name=op.f('uq_sla_calendars_name'))
    )
    op.create_table('sla_agent_calendars',
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('calendar_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_sla_agent_calendars_agent_id_agents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['calendar_id'], ['sla_calendars.id'], name=op.f('fk_sla_agent_calendars_calendar_id_sla_calendars'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('agent_id', name=op.f('pk_sla_agent_calendars'))
    )
    with op.batch_alter_table('sla_agent_calendars', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sla_agent_calendars_calendar_id'), ['calendar_id'], unique=False)

    op.create_table('sla_customer_calendars',
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('calendar_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['calendar_id'], ['sla_calendars.id'], name=op.f('fk_sla_customer_calendars_calendar_id_sla_calendars'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_sla_customer_calendars_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_sla_customer_calendars'))
    )
    with op.batch_alter_table('sla_customer_calendars', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sla_customer_calendars_calendar_id'), ['calendar_id'], unique=False)

    op.create_table('sla_tier_policies',
    sa.Column('tier', sa.String(length=8), nullable=False),
    sa.Column('calendar_id', sa.Integer(), nullable=False),
    sa.Column('first_response_s', sa.Integer(), nullable=False),
    sa.Column('resolution_s', sa.Integer(), nullable=False),
    sa.Column('reopen_window_s', sa.Integer(), nullable=False),
    sa.Column('warn_at', JSON_DOCUMENT, nullable=False),
    sa.Column('follow_customer_timezone', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['calendar_id'], ['sla_calendars.id'], name=op.f('fk_sla_tier_policies_calendar_id_sla_calendars'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('tier', name=op.f('pk_sla_tier_policies'))
    )
    op.create_table('escalation_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('module_id', sa.Integer(), nullable=True),
    sa.Column('tier', sa.String(length=8), nullable=True),
    sa.Column('min_priority', sa.String(length=8), nullable=True),
    sa.Column('classification', sa.String(length=20), nullable=True),
    sa.Column('from_level', sa.String(length=4), nullable=False),
    sa.Column('to_level', sa.String(length=4), nullable=False),
    sa.Column('to_queue_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_escalation_rules_module_id_modules'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_escalation_rules_product_id_products'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['to_queue_id'], ['queues.id'], name=op.f('fk_escalation_rules_to_queue_id_queues'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_escalation_rules'))
    )
    op.create_table('routing_queue_members',
    sa.Column('queue_id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_routing_queue_members_agent_id_agents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['queue_id'], ['queues.id'], name=op.f('fk_routing_queue_members_queue_id_queues'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('queue_id', 'agent_id', name=op.f('pk_routing_queue_members'))
    )
    with op.batch_alter_table('routing_queue_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_routing_queue_members_agent_id'), ['agent_id'], unique=False)

    op.create_table('routing_queue_settings',
    sa.Column('queue_id', sa.Integer(), nullable=False),
    sa.Column('settings', JSON_DOCUMENT, nullable=False),
    sa.ForeignKeyConstraint(['queue_id'], ['queues.id'], name=op.f('fk_routing_queue_settings_queue_id_queues'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('queue_id', name=op.f('pk_routing_queue_settings'))
    )
    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=120), nullable=False),
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.Column('channel', sa.Enum('assist', 'email', name='outboxchannel', native_enum=False, length=8), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sending', 'sent', 'failed', name='outboxstatus', native_enum=False, length=8), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_outbox_messages_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_outbox_messages_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_outbox_messages_dedupe_key')),
    sa.UniqueConstraint('message_id', name=op.f('uq_outbox_messages_message_id'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_messages_channel_customer', ['channel', 'customer_id', 'status'], unique=False)
        batch_op.create_index('ix_outbox_messages_status_next', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_messages_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('sla_warnings_sent',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_sla_warnings_sent_agent_id_agents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_sla_warnings_sent_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_id', 'key', name=op.f('pk_sla_warnings_sent'))
    )
    op.create_table('ticket_queues',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('queue_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['queue_id'], ['queues.id'], name=op.f('fk_ticket_queues_queue_id_queues'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_queues_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_id', name=op.f('pk_ticket_queues'))
    )
    with op.batch_alter_table('ticket_queues', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_queues_queue_id'), ['queue_id'], unique=False)

    op.create_table('notification_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['outbox_messages.id'], name=op.f('fk_notification_log_message_id_outbox_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_log'))
    )
    with op.batch_alter_table('notification_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_log_message_id'), ['message_id'], unique=False)

    op.create_table('routing_contacts',
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('tier', sa.String(length=8), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('module_id', sa.Integer(), nullable=True),
    sa.Column('required_skill', sa.Integer(), nullable=False),
    sa.Column('enqueued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('queue_entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('declined', JSON_DOCUMENT, nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_routing_contacts_contact_id_contacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('contact_id', name=op.f('pk_routing_contacts'))
    )
    op.create_table('routing_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('trigger', sa.String(length=32), nullable=False),
    sa.Column('queue', sa.String(length=64), nullable=False),
    sa.Column('strategy', sa.String(length=16), nullable=False),
    sa.Column('tier', sa.String(length=8), nullable=False),
    sa.Column('waited_s', sa.Double(), nullable=False),
    sa.Column('chosen_agent_id', sa.Integer(), nullable=True),
    sa.Column('offer_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('candidates', JSON_DOCUMENT, nullable=False),
    sa.Column('excluded', JSON_DOCUMENT, nullable=False),
    sa.Column('waiting_ahead', sa.Integer(), nullable=False),
    sa.Column('duration_us', sa.Double(), nullable=False),
    sa.ForeignKeyConstraint(['chosen_agent_id'], ['agents.id'], name=op.f('fk_routing_decisions_chosen_agent_id_agents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_routing_decisions_contact_id_contacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routing_decisions'))
    )
    with op.batch_alter_table('routing_decisions', schema=None) as batch_op:
        batch_op.create_index('ix_routing_decisions_contact_at', ['contact_id', 'at'], unique=False)

    op.create_table('routing_offers',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('ringing', 'accepted', 'declined', 'expired', 'cancelled', name='offerstatus', native_enum=False, length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_routing_offers_agent_id_agents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_routing_offers_contact_id_contacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routing_offers'))
    )
    with op.batch_alter_table('routing_offers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_routing_offers_agent_id'), ['agent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_routing_offers_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index('ix_routing_offers_status', ['status'], unique=False)

    op.create_table('rating_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_rating_invitations_session_id_sessions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_rating_invitations_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_invitations')),
    sa.UniqueConstraint('ticket_id', name=op.f('uq_rating_invitations_ticket_id'))
    )


def downgrade() -> None:
    op.drop_table('rating_invitations')
    with op.batch_alter_table('routing_offers', schema=None) as batch_op:
        batch_op.drop_index('ix_routing_offers_status')
        batch_op.drop_index(batch_op.f('ix_routing_offers_contact_id'))
        batch_op.drop_index(batch_op.f('ix_routing_offers_agent_id'))

    op.drop_table('routing_offers')
    with op.batch_alter_table('routing_decisions', schema=None) as batch_op:
        batch_op.drop_index('ix_routing_decisions_contact_at')

    op.drop_table('routing_decisions')
    op.drop_table('routing_contacts')
    with op.batch_alter_table('notification_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_log_message_id'))

    op.drop_table('notification_log')
    with op.batch_alter_table('ticket_queues', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_queues_queue_id'))

    op.drop_table('ticket_queues')
    op.drop_table('sla_warnings_sent')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_messages_ticket_id'))
        batch_op.drop_index('ix_outbox_messages_status_next')
        batch_op.drop_index('ix_outbox_messages_channel_customer')

    op.drop_table('outbox_messages')
    op.drop_table('routing_queue_settings')
    with op.batch_alter_table('routing_queue_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_routing_queue_members_agent_id'))

    op.drop_table('routing_queue_members')
    op.drop_table('escalation_rules')
    op.drop_table('sla_tier_policies')
    with op.batch_alter_table('sla_customer_calendars', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sla_customer_calendars_calendar_id'))

    op.drop_table('sla_customer_calendars')
    with op.batch_alter_table('sla_agent_calendars', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sla_agent_calendars_calendar_id'))

    op.drop_table('sla_agent_calendars')
    op.drop_table('sla_calendars')
