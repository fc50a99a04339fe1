"""Call activities across instances: start called instances, pass their end to the caller, cancel
them with their call activity, and let callers catch their errors and escalations.

The runtime works on one instance and only records what crosses instances on its state
(``pending_calls``, ``removed_calls``, ``escaped_errors``, ``escaped_escalations``, an ended
instance with a ``super_process_instance_id``). ``settle`` runs when states are saved: it works
on all of them at once, loading the instances it needs with one query per round, and repeats
until nothing is left to do (a called instance may call again, or complete at once). Everything
happens in the caller's transaction, as in Camunda.
"""

from __future__ import annotations

from typing import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from modbatch.engine import decisions, persistence, repository
from modbatch.engine.runtime import InstanceState, Runtime, new_instance
from modbatch.engine.runtime.behaviours import event_subprocess
from modbatch.engine.runtime.behaviours.call_activity import mapped
from modbatch.engine.runtime.state import PendingCall
from modbatch.engine.variables import TypedValue
from modbatch.errors import BadUserRequest, ProcessEngineError
from modbatch.store.tables import ProcessDefinition, ProcessInstance

# a process that keeps calling itself must fail, not recurse forever
MAX_ROUNDS = 200


def _has_work(state: InstanceState) -> bool:
    return bool(state.pending_calls or state.removed_calls or state.escaped_errors
                or state.escaped_escalations
                or (state.ended and (state.super_process_instance_id is not None
                                     or state.model.has_call_activities)))


def settle(session: Session, states: list[InstanceState]) -> list[InstanceState]:
    """Do the cross-instance work the states recorded; returns every state to write."""
    if not any(_has_work(s) for s in states):
        return states
    return _Settlement(session, states).run()


class _Settlement:
    def __init__(self, session: Session, states: list[InstanceState]) -> None:
        self.session = session
        self.known: dict[str, InstanceState] = {s.id: s for s in states}
        # called instances whose end the caller must not hear of (it caused it, or caught an error)
        self.silenced: set[str] = set()
        self.cascaded: set[str] = set()
        self.definitions: dict[tuple, ProcessDefinition] = {}

    def run(self) -> list[InstanceState]:
        for _ in range(MAX_ROUNDS):
            progressed = self.escaped() | self.ends() | self.cancellations() | self.calls()
            if not progressed:
                return list(self.known.values())
        raise ProcessEngineError(f"Call activities kept calling for {MAX_ROUNDS} rounds; "
                                 "a process calls itself without end")

    def load(self, ids: Iterable[str | None]) -> None:
        missing = [i for i in dict.fromkeys(ids) if i is not None and i not in self.known]
        if missing:
            self.known.update(persistence.load(self.session, missing))

    def caller(self, state: InstanceState):
        """The calling instance and its call activity instance, while both still run."""
        caller = self.known.get(state.super_process_instance_id or "")
        if caller is None or caller.ended:
            return None, None
        return caller, caller.activity_instances.get(state.super_activity_instance_id or "")

    # ------------------------------------------------------------------ errors and escalations
    def escaped(self) -> bool:
        """An error or escalation nobody caught in a called instance goes to its callers."""
        items = [s for s in self.known.values() if s.escaped_errors or s.escaped_escalations]
        if not items:
            return False
        for state in items:
            errors, escalations = list(state.escaped_errors), list(state.escaped_escalations)
            state.escaped_errors.clear()
            state.escaped_escalations.clear()
            for code, message in errors:
                self._error(state, code, message)
            for code in escalations:
                self._escalation(state, code)
        return True

    def _catching_level(self, state: InstanceState, kind: str, code: str | None):
        """Walk up the callers: the first (chain, caller, call activity instance) whose call
        activity or an enclosing scope catches; chain lists the instances passed."""
        chain = [state]
        current = state
        while current.super_process_instance_id is not None:
            self.load([current.super_process_instance_id])
            caller, call_ai = self.caller(current)
            if caller is None or call_ai is None:
                return None
            if _catches(caller, call_ai.id, kind, code):
                return chain, caller, call_ai
            chain.append(caller)
            current = caller
        return None

    def _error(self, state: InstanceState, code: str, message: str | None) -> None:
        found = self._catching_level(state, "Error", code)
        if found is None:
            return  # nobody catches: the token already ended like at a none end event
        chain, caller, call_ai = found
        for called in chain:  # the called instances up to the catching caller are gone
            self._terminate(called, "INTERNALLY_TERMINATED")
        Runtime(caller).throw_bpmn_error(call_ai.id, code, message)

    def _escalation(self, state: InstanceState, code: str | None) -> None:
        found = self._catching_level(state, "Escalation", code)
        if found is None:
            return
        _, caller, call_ai = found
        Runtime(caller).throw_escalation(call_ai.id, code)  # interrupting: the calls below go

    def _terminate(self, state: InstanceState, end_state: str) -> None:
        """End a called instance because of its caller (the caller is not told)."""
        self.silenced.add(state.id)
        if state.end_state in (None, "COMPLETED"):
            state.end_state = end_state
        state.clear()
        state.pending_calls.clear()

    # ------------------------------------------------------------------ called instances end
    def ends(self) -> bool:
        """A called instance ended: completed, its call activity completes with camunda:out;
        cancelled (modification, deletion), its call activity instance is cancelled too."""
        enders = [s for s in self.known.values() if s.ended and s.super_process_instance_id
                  and s.id not in self.silenced]
        if not enders:
            return False
        self.silenced.update(s.id for s in enders)
        self.load(s.super_process_instance_id for s in enders)
        for state in enders:
            caller, call_ai = self.caller(state)
            if caller is None or call_ai is None:
                continue
            if state.end_state != "COMPLETED":
                # as Camunda's delete command: a modification of the caller cancelling the call
                # activity instance; an emptied caller ends INTERNALLY_TERMINATED
                cancelling = Runtime(caller, preserve_scope=True)
                cancelling.cancel_activity_instance(call_ai.id)
                cancelling.finish_modification(externally=False)
                continue
            if caller.suspended:  # the call activity cannot continue in a suspended caller
                raise ProcessEngineError(f"ENGINE-03043 Execution with id '{call_ai.execution_id}' is "
                                         "suspended.", type="SuspendedEntityInteractionException")
            runtime = Runtime(caller)
            activity = caller.model.activities[call_ai.activity_id]
            assert activity.call is not None
            variables: dict[str, TypedValue] = {}
            local: dict[str, TypedValue] = {}
            for mapping in activity.call.outputs:
                (local if mapping.local else variables).update(mapped(state, mapping, state.id))
            runtime.complete_activity(call_ai.id, variables, local)
        return True

    # ------------------------------------------------------------------ cancellation cascades
    def cancellations(self) -> bool:
        """Called instances of removed call activity instances and of ended callers go too."""
        removed: dict[str, InstanceState] = {}
        for state in self.known.values():
            for ai_id in state.removed_calls:
                removed[ai_id] = state
            state.removed_calls.clear()
        ended = {s.id: s for s in self.known.values()
                 if s.ended and s.model.has_call_activities and s.id not in self.cascaded}
        self.cascaded.update(ended)
        if not removed and not ended:
            return False
        found: list[str] = []
        for part in persistence.chunks(list(removed)):
            found += self.session.execute(select(ProcessInstance.id).where(
                ProcessInstance.super_activity_instance_id.in_(list(part)))).scalars().all()
        for part in persistence.chunks(list(ended)):
            found += self.session.execute(select(ProcessInstance.id).where(
                ProcessInstance.super_process_instance_id.in_(list(part)))).scalars().all()
        self.load(found)
        progressed = False
        for state in list(self.known.values()):
            if state.ended:
                continue
            caller = ended.get(state.super_process_instance_id or "")
            if caller is None and state.super_activity_instance_id in removed:
                caller = removed[state.super_activity_instance_id or ""]
                if caller.id != state.super_process_instance_id:
                    continue
            if caller is None:
                continue
            reason = caller.end_state if caller.end_state not in (None, "COMPLETED") \
                else "INTERNALLY_TERMINATED"
            self._terminate(state, reason or "INTERNALLY_TERMINATED")
            progressed = True
        return progressed or bool(removed) or bool(ended)

    # ------------------------------------------------------------------ starting called instances
    def calls(self) -> bool:
        pending = [(s, call) for s in self.known.values() for call in s.pending_calls]
        if not pending:
            return False
        for state, _ in pending:
            state.pending_calls.clear()
        for state, call in pending:
            if state.ended or call.activity_instance_id not in state.activity_instances:
                continue
            definition = self.resolve(state, call)
            if definition.suspended:
                raise BadUserRequest(
                    f"Cannot start process instance. Process definition "
                    f"{definition.name or definition.key} (id = {definition.id}) is suspended")
            model = repository.model_for(self.session, definition)
            called = new_instance(model, process_definition_id=definition.id,
                                  business_key=call.business_key, tenant_id=definition.tenant_id)
            called.super_process_instance_id = state.id
            called.super_activity_instance_id = call.activity_instance_id
            called.root_process_instance_id = state.root_process_instance_id or state.id
            decisions.hand_to(self.session, [called])  # its business rule tasks find their decisions
            Runtime(called).start(call.variables)
            self.known[called.id] = called
            record = state.history.started.get(call.activity_instance_id) if state.history else None
            if record is not None:  # the historic call activity instance names what it called
                record.called_process_instance_id = called.id
        return True

    def resolve(self, state: InstanceState, call: PendingCall) -> ProcessDefinition:
        """Camunda's CallableElementUtil: the binding picks the version, in the caller's tenant
        unless camunda:calledElementTenantId names one."""
        tenant = call.tenant[0] if call.tenant is not None else state.tenant_id
        shown = "null" if tenant is None else tenant  # as Java prints it
        deployment_id = None
        if call.binding == "deployment":
            caller_definition = self.session.get(ProcessDefinition, state.process_definition_id)
            deployment_id = caller_definition.deployment_id if caller_definition else None
        key = (call.key, call.binding, call.version, call.version_tag, tenant, deployment_id)
        if key in self.definitions:
            return self.definitions[key]
        pd = ProcessDefinition
        stmt = select(pd).where(pd.key == call.key)
        if call.binding == "deployment":
            stmt = stmt.where(pd.deployment_id == deployment_id)
            message = f"no processes deployed with key = '{call.key}' in deployment = '{deployment_id}'"
        else:
            stmt = stmt.where(pd.tenant_id.is_(None) if tenant is None else pd.tenant_id == tenant)
            if call.binding == "version":
                stmt = stmt.where(pd.version == call.version)
                message = (f"no processes deployed with key = '{call.key}', version = '{call.version}' "
                           f"and tenant-id = '{shown}'")
            elif call.binding == "versionTag":
                stmt = stmt.where(pd.version_tag == call.version_tag)
                message = (f"no processes deployed with key = '{call.key}', versionTag = "
                           f"'{call.version_tag}' and tenant-id = '{shown}'")
            else:
                message = f"no processes deployed with key '{call.key}' and tenant-id '{shown}'"
        definition = self.session.execute(stmt.order_by(pd.version.desc()).limit(1)).scalar_one_or_none()
        if definition is None:
            raise ProcessEngineError(f"{message}: processDefinition is null", type="NullValueException")
        self.definitions[key] = definition
        return definition


def unlink_called(session: Session, instance_id: str) -> None:
    """The instances ``instance_id`` called forget their caller (DELETE with skipSubprocesses);
    like Camunda's, their root process instance id stays what it was at their start."""
    session.execute(update(ProcessInstance).where(ProcessInstance.super_process_instance_id == instance_id)
                    .values(super_process_instance_id=None, super_activity_instance_id=None))



def _catches(caller: InstanceState, call_ai_id: str, kind: str, code: str | None) -> bool:
    """Whether an error or escalation (``kind`` "Error" / "Escalation") thrown at the call
    activity instance is caught in ``caller``: by a boundary event on it or on an enclosing
    sub-process, or by an event sub-process of an enclosing scope, as the runtime would look."""
    chain = caller.ancestors(call_ai_id)
    probe = Runtime(caller)
    for ai_id in chain:
        if any(s.event_name is None or s.event_name == code
               for s in event_subprocess.handlers(probe, ai_id, f"{kind[0].lower()}{kind[1:]}StartEvent",
                                                   chain)):
            return True
        if ai_id == caller.id:
            return False
        ai = caller.activity_instances[ai_id]
        if ai.is_transition:
            continue
        model = caller.model
        if any(model.activities[b].type == f"boundary{kind}"
               and model.activities[b].event_name in (None, code)
               for b in model.boundary_events.get(ai.activity_id, ())):
            return True
    return False
