"""the schema of modbatch before migrations

Revision ID: 0001
Revises: 
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('batch',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('total_jobs', sa.Integer(), nullable=False),
    sa.Column('jobs_created', sa.Integer(), nullable=False),
    sa.Column('batch_jobs_per_seed', sa.Integer(), nullable=False),
    sa.Column('invocations_per_batch_job', sa.Integer(), nullable=False),
    sa.Column('seed_job_definition_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('monitor_job_definition_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('batch_job_definition_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('suspended', sa.Boolean(), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('create_user_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('start_time', sa.DateTime(), nullable=False),
    sa.Column('execution_start_time', sa.DateTime(), nullable=True),
    sa.Column('configuration', sa.Text(), nullable=False),
    sa.Column('total_items', sa.Integer(), nullable=False),
    sa.Column('seed_cursor', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('batch_item',
    sa.Column('batch_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('process_instance_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('batch_id', 'seq')
    )
    op.create_table('deployment',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('deployment_time', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('deployment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deployment_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('event_subscription',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('event_type', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('event_name', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('process_instance_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('execution_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('activity_instance_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('activity_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('process_definition_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.Column('configuration', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('event_subscription', schema=None) as batch_op:
        batch_op.create_index('ix_event_subscription_name', ['event_type', 'event_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_subscription_process_definition_id'), ['process_definition_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_subscription_process_instance_id'), ['process_instance_id'], unique=False)

    op.create_table('historic_activity_instance',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('parent_activity_instance_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('activity_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('activity_name', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('activity_type', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('process_definition_key', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('process_definition_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('process_instance_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('execution_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('task_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('assignee', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('called_process_instance_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('start_time', sa.DateTime(), nullable=False),
    sa.Column('end_time', sa.DateTime(), nullable=True),
    sa.Column('duration_in_millis', sa.BigInteger(), nullable=True),
    sa.Column('canceled', sa.Boolean(), nullable=False),
    sa.Column('complete_scope', sa.Boolean(), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('removal_time', sa.DateTime(), nullable=True),
    sa.Column('root_process_instance_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('sequence_counter', sa.BigInteger(), nullable=False),
    sa.Column('start_millis', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('historic_activity_instance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_historic_activity_instance_activity_id'), ['activity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_historic_activity_instance_process_definition_id'), ['process_definition_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_historic_activity_instance_process_instance_id'), ['process_instance_id'], unique=False)

    op.create_table('historic_batch',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('total_jobs', sa.Integer(), nullable=False),
    sa.Column('batch_jobs_per_seed', sa.Integer(), nullable=False),
    sa.Column('invocations_per_batch_job', sa.Integer(), nullable=False),
    sa.Column('seed_job_definition_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('monitor_job_definition_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('batch_job_definition_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('create_user_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('start_time', sa.DateTime(), nullable=False),
    sa.Column('execution_start_time', sa.DateTime(), nullable=True),
    sa.Column('end_time', sa.DateTime(), nullable=True),
    sa.Column('removal_time', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('historic_incident',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('process_definition_key', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('process_definition_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('process_instance_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('execution_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('root_process_instance_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('create_time', sa.DateTime(), nullable=False),
    sa.Column('end_time', sa.DateTime(), nullable=True),
    sa.Column('removal_time', sa.DateTime(), nullable=True),
    sa.Column('incident_type', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('activity_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('failed_activity_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('cause_incident_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('root_cause_incident_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('configuration', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('history_configuration', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('incident_message', sa.Text(), nullable=True),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('job_definition_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('annotation', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('historic_incident', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_historic_incident_configuration'), ['configuration'], unique=False)
        batch_op.create_index(batch_op.f('ix_historic_incident_process_instance_id'), ['process_instance_id'], unique=False)

    op.create_table('historic_process_instance',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('process_definition_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('process_definition_key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('business_key', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('start_time', sa.DateTime(), nullable=False),
    sa.Column('end_time', sa.DateTime(), nullable=True),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('process_definition_name', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('process_definition_version', sa.Integer(), nullable=True),
    sa.Column('removal_time', sa.DateTime(), nullable=True),
    sa.Column('duration_in_millis', sa.BigInteger(), nullable=True),
    sa.Column('start_user_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('start_activity_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('delete_reason', sa.Text(), nullable=True),
    sa.Column('super_process_instance_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('root_process_instance_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('historic_process_instance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_historic_process_instance_process_definition_id'), ['process_definition_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_historic_process_instance_super_process_instance_id'), ['super_process_instance_id'], unique=False)

    op.create_table('historic_variable_instance',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('text_value', sa.Text(), nullable=True),
    sa.Column('long_value', sa.BigInteger(), nullable=True),
    sa.Column('double_value', sa.Float(), nullable=True),
    sa.Column('value_info', sa.Text(), nullable=True),
    sa.Column('process_definition_key', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('process_definition_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('process_instance_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('execution_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('activity_instance_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('task_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('create_time', sa.DateTime(), nullable=False),
    sa.Column('removal_time', sa.DateTime(), nullable=True),
    sa.Column('root_process_instance_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('historic_variable_instance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_historic_variable_instance_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_historic_variable_instance_process_instance_id'), ['process_instance_id'], unique=False)

    op.create_table('incident',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('incident_timestamp', sa.DateTime(), nullable=False),
    sa.Column('incident_type', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('incident_message', sa.Text(), nullable=True),
    sa.Column('configuration', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('job_definition_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('process_definition_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('process_instance_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('execution_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('activity_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('failed_activity_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('annotation', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_configuration'), ['configuration'], unique=False)

    op.create_table('job',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('job_definition_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('handler_type', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('handler_configuration', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('batch_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('item_from', sa.Integer(), nullable=True),
    sa.Column('item_to', sa.Integer(), nullable=True),
    sa.Column('due_date', sa.DateTime(), nullable=True),
    sa.Column('create_time', sa.DateTime(), nullable=False),
    sa.Column('retries', sa.Integer(), nullable=False),
    sa.Column('exception_message', sa.Text(), nullable=True),
    sa.Column('exception_stacktrace', sa.Text(), nullable=True),
    sa.Column('suspended', sa.Boolean(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('deployment_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('lock_owner', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('lock_expiration_time', sa.DateTime(), nullable=True),
    sa.Column('process_instance_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('process_definition_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('process_definition_key', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('execution_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('activity_instance_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('activity_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('exclusive', sa.Boolean(), nullable=False),
    sa.Column('repeat', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index('ix_job_acquisition', ['suspended', 'retries', 'due_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index('ix_job_definition', ['job_definition_id', 'retries'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_process_instance_id'), ['process_instance_id'], unique=False)

    op.create_table('job_definition',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('job_type', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('job_configuration', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('activity_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('process_definition_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('process_definition_key', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('overriding_job_priority', sa.Integer(), nullable=True),
    sa.Column('suspended', sa.Boolean(), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('deployment_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('job_definition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_definition_job_configuration'), ['job_configuration'], unique=False)

    op.create_table('decision_definition',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deployment_id', sa.String(length=64), nullable=False),
    sa.Column('resource_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('version_tag', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('history_time_to_live', sa.Integer(), nullable=True),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['deployment_id'], ['deployment.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('decision_definition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decision_definition_deployment_id'), ['deployment_id'], unique=False)
        batch_op.create_index('ix_decision_definition_key_version', ['key', 'version'], unique=False)

    op.create_table('process_definition',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deployment_id', sa.String(length=64), nullable=False),
    sa.Column('resource_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('version_tag', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('history_time_to_live', sa.Integer(), nullable=True),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('suspended', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['deployment_id'], ['deployment.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('process_definition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_definition_deployment_id'), ['deployment_id'], unique=False)
        batch_op.create_index('ix_process_definition_key_version', ['key', 'version'], unique=False)

    op.create_table('resource',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('deployment_id', sa.String(length=64), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['deployment_id'], ['deployment.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('resource', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resource_deployment_id'), ['deployment_id'], unique=False)

    op.create_table('process_instance',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('process_definition_id', sa.String(length=200), nullable=False),
    sa.Column('process_definition_key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('business_key', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('suspended', sa.Boolean(), nullable=False),
    sa.Column('start_time', sa.DateTime(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('super_process_instance_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('super_activity_instance_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('root_process_instance_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.ForeignKeyConstraint(['process_definition_id'], ['process_definition.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_instance_business_key'), ['business_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_instance_process_definition_id'), ['process_definition_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_instance_process_definition_key'), ['process_definition_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_instance_super_activity_instance_id'), ['super_activity_instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_instance_super_process_instance_id'), ['super_process_instance_id'], unique=False)

    op.create_table('activity_instance',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('process_instance_id', sa.String(length=64), nullable=False),
    sa.Column('parent_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('activity_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('activity_type', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('activity_name', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('execution_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('async_phase', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('compensating_for', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.ForeignKeyConstraint(['process_instance_id'], ['process_instance.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('activity_instance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_instance_activity_id'), ['activity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_activity_instance_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_activity_instance_process_instance_id'), ['process_instance_id'], unique=False)

    op.create_table('external_task',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('topic_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('worker_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('lock_expiration_time', sa.DateTime(), nullable=True),
    sa.Column('retries', sa.Integer(), nullable=True),
    sa.Column('error_message', sa.Text(), nullable=True),
    sa.Column('error_details', sa.Text(), nullable=True),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('suspended', sa.Boolean(), nullable=False),
    sa.Column('activity_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('activity_instance_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('execution_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('process_instance_id', sa.String(length=64), nullable=False),
    sa.Column('process_definition_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('process_definition_key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('process_definition_version_tag', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('business_key', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('create_time', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['process_instance_id'], ['process_instance.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('external_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_external_task_activity_instance_id'), ['activity_instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_external_task_process_instance_id'), ['process_instance_id'], unique=False)
        batch_op.create_index('ix_external_task_topic', ['topic_name', 'suspended'], unique=False)

    op.create_table('task',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('process_instance_id', sa.String(length=64), nullable=False),
    sa.Column('activity_instance_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('execution_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('process_definition_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('task_definition_key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('suspended', sa.Boolean(), nullable=False),
    sa.Column('assignee', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['process_instance_id'], ['process_instance.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_activity_instance_id'), ['activity_instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_process_instance_id'), ['process_instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_task_definition_key'), ['task_definition_key'], unique=False)

    op.create_table('variable',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('process_instance_id', sa.String(length=64), nullable=False),
    sa.Column('activity_instance_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('text_value', sa.Text(), nullable=True),
    sa.Column('long_value', sa.Integer(), nullable=True),
    sa.Column('double_value', sa.Float(), nullable=True),
    sa.Column('value_info', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['process_instance_id'], ['process_instance.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('variable', schema=None) as batch_op:
        batch_op.create_index('ix_variable_instance_name', ['process_instance_id', 'name'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('variable', schema=None) as batch_op:
        batch_op.drop_index('ix_variable_instance_name')

    op.drop_table('variable')
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_task_definition_key'))
        batch_op.drop_index(batch_op.f('ix_task_process_instance_id'))
        batch_op.drop_index(batch_op.f('ix_task_activity_instance_id'))

    op.drop_table('task')
    with op.batch_alter_table('external_task', schema=None) as batch_op:
        batch_op.drop_index('ix_external_task_topic')
        batch_op.drop_index(batch_op.f('ix_external_task_process_instance_id'))
        batch_op.drop_index(batch_op.f('ix_external_task_activity_instance_id'))

    op.drop_table('external_task')
    with op.batch_alter_table('activity_instance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_instance_process_instance_id'))
        batch_op.drop_index(batch_op.f('ix_activity_instance_parent_id'))
        batch_op.drop_index(batch_op.f('ix_activity_instance_activity_id'))

    op.drop_table('activity_instance')
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_instance_super_process_instance_id'))
        batch_op.drop_index(batch_op.f('ix_process_instance_super_activity_instance_id'))
        batch_op.drop_index(batch_op.f('ix_process_instance_process_definition_key'))
        batch_op.drop_index(batch_op.f('ix_process_instance_process_definition_id'))
        batch_op.drop_index(batch_op.f('ix_process_instance_business_key'))

    op.drop_table('process_instance')
    with op.batch_alter_table('resource', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resource_deployment_id'))

    op.drop_table('resource')
    with op.batch_alter_table('process_definition', schema=None) as batch_op:
        batch_op.drop_index('ix_process_definition_key_version')
        batch_op.drop_index(batch_op.f('ix_process_definition_deployment_id'))

    op.drop_table('process_definition')
    with op.batch_alter_table('decision_definition', schema=None) as batch_op:
        batch_op.drop_index('ix_decision_definition_key_version')
        batch_op.drop_index(batch_op.f('ix_decision_definition_deployment_id'))

    op.drop_table('decision_definition')
    with op.batch_alter_table('job_definition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_definition_job_configuration'))

    op.drop_table('job_definition')
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_process_instance_id'))
        batch_op.drop_index('ix_job_definition')
        batch_op.drop_index(batch_op.f('ix_job_batch_id'))
        batch_op.drop_index('ix_job_acquisition')

    op.drop_table('job')
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_configuration'))

    op.drop_table('incident')
    with op.batch_alter_table('historic_variable_instance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_historic_variable_instance_process_instance_id'))
        batch_op.drop_index(batch_op.f('ix_historic_variable_instance_name'))

    op.drop_table('historic_variable_instance')
    with op.batch_alter_table('historic_process_instance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_historic_process_instance_super_process_instance_id'))
        batch_op.drop_index(batch_op.f('ix_historic_process_instance_process_definition_id'))

    op.drop_table('historic_process_instance')
    with op.batch_alter_table('historic_incident', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_historic_incident_process_instance_id'))
        batch_op.drop_index(batch_op.f('ix_historic_incident_configuration'))

    op.drop_table('historic_incident')
    op.drop_table('historic_batch')
    with op.batch_alter_table('historic_activity_instance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_historic_activity_instance_process_instance_id'))
        batch_op.drop_index(batch_op.f('ix_historic_activity_instance_process_definition_id'))
        batch_op.drop_index(batch_op.f('ix_historic_activity_instance_activity_id'))

    op.drop_table('historic_activity_instance')
    with op.batch_alter_table('event_subscription', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_subscription_process_instance_id'))
        batch_op.drop_index(batch_op.f('ix_event_subscription_process_definition_id'))
        batch_op.drop_index('ix_event_subscription_name')

    op.drop_table('event_subscription')
    with op.batch_alter_table('deployment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deployment_tenant_id'))

    op.drop_table('deployment')
    op.drop_table('batch_item')
    op.drop_table('batch')
