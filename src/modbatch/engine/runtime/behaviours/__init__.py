"""One behaviour per BPMN element family, looked up by Camunda's activity type."""

from __future__ import annotations

from modbatch.engine.runtime.behaviours import event_subprocess
from modbatch.engine.runtime.behaviours.base import Behaviour
from modbatch.engine.runtime.behaviours.call_activity import CallActivity
from modbatch.engine.runtime.behaviours.decisions import BusinessRuleTask
from modbatch.engine.runtime.behaviours.compensation import (
    CancelEndEvent,
    CompensationBoundaryEvent,
    CompensationThrowEvent,
)
from modbatch.engine.runtime.behaviours.events import (
    BoundaryEvent,
    EndEvent,
    ErrorEndEvent,
    EscalationEndEvent,
    EscalationThrowEvent,
    MessageCatchEvent,
    NoneThrowEvent,
    SignalCatchEvent,
    SignalEndEvent,
    SignalThrowEvent,
    StartEvent,
    TerminateEndEvent,
    TimerCatchEvent,
)
from modbatch.engine.runtime.behaviours.gateways import (
    EventBasedGateway,
    ExclusiveGateway,
    InclusiveGateway,
    ParallelGateway,
)
from modbatch.engine.runtime.behaviours.multi_instance import MultiInstanceBody
from modbatch.engine.runtime.behaviours.subprocess import SubProcess
from modbatch.engine.runtime.behaviours.tasks import PlainTask, ReceiveTask, ServiceTask, UserTask

_service, _boundary, _start = ServiceTask(), BoundaryEvent(), StartEvent()

BEHAVIOURS: dict[str, Behaviour] = {
    "startEvent": _start, "messageStartEvent": _start, "signalStartEvent": _start,
    "startTimerEvent": _start,
    "noneEndEvent": EndEvent(), "terminateEndEvent": TerminateEndEvent(),
    "errorEndEvent": ErrorEndEvent(), "escalationEndEvent": EscalationEndEvent(),
    "signalEndEvent": SignalEndEvent(), "messageEndEvent": _service,
    "intermediateNoneThrowEvent": NoneThrowEvent(), "intermediateSignalThrow": SignalThrowEvent(),
    "intermediateEscalationThrowEvent": EscalationThrowEvent(),
    "intermediateMessageThrowEvent": _service,
    "intermediateTimer": TimerCatchEvent(), "intermediateMessageCatch": MessageCatchEvent(),
    "intermediateSignalCatch": SignalCatchEvent(),
    "boundaryTimer": _boundary, "boundaryMessage": _boundary, "boundarySignal": _boundary,
    "boundaryError": _boundary, "boundaryEscalation": _boundary,
    "task": PlainTask(), "manualTask": PlainTask(), "userTask": UserTask(),
    "receiveTask": ReceiveTask(), "serviceTask": _service, "sendTask": _service,
    "businessRuleTask": BusinessRuleTask(), "scriptTask": _service,
    "exclusiveGateway": ExclusiveGateway(), "parallelGateway": ParallelGateway(),
    "inclusiveGateway": InclusiveGateway(), "eventBasedGateway": EventBasedGateway(),
    "subProcess": SubProcess(), "callActivity": CallActivity(),
    "intermediateCompensationThrowEvent": CompensationThrowEvent(),
    "compensationEndEvent": CompensationThrowEvent(), "cancelEndEvent": CancelEndEvent(),
    "compensationBoundaryCatch": CompensationBoundaryEvent(), "cancelBoundaryCatch": _boundary,
    "transaction": SubProcess(), "compensationStartEvent": _start,
    "multiInstanceBody": MultiInstanceBody(),
}
BEHAVIOURS.update(event_subprocess.BEHAVIOURS)

__all__ = ["BEHAVIOURS", "Behaviour"]
