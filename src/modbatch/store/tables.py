"""The runtime and repository tables. Column names follow Camunda's vocabulary, not its ACT_ names."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, ForeignKey, Index, LargeBinary, String, Text
from sqlmodel import Field, SQLModel


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
    __table_args__ = (Index("ix_process_definition_key_version", "key", "version"),)

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
    parent_id: str = Field(max_length=255)
    activity_id: str = Field(index=True)
    activity_type: str
    activity_name: str | None = None
    execution_id: str = Field(max_length=64)
    # creation order inside the instance, so trees render in a stable order
    seq: int = 0


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
    long_value: int | None = None
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
