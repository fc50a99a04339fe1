"""Process instance modification: instructions, their validation, and applying them to instances.

The same ``modify`` runs for the synchronous, the batch and the single-instance paths, so the
three cannot drift apart. It works on an in-memory ``InstanceState``; callers decide whether a
failure rolls back everything (sync) or only that instance (batch execution jobs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from sqlalchemy.orm import Session

from modbatch.engine import calls, instances, modification_plan, persistence, repository
from modbatch.engine.history import queries as history_queries
from modbatch.engine.runtime import InstanceState, Runtime
from modbatch.engine.variables import TypedValue, from_dto
from modbatch.errors import (
    BadUserRequest,
    InvalidRequest,
    NotValidError,
    ProcessEngineError,
)

TYPES = ("cancel", "startBeforeActivity", "startAfterActivity", "startTransition")


@dataclass(frozen=True)
class Instruction:
    type: str
    activity_id: str | None = None
    transition_id: str | None = None
    cancel_current_active_activity_instances: bool = False
    activity_instance_id: str | None = None
    transition_instance_id: str | None = None
    ancestor_activity_instance_id: str | None = None
    # name → (value, local); only the single-instance endpoints carry variables
    variables: Mapping[str, tuple[TypedValue, bool]] = field(default_factory=dict)

    def describe(self) -> str:
        """Camunda's describe() of an instruction, the head of its failure messages."""
        ancestor = (f" with ancestor activity instance '{self.ancestor_activity_instance_id}'"
                    if self.ancestor_activity_instance_id else "")
        if self.type == "startBeforeActivity":
            return f"Start before activity '{self.activity_id}'{ancestor}"
        if self.type == "startAfterActivity":
            return f"Start after activity '{self.activity_id}'{ancestor}"
        if self.type == "startTransition":
            return f"Start transition '{self.transition_id}'{ancestor}"
        if self.activity_instance_id:
            return f"Cancel activity instance '{self.activity_instance_id}'"
        if self.transition_instance_id:
            return f"Cancel transition instance '{self.transition_instance_id}'"
        return f"Cancel all of activity '{self.activity_id}'"

    def to_json(self) -> dict[str, Any]:
        """The form stored in a batch's configuration.

        Like Camunda's ModificationCmdJsonConverter it never stores variables: instruction
        variables given to ``modification-async`` are dropped (reference C.7).
        """
        data: dict[str, Any] = {"type": self.type}
        for key, value in (("activityId", self.activity_id), ("transitionId", self.transition_id),
                           ("activityInstanceId", self.activity_instance_id),
                           ("transitionInstanceId", self.transition_instance_id),
                           ("ancestorActivityInstanceId", self.ancestor_activity_instance_id)):
            if value is not None:
                data[key] = value
        if self.cancel_current_active_activity_instances:
            data["cancelCurrentActiveActivityInstances"] = True
        return data


def _string(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    return value if isinstance(value, str) and value != "" else None


def parse_instruction(raw: Any, *, single: bool) -> Instruction:
    """Validate one instruction DTO with the REST layer's messages.

    ``single`` selects the single-instance rules: cancel may name an activity instance or a
    transition instance, and instructions may carry variables and an ancestor.
    """
    if not isinstance(raw, Mapping):
        raise InvalidRequest("An instruction must be a JSON object")
    kind = raw.get("type")
    if kind not in TYPES:
        raise InvalidRequest(f"Unknown instruction type '{kind}'; expected one of "
                             f"{', '.join(TYPES)}")
    activity_id, transition_id = _string(raw, "activityId"), _string(raw, "transitionId")
    if kind == "cancel":
        if single:
            targets = [_string(raw, k) for k in
                       ("activityId", "activityInstanceId", "transitionInstanceId")]
            if sum(t is not None for t in targets) != 1:
                raise InvalidRequest(
                    "For instruction type 'cancel': exactly one, 'activityId', "
                    "'activityInstanceId', or 'transitionInstanceId', is required")
        elif activity_id is None:
            raise InvalidRequest("For instruction type 'cancel': 'activityId' must be set")
    elif kind == "startTransition":
        if transition_id is None:
            raise InvalidRequest("For instruction type 'startTransition': 'transitionId' must be set")
    elif activity_id is None:
        raise InvalidRequest(f"For instruction type '{kind}': 'activityId' must be set")
    variables: dict[str, tuple[TypedValue, bool]] = {}
    if single and isinstance(raw.get("variables"), Mapping):
        # a cancel sets no variable, but its variables must still be valid ones: the spec
        # declares them, so a request with a bad one is refused whatever the instruction type
        for name, dto in raw["variables"].items():
            variables[name] = (from_dto(name, dto), bool(isinstance(dto, Mapping) and dto.get("local")))
        if kind == "cancel":
            variables = {}
    return Instruction(
        type=kind, activity_id=activity_id, transition_id=transition_id,
        cancel_current_active_activity_instances=(
            kind == "cancel" and not single and raw.get("cancelCurrentActiveActivityInstances") is True),
        activity_instance_id=_string(raw, "activityInstanceId") if single and kind == "cancel" else None,
        transition_instance_id=_string(raw, "transitionInstanceId") if single and kind == "cancel" else None,
        ancestor_activity_instance_id=(_string(raw, "ancestorActivityInstanceId")
                                       if single and kind != "cancel" else None),
        variables=variables)


def parse_instructions(raw: Any, *, single: bool) -> list[Instruction]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InvalidRequest("instructions must be an array")
    return [parse_instruction(item, single=single) for item in raw]


@dataclass
class ModificationRequest:
    """A validated multi-instance modification (``/modification/execute[Async]``)."""

    process_definition_id: str
    instructions: list[Instruction]
    instance_ids: list[str]
    skip_custom_listeners: bool
    skip_io_mappings: bool
    annotation: str | None
    # a SELECT of further instance ids (ordered by id) that a batch stores set-based, never
    # reading them into memory; only ``collect_request(set_based_query=True)`` fills it
    instance_query: Any = None


def collect_request(session: Session, dto: Mapping[str, Any], *,
                    set_based_query: bool = False) -> ModificationRequest:
    """Validate a ModificationDto in Camunda's order (reference B.2) and freeze its instance ids.

    With ``set_based_query`` a request whose only source of ids is a processInstanceQuery keeps
    the query as a SELECT (``instance_query``) for the batch to store with one INSERT ... SELECT:
    a query over a million instances never becomes a million Python strings."""
    definition_id = dto.get("processDefinitionId")
    if definition_id is None:
        raise InvalidRequest("processDefinitionId is null")
    if not isinstance(definition_id, str):
        raise InvalidRequest("processDefinitionId must be a string")
    instructions = parse_instructions(dto.get("instructions"), single=False)
    if not instructions:
        raise InvalidRequest("Modification instructions cannot be empty is empty")
    raw_ids = dto.get("processInstanceIds")
    if raw_ids is not None and not isinstance(raw_ids, list):
        raise InvalidRequest("processInstanceIds must be an array of strings")
    ids: list[Any] = list(raw_ids or [])
    query = dto.get("processInstanceQuery")
    instance_query = None
    if query is not None:
        if not isinstance(query, Mapping):
            raise InvalidRequest("processInstanceQuery must be an object")
        if set_based_query and not ids and dto.get("historicProcessInstanceQuery") is None:
            instance_query = instances.ids_query(query)
        else:
            ids += instances.ids_matching(session, query)
    ids += historic_ids(session, dto.get("historicProcessInstanceQuery"))
    if not ids and (instance_query is None
                    or session.execute(instance_query.order_by(None).limit(1)).first() is None):
        raise InvalidRequest("Process instance ids cannot be empty: Process instance ids is empty")
    if any(i is None for i in ids):
        raise InvalidRequest(
            "Process instance ids cannot be null: Process instance ids contains null value")
    if any(not isinstance(i, str) for i in ids):
        raise InvalidRequest("Process instance ids must be strings")
    try:
        repository.require_definition(session, definition_id)
    except BadUserRequest as error:  # Camunda's 400; a missing definition is a 404 here (README)
        raise InvalidRequest(error.message, status=404) from None
    return ModificationRequest(
        process_definition_id=definition_id, instructions=instructions,
        instance_ids=list(dict.fromkeys(ids)),
        skip_custom_listeners=dto.get("skipCustomListeners") is True,
        skip_io_mappings=dto.get("skipIoMappings") is True,
        annotation=dto.get("annotation") if isinstance(dto.get("annotation"), str) else None,
        instance_query=instance_query)


def historic_ids(session: Session, query: Any) -> list[str]:
    """The ids a ModificationDto's historicProcessInstanceQuery matches (Camunda 7.22): added to
    the union as they are, so a finished instance it selects fails when it is modified."""
    if query is None:
        return []
    if not isinstance(query, Mapping):
        raise InvalidRequest("historicProcessInstanceQuery must be an object")
    return history_queries.process_instance_ids(session, history_queries.typed_process_query(query))


# ---------------------------------------------------------------------------- execution
def modify(state: InstanceState, instructions: Iterable[Instruction], *,
           skip_io_mappings: bool = False, skip_custom_listeners: bool = False,
           externally: bool = False) -> None:
    """Apply instructions in order to one instance; the instance is kept until the last one."""
    instructions = list(instructions)
    runtime = Runtime(state, skip_io_mappings=skip_io_mappings,
                      skip_custom_listeners=skip_custom_listeners, preserve_scope=True)
    snapshots = {
        index: [(ai.id, ai.is_transition) for ai in state.activity_instances.values()
                if ai.activity_id == (ins.activity_id or "")]
        for index, ins in enumerate(instructions)
        if ins.type == "cancel" and ins.cancel_current_active_activity_instances
    }
    for index, instruction in enumerate(instructions):
        if instruction.type == "cancel":
            _cancel(runtime, instruction, snapshots.get(index))
        else:
            _start(runtime, instruction)
    runtime.finish_modification(externally=externally)


def _cancel(runtime: Runtime, instruction: Instruction,
            snapshot: list[tuple[str, bool]] | None) -> None:
    state = runtime.state
    if instruction.transition_instance_id is not None:
        x = instruction.transition_instance_id
        node = state.activity_instances.get(x)
        if node is None or not node.is_transition:
            raise NotValidError(f"Cannot perform instruction: {instruction.describe()}; Transition "
                                f"instance '{x}' does not exist: transitionInstance is null")
        runtime.cancel_activity_instance(x)
        return
    if instruction.activity_instance_id is not None:
        ai_id = instruction.activity_instance_id
        node = state.activity_instances.get(ai_id)
        if node is None or node.is_transition:
            raise NotValidError(f"Cannot perform instruction: {instruction.describe()}; Activity "
                                f"instance '{ai_id}' does not exist: activityInstance is null")
        runtime.cancel_activity_instance(ai_id)
        return
    if snapshot is not None:
        for ai_id, transition in snapshot:
            if ai_id not in state.activity_instances:
                kind = "Transition" if transition else "Activity"
                description = f"Cancel {kind.lower()} instance '{ai_id}'"
                raise NotValidError(f"Cannot perform instruction: {description}; {kind} "
                                    f"instance '{ai_id}' does not exist: "
                                    f"{kind[0].lower() + kind[1:]}Instance is null")
            runtime.cancel_activity_instance(ai_id)
        return
    # every activity and transition instance of the activity, as Camunda's cancelAll
    targets = [ai.id for ai in sorted(state.activity_instances.values(), key=lambda a: a.seq)
               if ai.activity_id == (instruction.activity_id or "")]
    for ai_id in targets:
        if ai_id in state.activity_instances:  # an earlier cancellation may have taken it along
            runtime.cancel_activity_instance(ai_id)



def _start(runtime: Runtime, instruction: Instruction) -> None:
    state, model = runtime.state, runtime.model
    prefix = f"Cannot perform instruction: {instruction.describe()}; "
    if instruction.type == "startBeforeActivity":
        target = instruction.activity_id or ""
        if target not in model.activities:
            raise NotValidError(f"{prefix}Element '{target}' does not exist in process "
                                f"'{state.process_definition_id}': element is null")
        flow_scope = model.activities[target].scope_id
        element = target
    elif instruction.type == "startAfterActivity":
        source = instruction.activity_id or ""
        if source not in model.activities:
            raise NotValidError(f"{prefix}Activity '{source}' does not exist: activity is null")
        outgoing = model.activities[source].outgoing
        if not outgoing:
            raise ProcessEngineError(f"Cannot start after activity {source}; activity has no "
                                     "outgoing sequence flow to take", status=400)
        if len(outgoing) > 1:
            raise ProcessEngineError(f"Cannot start after activity {source}; activity has more "
                                     "than one outgoing sequence flow", status=400)
        target = outgoing[0]
        flow_scope = model.activities[model.flows[target].target_id].scope_id
        element = target  # Camunda names the outgoing flow in its messages
    else:
        target = instruction.transition_id or ""
        if target not in model.flows:
            raise NotValidError(f"{prefix}Element '{target}' does not exist in process "
                                f"'{state.process_definition_id}': element is null")
        flow_scope = model.activities[model.flows[target].source_id].scope_id
        element = target

    parent, created = _parent_scope_instance(runtime, instruction, flow_scope, prefix, element)
    for name, (value, local) in instruction.variables.items():
        if not local:
            runtime.set_variable(name, value, parent)
    local_variables = {n: v for n, (v, local) in instruction.variables.items() if local}
    if instruction.type == "startBeforeActivity":
        runtime.start_before(target, parent, local_variables, created)
    else:
        runtime.start_transition(target, parent, local_variables, created)


def _parent_scope_instance(runtime: Runtime, instruction: Instruction, flow_scope: str,
                           prefix: str, element: str) -> tuple[str, list[str]]:
    """Find (or create) the scope instance the new token starts in (reference C.4 step 3-4)."""
    state, model = runtime.state, runtime.model
    chain = [flow_scope]
    while chain[-1] != model.id:
        chain.append(model.activities[chain[-1]].scope_id)
    ancestor = instruction.ancestor_activity_instance_id
    if ancestor is not None:
        if not state.alive(ancestor):
            raise NotValidError(f"{prefix}Ancestor activity instance '{ancestor}' does not exist: "
                                "ancestorInstance is null")
        scope_activity = state.scope_activity(ancestor)
        if scope_activity not in chain:
            raise NotValidError(f"{prefix}Scope execution for '{ancestor}' cannot be found in "
                                f"parent hierarchy of flow element '{element}'")
        depth, parent = chain.index(scope_activity), ancestor
    else:
        for depth, scope in enumerate(chain):
            if scope == model.id:
                parent = state.id
                break
            existing = state.instances_of(scope)
            if len(existing) > 1:
                # Camunda names the target's flow scope here, not the ambiguous ancestor
                raise ProcessEngineError(
                    f"Ancestor activity execution is ambiguous for activity Activity({flow_scope})",
                    status=400)
            if existing:
                parent = existing[0].id
                break
    created = runtime.instantiate_scopes(reversed(chain[:depth]), parent)
    return (created[-1] if created else parent), created


def check_instance(state: InstanceState | None, instance_id: str,
                   process_definition_id: str | None) -> InstanceState:
    """ENGINE-13036 / ENGINE-13037: the instance must exist and belong to the definition."""
    if state is None:
        raise ProcessEngineError(f"ENGINE-13036 Process instance '{instance_id}' cannot be "
                                 "modified. The process instance does not exist", status=404)
    if process_definition_id is not None and state.process_definition_id != process_definition_id:
        raise ProcessEngineError(
            f"ENGINE-13037 Process instance '{instance_id}' cannot be modified. Its process "
            f"definition '{state.process_definition_id}' does not match given process definition "
            f"'{process_definition_id}'", status=400)
    return state


def execute_sync(session: Session, request: ModificationRequest) -> None:
    """All or nothing: any failing instance raises, and the caller's transaction rolls back."""
    states = persistence.load(session, request.instance_ids)
    modified = []
    for instance_id in request.instance_ids:
        state = check_instance(states.get(instance_id), instance_id, request.process_definition_id)
        modify(state, request.instructions, skip_io_mappings=request.skip_io_mappings,
               skip_custom_listeners=request.skip_custom_listeners)
        modified.append(state)
    instances.save(session, modified)


def modify_single(session: Session, instance_id: str, instructions: list[Instruction], *,
                  skip_io_mappings: bool, skip_custom_listeners: bool = False) -> None:
    state = check_instance(instances.load_one(session, instance_id), instance_id, None)
    modify(state, instructions, skip_io_mappings=skip_io_mappings,
           skip_custom_listeners=skip_custom_listeners, externally=True)
    instances.save(session, [state])


@dataclass
class PartialResult:
    """What a batch execution job achieved: modified ids and failures by id."""

    modified: list[str]
    failed: dict[str, str]


def execute_partial(session: Session, instance_ids: list[str], instructions: list[Instruction], *,
                    process_definition_id: str | None, skip_io_mappings: bool,
                    skip_custom_listeners: bool = False) -> PartialResult:
    """Modify what can be modified, keep going past failing instances, write the successes.

    Instructions that only move tokens between plain user tasks run as a compiled plan
    (``modification_plan``); the instances it leaves over take the general path below."""
    plan = modification_plan.plan_for(session, process_definition_id, instructions,
                                      skip_io_mappings=skip_io_mappings,
                                      skip_custom_listeners=skip_custom_listeners)
    if plan is not None:
        planned, instance_ids = modification_plan.apply(session, plan, instance_ids)
        if not instance_ids:
            return PartialResult(planned, {})
        rest = _general_partial(session, instance_ids, instructions, process_definition_id,
                                skip_io_mappings, skip_custom_listeners)
        return PartialResult(planned + rest.modified, rest.failed)
    return _general_partial(session, instance_ids, instructions, process_definition_id,
                            skip_io_mappings, skip_custom_listeners)


def _general_partial(session: Session, instance_ids: list[str], instructions: list[Instruction],
                     process_definition_id: str | None, skip_io_mappings: bool,
                     skip_custom_listeners: bool) -> PartialResult:
    states = persistence.load(session, instance_ids)
    modified, failed = [], {}
    for instance_id in instance_ids:
        try:
            state = check_instance(states.get(instance_id), instance_id, process_definition_id)
            modify(state, instructions, skip_io_mappings=skip_io_mappings,
                   skip_custom_listeners=skip_custom_listeners)
        except ProcessEngineError as error:
            failed[instance_id] = error.message
            continue
        modified.append(state)
    try:  # called instances start here: one of them failing must not fail the others
        settled = calls.settle(session, modified)
    except ProcessEngineError:
        return _one_by_one(session, [s.id for s in modified], failed, instructions,
                           process_definition_id, skip_io_mappings, skip_custom_listeners)
    instances.save(session, settled, settled=True)
    return PartialResult([s.id for s in modified], failed)


def _one_by_one(session: Session, instance_ids: list[str], failed: dict[str, str],
                instructions: list[Instruction], process_definition_id: str | None,
                skip_io_mappings: bool, skip_custom_listeners: bool) -> PartialResult:
    """The set failed while starting or ending called instances: redo it an instance at a time,
    each written before the next is loaded, so only the failing ones are left out."""
    modified = []
    for instance_id in instance_ids:
        try:
            state = check_instance(instances.load_one(session, instance_id), instance_id,
                                   process_definition_id)
            modify(state, instructions, skip_io_mappings=skip_io_mappings,
                   skip_custom_listeners=skip_custom_listeners)
            instances.save(session, [state])
        except persistence.OptimisticLockingError:
            raise  # a concurrent change fails the whole job, which runs again (no item failure)
        except ProcessEngineError as error:
            failed[instance_id] = error.message
            continue
        modified.append(instance_id)
    return PartialResult(modified, failed)
