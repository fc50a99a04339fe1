"""64-bit columns where Camunda has a Long; (key, version, tenant) unique per definition

On SQLite an INTEGER column already holds 64 bits, so only the indexes change there.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def _widening() -> bool:
    return op.get_bind().dialect.name != "sqlite"


def upgrade() -> None:
    op.drop_index(op.f('ix_decision_definition_key_version'), table_name='decision_definition')
    op.create_index('uq_decision_definition_key_version_tenant', 'decision_definition', ['key', 'version', sa.literal_column("coalesce(tenant_id, '')")], unique=True)
    if _widening():
        op.alter_column('external_task', 'priority',
                   existing_type=sa.INTEGER(),
                   type_=sa.BigInteger(),
                   existing_nullable=False)
    if _widening():
        op.alter_column('job', 'priority',
                   existing_type=sa.INTEGER(),
                   type_=sa.BigInteger(),
                   existing_nullable=False)
    if _widening():
        op.alter_column('job_definition', 'overriding_job_priority',
                   existing_type=sa.INTEGER(),
                   type_=sa.BigInteger(),
                   existing_nullable=True)
    op.drop_index(op.f('ix_process_definition_key_version'), table_name='process_definition')
    op.create_index('uq_process_definition_key_version_tenant', 'process_definition', ['key', 'version', sa.literal_column("coalesce(tenant_id, '')")], unique=True)
    if _widening():
        op.alter_column('variable', 'long_value',
                   existing_type=sa.INTEGER(),
                   type_=sa.BigInteger(),
                   existing_nullable=True)


def downgrade() -> None:
    if _widening():
        op.alter_column('variable', 'long_value',
                   existing_type=sa.BigInteger(),
                   type_=sa.INTEGER(),
                   existing_nullable=True)
    op.drop_index('uq_process_definition_key_version_tenant', table_name='process_definition')
    op.create_index(op.f('ix_process_definition_key_version'), 'process_definition', ['key', 'version'], unique=False)
    if _widening():
        op.alter_column('job_definition', 'overriding_job_priority',
                   existing_type=sa.BigInteger(),
                   type_=sa.INTEGER(),
                   existing_nullable=True)
    if _widening():
        op.alter_column('job', 'priority',
                   existing_type=sa.BigInteger(),
                   type_=sa.INTEGER(),
                   existing_nullable=False)
    if _widening():
        op.alter_column('external_task', 'priority',
                   existing_type=sa.BigInteger(),
                   type_=sa.INTEGER(),
                   existing_nullable=False)
    op.drop_index('uq_decision_definition_key_version_tenant', table_name='decision_definition')
    op.create_index(op.f('ix_decision_definition_key_version'), 'decision_definition', ['key', 'version'], unique=False)
