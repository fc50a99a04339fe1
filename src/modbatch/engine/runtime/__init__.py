"""The runtime: instance state, the token loop, and one behaviour per BPMN element family."""

from modbatch.engine.runtime.behaviours.base import UnsupportedImplementation
from modbatch.engine.runtime.runtime import Runtime, truthy
from modbatch.engine.runtime.state import (
    ActivityInstanceState,
    ExternalTaskState,
    InstanceState,
    JobState,
    SubscriptionState,
    TaskState,
    VariableState,
    activity_instance_id,
    new_id,
    new_instance,
)

__all__ = [
    "ActivityInstanceState", "ExternalTaskState", "InstanceState", "JobState", "Runtime",
    "SubscriptionState", "TaskState", "UnsupportedImplementation", "VariableState",
    "activity_instance_id", "new_id", "new_instance", "truthy",
]
