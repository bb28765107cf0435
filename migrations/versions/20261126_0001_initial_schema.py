"""Initial schema: every table of SPEC §1-§4, including those later journeys fill.

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 13:42:15.775686
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import idp.db

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('accounts',
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=True),
    sa.Column('rpps', sa.String(length=16), nullable=True),
    sa.Column('national_id', sa.String(length=64), nullable=True),
    sa.Column('given_name', sa.String(length=128), nullable=False),
    sa.Column('family_name', sa.String(length=128), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('email_verified_at', idp.db.UTCDateTime(), nullable=True),
    sa.Column('phone_number', sa.String(length=32), nullable=True),
    sa.Column('phone_verified_at', idp.db.UTCDateTime(), nullable=True),
    sa.Column('address', idp.db.JSONType, nullable=True),
    sa.Column('profession', sa.String(length=128), nullable=True),
    sa.Column('specialty', sa.String(length=128), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('password_changed_at', idp.db.UTCDateTime(), nullable=True),
    sa.Column('otp_channel', sa.String(length=8), nullable=False),
    sa.Column('totp_secret_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('totp_confirmed_at', idp.db.UTCDateTime(), nullable=True),
    sa.Column('first_password_login_at', idp.db.UTCDateTime(), nullable=True),
    sa.Column('last_login_at', idp.db.UTCDateTime(), nullable=True),
    sa.Column('failed_login_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('locked_until', idp.db.UTCDateTime(), nullable=True),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('updated_at', idp.db.UTCDateTime(), nullable=True),
    sa.Column('disabled_at', idp.db.UTCDateTime(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', idp.db.UTCDateTime(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.CheckConstraint("kind IN ('establishment', 'liberal', 'assistant')", name=op.f('ck_accounts_kind')),
    sa.CheckConstraint("otp_channel IN ('email', 'sms', 'totp')", name=op.f('ck_accounts_otp_channel')),
    sa.CheckConstraint("status IN ('pending', 'active', 'disabled')", name=op.f('ck_accounts_status')),
    sa.ForeignKeyConstraint(['created_by_id'], ['accounts.id'], name=op.f('fk_accounts_created_by_id_accounts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts')),
    sa.UniqueConstraint('national_id', name=op.f('uq_accounts_national_id')),
    sa.UniqueConstraint('rpps', name=op.f('uq_accounts_rpps')),
    sa.UniqueConstraint('username', name=op.f('uq_accounts_username'))
    )
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.create_index('ix_accounts_email', ['email'], unique=False)

    op.create_table('audit_events',
    sa.Column('occurred_at', idp.db.UTCDateTime(), nullable=False),
    sa.Column('event', sa.String(length=64), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=True),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('client_id', sa.String(length=128), nullable=True),
    sa.Column('ip_address', sa.String(length=45), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('details', idp.db.JSONType, nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_account_id', ['account_id'], unique=False)
        batch_op.create_index('ix_audit_events_event', ['event'], unique=False)
        batch_op.create_index('ix_audit_events_occurred_at', ['occurred_at'], unique=False)

    op.create_table('clients',
    sa.Column('client_id', sa.String(length=128), nullable=False),
    sa.Column('client_secret_hash', sa.String(length=64), nullable=True),
    sa.Column('client_name', sa.String(length=255), nullable=False),
    sa.Column('redirect_uris', idp.db.JSONType, nullable=False),
    sa.Column('post_logout_redirect_uris', idp.db.JSONType, nullable=False),
    sa.Column('backchannel_logout_uri', sa.Text(), nullable=True),
    sa.Column('backchannel_logout_session_required', sa.Boolean(), nullable=False),
    sa.Column('token_endpoint_auth_method', sa.String(length=32), nullable=False),
    sa.Column('jwks', idp.db.JSONType, nullable=True),
    sa.Column('jwks_uri', sa.Text(), nullable=True),
    sa.Column('id_token_signed_response_alg', sa.String(length=8), nullable=False),
    sa.Column('grant_types', idp.db.JSONType, nullable=False),
    sa.Column('response_types', idp.db.JSONType, nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('default_acr_values', idp.db.JSONType, nullable=False),
    sa.Column('minimum_acr', sa.String(length=128), nullable=True),
    sa.Column('disabled_at', idp.db.UTCDateTime(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', idp.db.UTCDateTime(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.CheckConstraint("id_token_signed_response_alg IN ('RS256', 'ES256')", name=op.f('ck_clients_id_token_alg')),
    sa.CheckConstraint("token_endpoint_auth_method IN ('client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none')", name=op.f('ck_clients_auth_method')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clients')),
    sa.UniqueConstraint('client_id', name=op.f('uq_clients_client_id'))
    )
    op.create_table('establishments',
    sa.Column('finess', sa.String(length=9), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('region', sa.String(length=64), nullable=False),
    sa.Column('disabled_at', idp.db.UTCDateTime(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', idp.db.UTCDateTime(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_establishments')),
    sa.UniqueConstraint('finess', name=op.f('uq_establishments_finess'))
    )
    op.create_table('signing_keys',
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('alg', sa.String(length=8), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('private_key_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('public_jwk', idp.db.JSONType, nullable=False),
    sa.Column('activated_at', idp.db.UTCDateTime(), nullable=True),
    sa.Column('retired_at', idp.db.UTCDateTime(), nullable=True),
    sa.Column('expires_at', idp.db.UTCDateTime(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', idp.db.UTCDateTime(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.CheckConstraint("alg IN ('RS256', 'ES256')", name=op.f('ck_signing_keys_alg')),
    sa.CheckConstraint("state IN ('next', 'active', 'retired')", name=op.f('ck_signing_keys_state')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signing_keys')),
    sa.UniqueConstraint('kid', name=op.f('uq_signing_keys_kid'))
    )
    with op.batch_alter_table('signing_keys', schema=None) as batch_op:
        batch_op.create_index('ix_signing_keys_alg_state', ['alg', 'state'], unique=False)

    op.create_table('action_tokens',
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=True),
    sa.Column('bound_to', sa.String(length=64), nullable=True),
    sa.Column('data', idp.db.JSONType, nullable=False),
    sa.Column('expires_at', idp.db.UTCDateTime(), nullable=False),
    sa.Column('used_at', idp.db.UTCDateTime(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', idp.db.UTCDateTime(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.CheckConstraint("purpose IN ('activation', 'password_reset', 'invitation', 'email_verification')", name=op.f('ck_action_tokens_purpose')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_action_tokens_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_action_tokens_token_hash'))
    )
    with op.batch_alter_table('action_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_tokens_account_id'), ['account_id'], unique=False)

    op.create_table('browser_sessions',
    sa.Column('sid', sa.String(length=64), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('auth_time', idp.db.UTCDateTime(), nullable=False),
    sa.Column('acr', sa.String(length=128), nullable=False),
    sa.Column('amr', idp.db.JSONType, nullable=False),
    sa.Column('federation', sa.String(length=64), nullable=True),
    sa.Column('last_seen_at', idp.db.UTCDateTime(), nullable=True),
    sa.Column('expires_at', idp.db.UTCDateTime(), nullable=False),
    sa.Column('ended_at', idp.db.UTCDateTime(), nullable=True),
    sa.Column('ip_address', sa.String(length=45), nullable=True),
    sa.Column('user_agent', sa.String(length=512), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', idp.db.UTCDateTime(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_browser_sessions_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_browser_sessions')),
    sa.UniqueConstraint('secret_hash', name=op.f('uq_browser_sessions_secret_hash')),
    sa.UniqueConstraint('sid', name=op.f('uq_browser_sessions_sid'))
    )
    with op.batch_alter_table('browser_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_browser_sessions_account_id'), ['account_id'], unique=False)

    op.create_table('card_bindings',
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('national_id', sa.String(length=64), nullable=False),
    sa.Column('card_type', sa.String(length=8), nullable=True),
    sa.Column('issuer_dn', sa.Text(), nullable=True),
    sa.Column('last_used_at', idp.db.UTCDateTime(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', idp.db.UTCDateTime(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_card_bindings_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_bindings')),
    sa.UniqueConstraint('national_id', name=op.f('uq_card_bindings_national_id'))
    )
    with op.batch_alter_table('card_bindings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_card_bindings_account_id'), ['account_id'], unique=False)

    op.create_table('delegations',
    sa.Column('liberal_id', sa.Uuid(), nullable=False),
    sa.Column('assistant_id', sa.Uuid(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('invited_given_name', sa.String(length=128), nullable=False),
    sa.Column('invited_family_name', sa.String(length=128), nullable=False),
    sa.Column('invited_email', sa.String(length=254), nullable=False),
    sa.Column('accepted_at', idp.db.UTCDateTime(), nullable=True),
    sa.Column('updated_at', idp.db.UTCDateTime(), nullable=True),
    sa.Column('revoked_at', idp.db.UTCDateTime(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', idp.db.UTCDateTime(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.CheckConstraint("status IN ('invited', 'active', 'revoked')", name=op.f('ck_delegations_status')),
    sa.ForeignKeyConstraint(['assistant_id'], ['accounts.id'], name=op.f('fk_delegations_assistant_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['liberal_id'], ['accounts.id'], name=op.f('fk_delegations_liberal_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delegations'))
    )
    with op.batch_alter_table('delegations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delegations_assistant_id'), ['assistant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_delegations_liberal_id'), ['liberal_id'], unique=False)

    op.create_table('federated_identities',
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('provider', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('claims', idp.db.JSONType, nullable=False),
    sa.Column('last_login_at', idp.db.UTCDateTime(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', idp.db.UTCDateTime(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_federated_identities_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_federated_identities'))
    )
    with op.batch_alter_table('federated_identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_federated_identities_account_id'), ['account_id'], unique=False)
        batch_op.create_index('uq_federated_identities_provider_subject', ['provider', 'subject'], unique=True)

    op.create_table('memberships',
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('establishment_id', sa.Uuid(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', idp.db.UTCDateTime(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.CheckConstraint("role IN ('professional', 'referent')", name=op.f('ck_memberships_role')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_memberships_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['establishment_id'], ['establishments.id'], name=op.f('fk_memberships_establishment_id_establishments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_memberships'))
    )
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_memberships_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_memberships_establishment_id'), ['establishment_id'], unique=False)
        batch_op.create_index('uq_memberships_account_establishment', ['account_id', 'establishment_id'], unique=True)

    op.create_table('terms_acceptances',
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('accepted_at', idp.db.UTCDateTime(), nullable=False),
    sa.Column('ip_address', sa.String(length=45), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_terms_acceptances_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_terms_acceptances'))
    )
    with op.batch_alter_table('terms_acceptances', schema=None) as batch_op:
        batch_op.create_index('uq_terms_acceptances_account_version', ['account_id', 'version'], unique=True)

    op.create_table('trusted_browsers',
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('expires_at', idp.db.UTCDateTime(), nullable=False),
    sa.Column('last_used_at', idp.db.UTCDateTime(), nullable=True),
    sa.Column('user_agent', sa.String(length=512), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', idp.db.UTCDateTime(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_trusted_browsers_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trusted_browsers')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_trusted_browsers_token_hash'))
    )
    with op.batch_alter_table('trusted_browsers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trusted_browsers_account_id'), ['account_id'], unique=False)

    op.create_table('authorization_codes',
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('session_id', sa.Uuid(), nullable=True),
    sa.Column('redirect_uri', sa.Text(), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('nonce', sa.Text(), nullable=True),
    sa.Column('code_challenge', sa.String(length=128), nullable=True),
    sa.Column('code_challenge_method', sa.String(length=8), nullable=True),
    sa.Column('claims', idp.db.JSONType, nullable=True),
    sa.Column('acr', sa.String(length=128), nullable=False),
    sa.Column('amr', idp.db.JSONType, nullable=False),
    sa.Column('auth_time', idp.db.UTCDateTime(), nullable=False),
    sa.Column('expires_at', idp.db.UTCDateTime(), nullable=False),
    sa.Column('used_at', idp.db.UTCDateTime(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', idp.db.UTCDateTime(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_authorization_codes_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_authorization_codes_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['browser_sessions.id'], name=op.f('fk_authorization_codes_session_id_browser_sessions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_authorization_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_authorization_codes_code_hash'))
    )
    with op.batch_alter_table('authorization_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_authorization_codes_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_authorization_codes_client_id'), ['client_id'], unique=False)

    op.create_table('delegation_rights',
    sa.Column('delegation_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("level IN ('none', 'read', 'write')", name=op.f('ck_delegation_rights_level')),
    sa.CheckConstraint("name IN ('dossiers', 'medical_data', 'autonomy_data')", name=op.f('ck_delegation_rights_name')),
    sa.ForeignKeyConstraint(['delegation_id'], ['delegations.id'], name=op.f('fk_delegation_rights_delegation_id_delegations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delegation_rights'))
    )
    with op.batch_alter_table('delegation_rights', schema=None) as batch_op:
        batch_op.create_index('uq_delegation_rights_delegation_name', ['delegation_id', 'name'], unique=True)

    op.create_table('interactions',
    sa.Column('uid', sa.String(length=64), nullable=False),
    sa.Column('browser_binding_hash', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('session_id', sa.Uuid(), nullable=True),
    sa.Column('account_id', sa.Uuid(), nullable=True),
    sa.Column('params', idp.db.JSONType, nullable=False),
    sa.Column('prompt', sa.String(length=32), nullable=False),
    sa.Column('reasons', idp.db.JSONType, nullable=False),
    sa.Column('state', idp.db.JSONType, nullable=False),
    sa.Column('result', idp.db.JSONType, nullable=True),
    sa.Column('expires_at', idp.db.UTCDateTime(), nullable=False),
    sa.Column('completed_at', idp.db.UTCDateTime(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', idp.db.UTCDateTime(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_interactions_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_interactions_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['browser_sessions.id'], name=op.f('fk_interactions_session_id_browser_sessions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interactions')),
    sa.UniqueConstraint('uid', name=op.f('uq_interactions_uid'))
    )
    with op.batch_alter_table('interactions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interactions_client_id'), ['client_id'], unique=False)

    op.create_table('session_clients',
    sa.Column('session_id', sa.Uuid(), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', idp.db.UTCDateTime(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_session_clients_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['browser_sessions.id'], name=op.f('fk_session_clients_session_id_browser_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_clients'))
    )
    with op.batch_alter_table('session_clients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_clients_client_id'), ['client_id'], unique=False)
        batch_op.create_index('uq_session_clients_session_client', ['session_id', 'client_id'], unique=True)

    op.create_table('otp_codes',
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('destination', sa.String(length=254), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('interaction_id', sa.Uuid(), nullable=True),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('expires_at', idp.db.UTCDateTime(), nullable=False),
    sa.Column('used_at', idp.db.UTCDateTime(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', idp.db.UTCDateTime(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.CheckConstraint("channel IN ('email', 'sms')", name=op.f('ck_otp_codes_channel')),
    sa.CheckConstraint("purpose IN ('login', 'phone_verification')", name=op.f('ck_otp_codes_purpose')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_otp_codes_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['interaction_id'], ['interactions.id'], name=op.f('fk_otp_codes_interaction_id_interactions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_otp_codes'))
    )
    with op.batch_alter_table('otp_codes', schema=None) as batch_op:
        batch_op.create_index('ix_otp_codes_account_purpose', ['account_id', 'purpose'], unique=False)

    op.create_table('tokens',
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('jti', sa.String(length=64), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=True),
    sa.Column('session_id', sa.Uuid(), nullable=True),
    sa.Column('authorization_code_id', sa.Uuid(), nullable=True),
    sa.Column('family_id', sa.Uuid(), nullable=True),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('claims', idp.db.JSONType, nullable=True),
    sa.Column('acr', sa.String(length=128), nullable=True),
    sa.Column('amr', idp.db.JSONType, nullable=True),
    sa.Column('auth_time', idp.db.UTCDateTime(), nullable=True),
    sa.Column('expires_at', idp.db.UTCDateTime(), nullable=False),
    sa.Column('rotated_at', idp.db.UTCDateTime(), nullable=True),
    sa.Column('revoked_at', idp.db.UTCDateTime(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', idp.db.UTCDateTime(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.CheckConstraint("kind IN ('access', 'refresh')", name=op.f('ck_tokens_kind')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_tokens_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['authorization_code_id'], ['authorization_codes.id'], name=op.f('fk_tokens_authorization_code_id_authorization_codes'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_tokens_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['browser_sessions.id'], name=op.f('fk_tokens_session_id_browser_sessions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tokens')),
    sa.UniqueConstraint('jti', name=op.f('uq_tokens_jti')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_tokens_token_hash'))
    )
    with op.batch_alter_table('tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tokens_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tokens_authorization_code_id'), ['authorization_code_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tokens_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tokens_family_id'), ['family_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tokens_session_id'), ['session_id'], unique=False)

    op.create_table('upstream_logins',
    sa.Column('provider', sa.String(length=64), nullable=False),
    sa.Column('state_hash', sa.String(length=64), nullable=False),
    sa.Column('nonce', sa.String(length=128), nullable=False),
    sa.Column('code_verifier_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('interaction_id', sa.Uuid(), nullable=True),
    sa.Column('expires_at', idp.db.UTCDateTime(), nullable=False),
    sa.Column('used_at', idp.db.UTCDateTime(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', idp.db.UTCDateTime(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.ForeignKeyConstraint(['interaction_id'], ['interactions.id'], name=op.f('fk_upstream_logins_interaction_id_interactions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_upstream_logins')),
    sa.UniqueConstraint('state_hash', name=op.f('uq_upstream_logins_state_hash'))
    )


def downgrade() -> None:
    op.drop_table('upstream_logins')
    with op.batch_alter_table('tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tokens_session_id'))
        batch_op.drop_index(batch_op.f('ix_tokens_family_id'))
        batch_op.drop_index(batch_op.f('ix_tokens_client_id'))
        batch_op.drop_index(batch_op.f('ix_tokens_authorization_code_id'))
        batch_op.drop_index(batch_op.f('ix_tokens_account_id'))

    op.drop_table('tokens')
    with op.batch_alter_table('otp_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_otp_codes_account_purpose')

    op.drop_table('otp_codes')
    with op.batch_alter_table('session_clients', schema=None) as batch_op:
        batch_op.drop_index('uq_session_clients_session_client')
        batch_op.drop_index(batch_op.f('ix_session_clients_client_id'))

    op.drop_table('session_clients')
    with op.batch_alter_table('interactions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interactions_client_id'))

    op.drop_table('interactions')
    with op.batch_alter_table('delegation_rights', schema=None) as batch_op:
        batch_op.drop_index('uq_delegation_rights_delegation_name')

    op.drop_table('delegation_rights')
    with op.batch_alter_table('authorization_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_authorization_codes_client_id'))
        batch_op.drop_index(batch_op.f('ix_authorization_codes_account_id'))

    op.drop_table('authorization_codes')
    with op.batch_alter_table('trusted_browsers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trusted_browsers_account_id'))

    op.drop_table('trusted_browsers')
    with op.batch_alter_table('terms_acceptances', schema=None) as batch_op:
        batch_op.drop_index('uq_terms_acceptances_account_version')

    op.drop_table('terms_acceptances')
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_index('uq_memberships_account_establishment')
        batch_op.drop_index(batch_op.f('ix_memberships_establishment_id'))
        batch_op.drop_index(batch_op.f('ix_memberships_account_id'))

    op.drop_table('memberships')
    with op.batch_alter_table('federated_identities', schema=None) as batch_op:
        batch_op.drop_index('uq_federated_identities_provider_subject')
        batch_op.drop_index(batch_op.f('ix_federated_identities_account_id'))

    op.drop_table('federated_identities')
    with op.batch_alter_table('delegations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delegations_liberal_id'))
        batch_op.drop_index(batch_op.f('ix_delegations_assistant_id'))

    op.drop_table('delegations')
    with op.batch_alter_table('card_bindings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_card_bindings_account_id'))

    op.drop_table('card_bindings')
    with op.batch_alter_table('browser_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_browser_sessions_account_id'))

    op.drop_table('browser_sessions')
    with op.batch_alter_table('action_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_tokens_account_id'))

    op.drop_table('action_tokens')
    with op.batch_alter_table('signing_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_signing_keys_alg_state')

    op.drop_table('signing_keys')
    op.drop_table('establishments')
    op.drop_table('clients')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_occurred_at')
        batch_op.drop_index('ix_audit_events_event')
        batch_op.drop_index('ix_audit_events_account_id')

    op.drop_table('audit_events')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_index('ix_accounts_email')

    op.drop_table('accounts')
