"""The runtime and repository tables. Column names follow Camunda's vocabulary, not its ACT_ names."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, ForeignKey, Index, LargeBinary, String, Text, func
from sqlmodel import Field, SQLModel


def long(*, default: int | None = None, nullable: bool = True):
    """A 64-bit column where Camunda has a Java ``Long`` (variables, job priorities)."""
    return Field(default=default, sa_column=Column(BigInteger, nullable=nullable))


def one_version_per_key(table: str):
    """(key, version, tenant) is unique, a null tenant included: two deployments racing for the
    same version number conflict instead of both succeeding."""
    return Index(f"uq_{table}_key_version_tenant", "key", "version",
                 func.coalesce(Column("tenant_id"), ""), unique=True)


def timestamp(*, nullable: bool = False, index: bool = False):
    """A naive UTC timestamp column (the engine's clock is naive UTC throughout)."""
    return Field(default=None, sa_column=Column(DateTime(), nullable=nullable, index=index))


class Deployment(SQLModel, table=True):
    __tablename__ = "deployment"

    id: str = Field(primary_key=True, max_length=64)
    name: str | None = None
    source: str | None = None
    tenant_id: str | None = Field(default=None, index=True)
    deployment_time: datetime = timestamp()


class Resource(SQLModel, table=True):
    """A deployed file, kept byte for byte (``GET /process-definition/{id}/xml`` returns it)."""

    __tablename__ = "resource"

    id: str = Field(primary_key=True, max_length=64)
    deployment_id: str = Field(sa_column=Column(
        String(64), ForeignKey("deployment.id", ondelete="CASCADE"), nullable=False, index=True))
    name: str
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class ProcessDefinition(SQLModel, table=True):
    __tablename__ = "process_definition"
    __table_args__ = (one_version_per_key("process_definition"),)

    id: str = Field(primary_key=True, max_length=200)
    key: str
    name: str | None = None
    version: int
    deployment_id: str = Field(sa_column=Column(
        String(64), ForeignKey("deployment.id", ondelete="CASCADE"), nullable=False, index=True))
    resource_name: str
    tenant_id: str | None = None
    version_tag: str | None = None
    history_time_to_live: int | None = None
    category: str | None = None
    description: str | None = None
    suspended: bool = False


class ProcessInstance(SQLModel, table=True):
    """A running process instance; the row goes away when the instance ends (history keeps it)."""

    __tablename__ = "process_instance"

    id: str = Field(primary_key=True, max_length=64)
    process_definition_id: str = Field(sa_column=Column(
        String(200), ForeignKey("process_definition.id", ondelete="CASCADE"), nullable=False,
        index=True))
    process_definition_key: str = Field(index=True)
    business_key: str | None = Field(default=None, index=True)
    tenant_id: str | None = None
    suspended: bool = False
    start_time: datetime = timestamp()
    # optimistic locking: every change to the instance's tree bumps it
    revision: int = 1
    # a called instance: the calling instance and its call activity instance
    super_process_instance_id: str | None = Field(default=None, index=True, max_length=64)
    super_activity_instance_id: str | None = Field(default=None, index=True, max_length=255)
    # the top of its call chain (itself when nobody called it)
    root_process_instance_id: str | None = Field(default=None, max_length=64)


class ActivityInstance(SQLModel, table=True):
    """A node of the activity-instance tree: a token waiting in an activity or an entered scope.

    ``parent_id`` is the parent scope's activity-instance id; for top-level activities it is the
    process instance id, which is also the id of the tree's root.
    """

    __tablename__ = "activity_instance"

    id: str = Field(primary_key=True, max_length=255)
    process_instance_id: str = Field(sa_column=Column(
        String(64), ForeignKey("process_instance.id", ondelete="CASCADE"), nullable=False,
        index=True))
    parent_id: str = Field(max_length=255, index=True)
    activity_id: str = Field(index=True)
    activity_type: str
    activity_name: str | None = None
    execution_id: str = Field(max_length=64)
    # creation order inside the instance, so trees render in a stable order
    seq: int = 0
    # "before" / "after" for a transition instance (a token waiting in an async continuation)
    async_phase: str | None = None
    # a compensation handler's instance: the throw event (or event scope) that waits for it
    compensating_for: str | None = Field(default=None, max_length=255)


class Task(SQLModel, table=True):
    __tablename__ = "task"

    id: str = Field(primary_key=True, max_length=64)
    process_instance_id: str = Field(sa_column=Column(
        String(64), ForeignKey("process_instance.id", ondelete="CASCADE"), nullable=False,
        index=True))
    activity_instance_id: str = Field(index=True, max_length=255)
    execution_id: str
    process_definition_id: str
    task_definition_key: str = Field(index=True)
    name: str | None = None
    tenant_id: str | None = None
    created: datetime = timestamp()
    priority: int = 50
    suspended: bool = False
    assignee: str | None = None


class Variable(SQLModel, table=True):
    """A typed variable; ``activity_instance_id`` null means the process instance's own scope."""

    __tablename__ = "variable"
    __table_args__ = (Index("ix_variable_instance_name", "process_instance_id", "name"),)

    id: str = Field(primary_key=True, max_length=64)
    process_instance_id: str = Field(sa_column=Column(
        String(64), ForeignKey("process_instance.id", ondelete="CASCADE"), nullable=False))
    activity_instance_id: str | None = Field(default=None, max_length=255)
    name: str
    type: str
    text_value: str | None = Field(default=None, sa_column=Column(Text))
    long_value: int | None = long()
    double_value: float | None = None
    value_info: str | None = Field(default=None, sa_column=Column(Text))


class HistoricProcessInstance(SQLModel, table=True):
    __tablename__ = "historic_process_instance"

    id: str = Field(primary_key=True, max_length=64)
    process_definition_id: str = Field(index=True)
    process_definition_key: str
    business_key: str | None = None
    tenant_id: str | None = None
    start_time: datetime = timestamp()
    end_time: datetime | None = timestamp(nullable=True)
    state: str = "ACTIVE"
    process_definition_name: str | None = None
    process_definition_version: int | None = None
    removal_time: datetime | None = timestamp(nullable=True)
    duration_in_millis: int | None = Field(default=None, sa_column=Column(BigInteger))
    start_user_id: str | None = None
    start_activity_id: str | None = None
    delete_reason: str | None = Field(default=None, sa_column=Column(Text))
    # the calling instance of a called process (call activities); null for a root instance
    super_process_instance_id: str | None = Field(default=None, max_length=64, index=True)
    root_process_instance_id: str | None = Field(default=None, max_length=64)


class JobDefinition(SQLModel, table=True):
    __tablename__ = "job_definition"

    id: str = Field(primary_key=True, max_length=64)
    job_type: str
    job_configuration: str | None = Field(default=None, index=True)
    activity_id: str | None = None
    process_definition_id: str | None = None
    process_definition_key: str | None = None
    overriding_job_priority: int | None = long()
    suspended: bool = False
    tenant_id: str | None = None
    deployment_id: str | None = None


class Job(SQLModel, table=True):
    """A unit of asynchronous work; a job is deleted when it succeeds.

    Execution jobs of a batch carry the range of batch items they work on (``item_from`` to
    ``item_to``, inclusive), so the instance ids are stored once, in ``batch_item``.
    """

    __tablename__ = "job"
    __table_args__ = (
        Index("ix_job_acquisition", "suspended", "retries", "due_date"),
        Index("ix_job_definition", "job_definition_id", "retries"),
    )

    id: str = Field(primary_key=True, max_length=64)
    type: str = "message"
    job_definition_id: str | None = Field(default=None, max_length=64)
    handler_type: str
    handler_configuration: str | None = None
    batch_id: str | None = Field(default=None, index=True, max_length=64)
    item_from: int | None = None
    item_to: int | None = None
    due_date: datetime | None = timestamp(nullable=True)
    create_time: datetime = timestamp()
    retries: int = 3
    exception_message: str | None = Field(default=None, sa_column=Column(Text))
    exception_stacktrace: str | None = Field(default=None, sa_column=Column(Text))
    suspended: bool = False
    priority: int = long(default=0, nullable=False)
    tenant_id: str | None = None
    deployment_id: str | None = None
    lock_owner: str | None = None
    lock_expiration_time: datetime | None = timestamp(nullable=True)
    # process jobs (async continuations, timers) belong to the scope instance that created them
    process_instance_id: str | None = Field(default=None, index=True, max_length=64)
    process_definition_id: str | None = Field(default=None, max_length=200)
    process_definition_key: str | None = None
    execution_id: str | None = Field(default=None, max_length=64)
    # the activity (or transition) instance that owns the job
    activity_instance_id: str | None = Field(default=None, max_length=255)
    activity_id: str | None = None
    exclusive: bool = True
    # a timeCycle timer's remaining cycle ("R2/PT1H"), so the next job can be created
    repeat: str | None = None


class EventSubscription(SQLModel, table=True):
    """A message or signal a scope (or, with no instance, a start event) waits for."""

    __tablename__ = "event_subscription"
    __table_args__ = (Index("ix_event_subscription_name", "event_type", "event_name"),)

    id: str = Field(primary_key=True, max_length=64)
    event_type: str
    event_name: str | None = None
    process_instance_id: str | None = Field(default=None, index=True, max_length=64)
    # the activity instance that owns it and its execution; null for a start event's subscription
    execution_id: str | None = Field(default=None, max_length=64)
    activity_instance_id: str | None = Field(default=None, max_length=255)
    activity_id: str
    process_definition_id: str | None = Field(default=None, max_length=200, index=True)
    tenant_id: str | None = None
    created: datetime = timestamp()
    # compensate subscriptions: Camunda's configuration (the event scope of a completed
    # sub-process) and the creation order within the instance
    configuration: str | None = Field(default=None, max_length=255)
    seq: int = 0


class ExternalTask(SQLModel, table=True):
    """Work an external worker fetches and completes; owned by the activity instance that waits."""

    __tablename__ = "external_task"
    __table_args__ = (Index("ix_external_task_topic", "topic_name", "suspended"),)

    id: str = Field(primary_key=True, max_length=64)
    topic_name: str
    worker_id: str | None = None
    lock_expiration_time: datetime | None = timestamp(nullable=True)
    retries: int | None = None
    error_message: str | None = Field(default=None, sa_column=Column(Text))
    error_details: str | None = Field(default=None, sa_column=Column(Text))
    priority: int = long(default=0, nullable=False)
    suspended: bool = False
    activity_id: str
    activity_instance_id: str = Field(max_length=255, index=True)
    execution_id: str = Field(max_length=64)
    process_instance_id: str = Field(sa_column=Column(
        String(64), ForeignKey("process_instance.id", ondelete="CASCADE"), nullable=False,
        index=True))
    process_definition_id: str = Field(max_length=200)
    process_definition_key: str
    process_definition_version_tag: str | None = None
    tenant_id: str | None = None
    business_key: str | None = None
    create_time: datetime = timestamp()


class Batch(SQLModel, table=True):
    __tablename__ = "batch"

    id: str = Field(primary_key=True, max_length=64)
    type: str
    total_jobs: int
    jobs_created: int = 0
    batch_jobs_per_seed: int
    invocations_per_batch_job: int
    seed_job_definition_id: str
    monitor_job_definition_id: str
    batch_job_definition_id: str
    suspended: bool = False
    tenant_id: str | None = None
    create_user_id: str | None = None
    start_time: datetime = timestamp()
    execution_start_time: datetime | None = timestamp(nullable=True)
    # JSON: instructions, processDefinitionId, skip flags, annotation
    configuration: str = Field(sa_column=Column(Text, nullable=False))
    # number of items and how many the seed jobs have handed out so far
    total_items: int
    seed_cursor: int = 0


class BatchItem(SQLModel, table=True):
    """One instance of a batch, stored once; execution jobs address items by ``seq`` range."""

    __tablename__ = "batch_item"

    batch_id: str = Field(primary_key=True, max_length=64)
    seq: int = Field(primary_key=True)
    process_instance_id: str = Field(max_length=64)
    status: str = "pending"
    message: str | None = Field(default=None, sa_column=Column(Text))


class HistoricBatch(SQLModel, table=True):
    __tablename__ = "historic_batch"

    id: str = Field(primary_key=True, max_length=64)
    type: str
    total_jobs: int
    batch_jobs_per_seed: int
    invocations_per_batch_job: int
    seed_job_definition_id: str
    monitor_job_definition_id: str
    batch_job_definition_id: str
    tenant_id: str | None = None
    create_user_id: str | None = None
    start_time: datetime = timestamp()
    execution_start_time: datetime | None = timestamp(nullable=True)
    end_time: datetime | None = timestamp(nullable=True)
    removal_time: datetime | None = timestamp(nullable=True)


class Incident(SQLModel, table=True):
    __tablename__ = "incident"

    id: str = Field(primary_key=True, max_length=64)
    incident_timestamp: datetime = timestamp()
    incident_type: str = "failedJob"
    incident_message: str | None = Field(default=None, sa_column=Column(Text))
    configuration: str | None = Field(default=None, index=True, max_length=64)
    job_definition_id: str | None = None
    process_definition_id: str | None = None
    process_instance_id: str | None = None
    execution_id: str | None = None
    activity_id: str | None = None
    failed_activity_id: str | None = None
    tenant_id: str | None = None
    annotation: str | None = None


class HistoricActivityInstance(SQLModel, table=True):
    """Every activity a token passed through, including those without a runtime activity
    instance (gateways, events, script tasks: started and ended at once)."""

    __tablename__ = "historic_activity_instance"

    id: str = Field(primary_key=True, max_length=255)
    parent_activity_instance_id: str | None = Field(default=None, max_length=255)
    activity_id: str = Field(index=True)
    activity_name: str | None = None
    activity_type: str
    process_definition_key: str | None = None
    process_definition_id: str | None = Field(default=None, max_length=200, index=True)
    process_instance_id: str = Field(max_length=64, index=True)
    execution_id: str | None = Field(default=None, max_length=64)
    task_id: str | None = Field(default=None, max_length=64)
    assignee: str | None = None
    called_process_instance_id: str | None = Field(default=None, max_length=64)
    start_time: datetime = timestamp()
    end_time: datetime | None = timestamp(nullable=True)
    duration_in_millis: int | None = Field(default=None, sa_column=Column(BigInteger))
    canceled: bool = False
    complete_scope: bool = False
    tenant_id: str | None = None
    removal_time: datetime | None = timestamp(nullable=True)
    root_process_instance_id: str | None = Field(default=None, max_length=64)
    sequence_counter: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    # start time in epoch milliseconds, so an UPDATE can compute the duration portably
    start_millis: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))


class HistoricVariableInstance(SQLModel, table=True):
    """A variable as it was last set (Camunda's audit level: no per-update details)."""

    __tablename__ = "historic_variable_instance"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(index=True)
    type: str
    text_value: str | None = Field(default=None, sa_column=Column(Text))
    long_value: int | None = Field(default=None, sa_column=Column(BigInteger))
    double_value: float | None = None
    value_info: str | None = Field(default=None, sa_column=Column(Text))
    process_definition_key: str | None = None
    process_definition_id: str | None = Field(default=None, max_length=200)
    process_instance_id: str = Field(max_length=64, index=True)
    execution_id: str | None = Field(default=None, max_length=64)
    activity_instance_id: str | None = Field(default=None, max_length=255)
    task_id: str | None = None
    tenant_id: str | None = None
    state: str = "CREATED"
    create_time: datetime = timestamp()
    removal_time: datetime | None = timestamp(nullable=True)
    root_process_instance_id: str | None = Field(default=None, max_length=64)


class HistoricIncident(SQLModel, table=True):
    """An incident, open or ended: ``state`` is open, resolved or deleted."""

    __tablename__ = "historic_incident"

    id: str = Field(primary_key=True, max_length=64)
    process_definition_key: str | None = None
    process_definition_id: str | None = Field(default=None, max_length=200)
    process_instance_id: str | None = Field(default=None, max_length=64, index=True)
    execution_id: str | None = None
    root_process_instance_id: str | None = None
    create_time: datetime = timestamp()
    end_time: datetime | None = timestamp(nullable=True)
    removal_time: datetime | None = timestamp(nullable=True)
    incident_type: str = "failedJob"
    activity_id: str | None = None
    failed_activity_id: str | None = None
    cause_incident_id: str | None = None
    root_cause_incident_id: str | None = None
    configuration: str | None = Field(default=None, index=True, max_length=64)
    history_configuration: str | None = None
    incident_message: str | None = Field(default=None, sa_column=Column(Text))
    tenant_id: str | None = None
    job_definition_id: str | None = None
    state: str = "open"
    annotation: str | None = None


class DecisionDefinition(SQLModel, table=True):
    """A deployed DMN decision (table); ids are ``key:version:uuid`` like process definitions'."""

    __tablename__ = "decision_definition"
    __table_args__ = (one_version_per_key("decision_definition"),)

    id: str = Field(primary_key=True, max_length=200)
    key: str
    name: str | None = None
    version: int
    deployment_id: str = Field(sa_column=Column(
        String(64), ForeignKey("deployment.id", ondelete="CASCADE"), nullable=False, index=True))
    resource_name: str
    tenant_id: str | None = None
    version_tag: str | None = None
    history_time_to_live: int | None = None
    category: str | None = None
