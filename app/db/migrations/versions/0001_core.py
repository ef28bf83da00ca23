"""Core tables: customers, products, agents, queues, contacts, sessions, tickets, recordings.

Revision ID: 0001_core
Revises:
Create Date: 2026-11-28 15:04:06.075003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0001_core'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: JSON on SQLite, JSONB on PostgreSQL (as app.db.base.JSONDocument).
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table('agents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('login', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('level', sa.Enum('L1', 'L2', 'L3', name='supportlevel', native_enum=False, length=4), nullable=False),
    sa.Column('role', sa.Enum('agent', 'qa', 'lead', 'admin', name='agentrole', native_enum=False, length=16), nullable=False),
    sa.Column('languages', JSON_DOCUMENT, nullable=False),
    sa.Column('max_chats', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('ready', 'not_ready', 'busy', 'wrap_up', 'offline', name='agentstatus', native_enum=False, length=16), nullable=False),
    sa.Column('status_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agents')),
    sa.UniqueConstraint('login', name=op.f('uq_agents_login'))
    )
    op.create_table('customers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('tier', sa.Enum('basic', 'vip', 'svip', name='customertier', native_enum=False, length=8), nullable=False),
    sa.Column('region', sa.String(length=64), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers')),
    sa.UniqueConstraint('code', name=op.f('uq_customers_code'))
    )
    op.create_table('products',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products')),
    sa.UniqueConstraint('code', name=op.f('uq_products_code'))
    )
    op.create_table('qa_scorecards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('criteria', JSON_DOCUMENT, nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qa_scorecards')),
    sa.UniqueConstraint('name', name=op.f('uq_qa_scorecards_name'))
    )
    op.create_table('contact_persons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('job_title', sa.String(length=120), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('phone_e164', sa.String(length=20), nullable=True),
    sa.Column('mobile', sa.String(length=40), nullable=True),
    sa.Column('mobile_e164', sa.String(length=20), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('email_normalized', sa.String(length=254), nullable=True),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('is_primary', sa.Boolean(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_contact_persons_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_persons'))
    )
    op.create_index(op.f('ix_contact_persons_customer_id'), 'contact_persons', ['customer_id'], unique=False)
    op.create_index('ix_contact_persons_email_normalized', 'contact_persons', ['email_normalized'], unique=False)
    op.create_index('ix_contact_persons_mobile_e164', 'contact_persons', ['mobile_e164'], unique=False)
    op.create_index('ix_contact_persons_phone_e164', 'contact_persons', ['phone_e164'], unique=False)
    op.create_table('modules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_modules_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_modules')),
    sa.UniqueConstraint('product_id', 'code', name=op.f('uq_modules_product_id_code'))
    )
    op.create_table('product_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_of_support_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_versions_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_versions')),
    sa.UniqueConstraint('product_id', 'version', name=op.f('uq_product_versions_product_id_version'))
    )
    op.create_table('queues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('strategy', sa.Enum('round_robin', 'least_busy', 'longest_idle', 'skills', 'ring_all', name='queuestrategy', native_enum=False, length=16), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('language', sa.String(length=16), nullable=True),
    sa.Column('service_level_seconds', sa.Integer(), nullable=False),
    sa.Column('ring_timeout_seconds', sa.Integer(), nullable=False),
    sa.Column('max_wait_seconds', sa.Integer(), nullable=True),
    sa.Column('overflow_queue_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['overflow_queue_id'], ['queues.id'], name=op.f('fk_queues_overflow_queue_id_queues'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_queues_product_id_products'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_queues')),
    sa.UniqueConstraint('name', name=op.f('uq_queues_name'))
    )
    op.create_table('agent_skills',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=True),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.CheckConstraint('level BETWEEN 1 AND 5', name=op.f('ck_agent_skills_level_range')),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_agent_skills_agent_id_agents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_agent_skills_module_id_modules'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_agent_skills_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agent_skills'))
    )
    op.create_index(op.f('ix_agent_skills_agent_id'), 'agent_skills', ['agent_id'], unique=False)
    op.create_index('ix_agent_skills_product_module', 'agent_skills', ['product_id', 'module_id'], unique=False)
    op.create_table('installations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=True),
    sa.Column('licences', sa.Integer(), nullable=False),
    sa.Column('site', sa.String(length=120), nullable=False),
    sa.Column('installed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_installations_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_installations_product_id_products')),
    sa.ForeignKeyConstraint(['version_id'], ['product_versions.id'], name=op.f('fk_installations_version_id_product_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_installations'))
    )
    op.create_index(op.f('ix_installations_customer_id'), 'installations', ['customer_id'], unique=False)
    op.create_table('machines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('machine_id', sa.String(length=128), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('contact_person_id', sa.Integer(), nullable=True),
    sa.Column('hostname', sa.String(length=255), nullable=False),
    sa.Column('environment', JSON_DOCUMENT, nullable=True),
    sa.Column('environment_reported_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('previous_environment', JSON_DOCUMENT, nullable=True),
    sa.Column('previous_environment_reported_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_person_id'], ['contact_persons.id'], name=op.f('fk_machines_contact_person_id_contact_persons'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_machines_customer_id_customers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_machines')),
    sa.UniqueConstraint('machine_id', name=op.f('uq_machines_machine_id'))
    )
    op.create_index(op.f('ix_machines_customer_id'), 'machines', ['customer_id'], unique=False)
    op.create_table('tickets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('contact_person_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('new', 'assigned', 'in_progress', 'waiting_customer', 'solved', 'closed', name='ticketstatus', native_enum=False, length=20), nullable=False),
    sa.Column('priority', sa.Enum('low', 'normal', 'high', 'urgent', name='ticketpriority', native_enum=False, length=8), nullable=False),
    sa.Column('classification', sa.Enum('bug', 'how_to', 'configuration', 'environment', 'feature_request', 'other', name='classification', native_enum=False, length=20), nullable=True),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('module_id', sa.Integer(), nullable=True),
    sa.Column('version_id', sa.Integer(), nullable=True),
    sa.Column('level', sa.Enum('L1', 'L2', 'L3', name='supportlevel', native_enum=False, length=4), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('resolution', sa.Text(), nullable=False),
    sa.Column('first_response_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolution_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('solved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sla_paused_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sla_paused_seconds', sa.Integer(), nullable=False),
    sa.Column('first_response_breached', sa.Boolean(), nullable=False),
    sa.Column('resolution_breached', sa.Boolean(), nullable=False),
    sa.Column('parent_ticket_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['agents.id'], name=op.f('fk_tickets_assignee_id_agents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_person_id'], ['contact_persons.id'], name=op.f('fk_tickets_contact_person_id_contact_persons'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_tickets_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_tickets_module_id_modules'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['parent_ticket_id'], ['tickets.id'], name=op.f('fk_tickets_parent_ticket_id_tickets'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_tickets_product_id_products'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['version_id'], ['product_versions.id'], name=op.f('fk_tickets_version_id_product_versions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tickets')),
    sa.UniqueConstraint('number', name=op.f('uq_tickets_number'))
    )
    op.create_index('ix_tickets_customer_created', 'tickets', ['customer_id', 'created_at'], unique=False)
    op.create_index('ix_tickets_resolution_due', 'tickets', ['resolution_due_at'], unique=False)
    op.create_index('ix_tickets_status_assignee', 'tickets', ['status', 'assignee_id'], unique=False)
    op.create_table('contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.Enum('assist', 'phone', 'web', 'embedded', name='channel', native_enum=False, length=16), nullable=False),
    sa.Column('status', sa.Enum('new', 'queued', 'offered', 'answered', 'abandoned', 'ended', name='contactstatus', native_enum=False, length=16), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('contact_person_id', sa.Integer(), nullable=True),
    sa.Column('machine_id', sa.Integer(), nullable=True),
    sa.Column('caller', sa.String(length=254), nullable=False),
    sa.Column('problem', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=True),
    sa.Column('queue_id', sa.Integer(), nullable=True),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('offered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('abandoned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_contacts_agent_id_agents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_person_id'], ['contact_persons.id'], name=op.f('fk_contacts_contact_person_id_contact_persons'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_contacts_customer_id_customers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['machine_id'], ['machines.id'], name=op.f('fk_contacts_machine_id_machines'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['queue_id'], ['queues.id'], name=op.f('fk_contacts_queue_id_queues'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_contacts_ticket_id_tickets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts'))
    )
    op.create_index('ix_contacts_customer_created', 'contacts', ['customer_id', 'created_at'], unique=False)
    op.create_index('ix_contacts_status_queue', 'contacts', ['status', 'queue_id'], unique=False)
    op.create_table('installation_modules',
    sa.Column('installation_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['installation_id'], ['installations.id'], name=op.f('fk_installation_modules_installation_id_installations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_installation_modules_module_id_modules')),
    sa.PrimaryKeyConstraint('installation_id', 'module_id', name=op.f('pk_installation_modules'))
    )
    op.create_table('ticket_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('created', 'assigned', 'status_changed', 'priority_changed', 'classified', 'comment', 'customer_reply', 'escalated', 'transferred', 'session_linked', 'recording_linked', 'sla_paused', 'sla_resumed', 'sla_breached', 'reopened', 'notified', 'rated', name='ticketeventkind', native_enum=False, length=32), nullable=False),
    sa.Column('details', JSON_DOCUMENT, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_ticket_events_agent_id_agents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_events_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_events'))
    )
    op.create_index('ix_ticket_events_ticket_created', 'ticket_events', ['ticket_id', 'created_at'], unique=False)
    op.create_table('sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('machine_id', sa.Integer(), nullable=True),
    sa.Column('consent', sa.Enum('none', 'view', 'control', name='consentlevel', native_enum=False, length=8), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_sessions_agent_id_agents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_sessions_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['machine_id'], ['machines.id'], name=op.f('fk_sessions_machine_id_machines'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sessions'))
    )
    op.create_index(op.f('ix_sessions_agent_id'), 'sessions', ['agent_id'], unique=False)
    op.create_index(op.f('ix_sessions_contact_id'), 'sessions', ['contact_id'], unique=False)
    op.create_index(op.f('ix_sessions_machine_id'), 'sessions', ['machine_id'], unique=False)
    op.create_table('recordings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('path', sa.String(length=1024), nullable=False),
    sa.Column('status', sa.Enum('recording', 'complete', 'repaired', name='recordingstatus', native_enum=False, length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('chain_head', sa.String(length=128), nullable=False),
    sa.Column('record_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_recordings_agent_id_agents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_recordings_customer_id_customers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_recordings_session_id_sessions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_recordings_ticket_id_tickets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recordings'))
    )
    op.create_index('ix_recordings_customer_started', 'recordings', ['customer_id', 'started_at'], unique=False)
    op.create_index(op.f('ix_recordings_session_id'), 'recordings', ['session_id'], unique=False)
    op.create_index(op.f('ix_recordings_ticket_id'), 'recordings', ['ticket_id'], unique=False)
    op.create_table('satisfaction_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('score BETWEEN 1 AND 5', name=op.f('ck_satisfaction_ratings_score_range')),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_satisfaction_ratings_agent_id_agents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_satisfaction_ratings_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_satisfaction_ratings_session_id_sessions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_satisfaction_ratings_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_satisfaction_ratings'))
    )
    op.create_index('ix_satisfaction_ratings_customer_created', 'satisfaction_ratings', ['customer_id', 'created_at'], unique=False)
    op.create_index(op.f('ix_satisfaction_ratings_session_id'), 'satisfaction_ratings', ['session_id'], unique=False)
    op.create_index(op.f('ix_satisfaction_ratings_ticket_id'), 'satisfaction_ratings', ['ticket_id'], unique=False)
    op.create_table('ticket_sessions',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_ticket_sessions_session_id_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_sessions_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_id', 'session_id', name=op.f('pk_ticket_sessions'))
    )
    op.create_index(op.f('ix_ticket_sessions_session_id'), 'ticket_sessions', ['session_id'], unique=False)
    op.create_table('qa_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recording_id', sa.Integer(), nullable=False),
    sa.Column('scorecard_id', sa.Integer(), nullable=True),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('scores', JSON_DOCUMENT, nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'], name=op.f('fk_qa_reviews_recording_id_recordings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['agents.id'], name=op.f('fk_qa_reviews_reviewer_id_agents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['scorecard_id'], ['qa_scorecards.id'], name=op.f('fk_qa_reviews_scorecard_id_qa_scorecards'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qa_reviews'))
    )
    op.create_index(op.f('ix_qa_reviews_recording_id'), 'qa_reviews', ['recording_id'], unique=False)



def downgrade() -> None:
    op.drop_index(op.f('ix_qa_reviews_recording_id'), table_name='qa_reviews')
    op.drop_table('qa_reviews')
    op.drop_index(op.f('ix_ticket_sessions_session_id'), table_name='ticket_sessions')
    op.drop_table('ticket_sessions')
    op.drop_index(op.f('ix_satisfaction_ratings_ticket_id'), table_name='satisfaction_ratings')
    op.drop_index(op.f('ix_satisfaction_ratings_session_id'), table_name='satisfaction_ratings')
    op.drop_index('ix_satisfaction_ratings_customer_created', table_name='satisfaction_ratings')
    op.drop_table('satisfaction_ratings')
    op.drop_index(op.f('ix_recordings_ticket_id'), table_name='recordings')
    op.drop_index(op.f('ix_recordings_session_id'), table_name='recordings')
    op.drop_index('ix_recordings_customer_started', table_name='recordings')
    op.drop_table('recordings')
    op.drop_index(op.f('ix_sessions_machine_id'), table_name='sessions')
    op.drop_index(op.f('ix_sessions_contact_id'), table_name='sessions')
    op.drop_index(op.f('ix_sessions_agent_id'), table_name='sessions')
    op.drop_table('sessions')
    op.drop_index('ix_ticket_events_ticket_created', table_name='ticket_events')
    op.drop_table('ticket_events')
    op.drop_table('installation_modules')
    op.drop_index('ix_contacts_status_queue', table_name='contacts')
    op.drop_index('ix_contacts_customer_created', table_name='contacts')
    op.drop_table('contacts')
    op.drop_index('ix_tickets_status_assignee', table_name='tickets')
    op.drop_index('ix_tickets_resolution_due', table_name='tickets')
    op.drop_index('ix_tickets_customer_created', table_name='tickets')
    op.drop_table('tickets')
    op.drop_index(op.f('ix_machines_customer_id'), table_name='machines')
    op.drop_table('machines')
    op.drop_index(op.f('ix_installations_customer_id'), table_name='installations')
    op.drop_table('installations')
    op.drop_index('ix_agent_skills_product_module', table_name='agent_skills')
    op.drop_index(op.f('ix_agent_skills_agent_id'), table_name='agent_skills')
    op.drop_table('agent_skills')
    op.drop_table('queues')
    op.drop_table('product_versions')
    op.drop_table('modules')
    op.drop_index('ix_contact_persons_phone_e164', table_name='contact_persons')
    op.drop_index('ix_contact_persons_mobile_e164', table_name='contact_persons')
    op.drop_index('ix_contact_persons_email_normalized', table_name='contact_persons')
    op.drop_index(op.f('ix_contact_persons_customer_id'), table_name='contact_persons')
    op.drop_table('contact_persons')
    op.drop_table('qa_scorecards')
    op.drop_table('products')
    op.drop_table('customers')
    op.drop_table('agents')
