"""Multi-instance bodies: one scope instance (``<id>#multiInstanceBody``) repeating its inner activity.

The body holds ``nrOfInstances``, ``nrOfActiveInstances`` and ``nrOfCompletedInstances`` as local
variables. Parallel bodies create every inner instance at once, each with a local ``loopCounter``
(and the element variable of a collection); sequential bodies run one inner instance after the
other and keep ``loopCounter`` and the element variable themselves, as Camunda's
Parallel/SequentialMultiInstanceActivityBehavior do. The completion condition is evaluated after
every inner completion; when it holds, the remaining inner instances are cancelled.

A parallel body completes when no inner instance is left, whatever ``nrOfInstances`` says
(Camunda joins on its concurrent executions). Modification can add inner instances to a parallel
body (``nrOfInstances`` and ``nrOfActiveInstances`` grow, ``loopCounter`` continues) but not to a
sequential one that already runs one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from modbatch.engine.bpmn.model import Activity, LoopCharacteristics
from modbatch.engine.runtime.behaviours.base import Behaviour
from modbatch.engine.runtime.state import ActivityInstanceState
from modbatch.engine.variables import TypedValue, infer, plain
from modbatch.errors import ProcessEngineError

if TYPE_CHECKING:
    from modbatch.engine.runtime.runtime import Runtime

NR_OF_INSTANCES = "nrOfInstances"
NR_OF_ACTIVE = "nrOfActiveInstances"
NR_OF_COMPLETED = "nrOfCompletedInstances"
LOOP_COUNTER = "loopCounter"
_ENDED = "multi-instance-ended:"


def _integer(value: int) -> TypedValue:
    return TypedValue("Integer", value)


class MultiInstanceBody(Behaviour):
    def execute(self, rt: "Runtime", activity: Activity, scope_id: str) -> None:
        loop = activity.loop
        assert loop is not None
        body = rt.create_instance(activity, scope_id)
        collection = self._collection(rt, loop, body.id) if loop.collection is not None else None
        count = len(collection) if collection is not None else self._cardinality(rt, loop, body.id)
        self._set(rt, body, NR_OF_INSTANCES, count)
        self._set(rt, body, NR_OF_COMPLETED, 0)
        self._set(rt, body, NR_OF_ACTIVE, 0 if count == 0 else (1 if loop.sequential else count))
        if count == 0:
            rt.complete(body)
            return
        inner = rt.model.activities[loop.inner_id]
        if loop.sequential:
            self._set_iteration(rt, body, loop, 0)
            rt.push("enter", inner.id, body.id)
            return
        # every inner instance counts as on its way, so one that completes at once does not
        # find the body empty and complete it before its siblings exist
        rt.inflight[body.id] += count
        for index in range(count):
            rt.inflight[body.id] -= 1
            if body.id not in rt.state.activity_instances:
                continue  # the completion condition or an error ended the body meanwhile
            self._enter_inner(rt, inner, body, self._iteration_locals(loop, index, collection))

    # ---------------------------------------------------------------- inner instances end
    def child_completing(self, rt: "Runtime", scope: ActivityInstanceState,
                         child: ActivityInstanceState) -> None:
        """Keep the ending inner instance's loopCounter and element for the completion condition,
        which Camunda evaluates on the ended (concurrent) execution."""
        loop = self._loop(rt, scope)
        if loop.sequential or child.activity_id != loop.inner_id:
            return
        if rt.model.activities[loop.inner_id].async_after:
            return  # the body hears of it only when the continuation's job has run
        names = {LOOP_COUNTER, loop.element_variable}
        rt.notes[_ENDED + scope.id] = {name: plain(value) for name, value
                                       in rt.state.local_variables(child.id).items() if name in names}

    def token_ended_inside(self, rt: "Runtime", scope: ActivityInstanceState) -> bool:
        """An inner instance completed: count it, then continue, or complete the body."""
        if scope.id not in rt.state.activity_instances:
            return True
        loop = self._loop(rt, scope)
        completed = self._get(rt, scope, NR_OF_COMPLETED) + 1
        self._set(rt, scope, NR_OF_COMPLETED, completed)
        if loop.sequential:
            next_index = self._get(rt, scope, LOOP_COUNTER) + 1
            if next_index >= self._get(rt, scope, NR_OF_INSTANCES) or self._condition(rt, loop, scope):
                self._set(rt, scope, NR_OF_ACTIVE, 0)
                self._complete(rt, scope)
                return True
            self._set_iteration(rt, scope, loop, next_index)
            rt.push("enter", loop.inner_id, scope.id)
            return True
        self._set(rt, scope, NR_OF_ACTIVE, max(self._get(rt, scope, NR_OF_ACTIVE) - 1, 0))
        if self._condition(rt, loop, scope, rt.notes.pop(_ENDED + scope.id, None)):
            for child in rt.state.children(scope.id):
                rt.remove_subtree(child.id, cancelled=True)
            rt.drop_tokens_in(scope.id)
            self._complete(rt, scope)
        elif not rt.state.children(scope.id) and not rt.inflight[scope.id]:
            self._complete(rt, scope)
        return True

    @staticmethod
    def _complete(rt: "Runtime", body: ActivityInstanceState) -> None:
        for child in rt.state.children(body.id):  # e.g. a waiting asyncAfter of an inner instance
            rt.remove_subtree(child.id, cancelled=True)
        rt.complete(body)

    # ---------------------------------------------------------------- modification
    def child_started(self, rt: "Runtime", scope: ActivityInstanceState, child: Activity) -> None:
        """One more inner instance, started by a modification inside an existing (or just
        created) body: parallel bodies count it in, sequential ones accept only a first one."""
        loop = self._loop(rt, scope)
        if child.id != loop.inner_id:
            return
        if loop.sequential and (rt.state.children(scope.id) or self._get(rt, scope, NR_OF_ACTIVE) > 0):
            raise ProcessEngineError(
                f"Concurrent instantiation not possible for activities in scope {scope.activity_id}")
        # as Camunda's createInnerInstance: the new instance's loopCounter is the old nrOfInstances
        index = self._get(rt, scope, NR_OF_INSTANCES)
        self._set(rt, scope, NR_OF_INSTANCES, index + 1)
        self._set(rt, scope, NR_OF_ACTIVE, self._get(rt, scope, NR_OF_ACTIVE) + 1)
        if self._variable(rt, scope, NR_OF_COMPLETED) is None:
            self._set(rt, scope, NR_OF_COMPLETED, 0)
        if loop.sequential:
            self._set(rt, scope, LOOP_COUNTER, index)
            return
        rt.stage_locals(child.id, {LOOP_COUNTER: _integer(index)})

    def child_cancelled(self, rt: "Runtime", scope: ActivityInstanceState) -> None:
        """A modification cancelled an inner instance: one active instance less."""
        if self._variable(rt, scope, NR_OF_ACTIVE) is not None:
            self._set(rt, scope, NR_OF_ACTIVE, max(self._get(rt, scope, NR_OF_ACTIVE) - 1, 0))

    # ---------------------------------------------------------------- helpers
    @staticmethod
    def _loop(rt: "Runtime", body: ActivityInstanceState) -> LoopCharacteristics:
        loop = rt.model.activities[body.activity_id].loop
        assert loop is not None
        return loop

    def _enter_inner(self, rt: "Runtime", inner: Activity, body: ActivityInstanceState,
                     locals_: dict[str, TypedValue]) -> None:
        rt.stage_locals(inner.id, locals_)
        rt.enter(inner, body.id)

    def _iteration_locals(self, loop: LoopCharacteristics, index: int,
                          collection: list[Any] | None) -> dict[str, TypedValue]:
        values = {LOOP_COUNTER: _integer(index)}
        if loop.element_variable and collection is not None:
            values[loop.element_variable] = infer(collection[index])
        return values

    def _set_iteration(self, rt: "Runtime", body: ActivityInstanceState, loop: LoopCharacteristics,
                       index: int) -> None:
        """Sequential: the body itself carries loopCounter and the current element."""
        self._set(rt, body, LOOP_COUNTER, index)
        if loop.element_variable and loop.collection is not None:
            collection = self._collection(rt, loop, body.id)
            if index < len(collection):
                rt.set_variable(loop.element_variable, infer(collection[index]), body.id, local=True)

    @staticmethod
    def _variable(rt: "Runtime", body: ActivityInstanceState, name: str) -> TypedValue | None:
        var = rt.state.variable(name, body.id)
        return var.value if var is not None else None

    def _get(self, rt: "Runtime", body: ActivityInstanceState, name: str) -> int:
        """A loop variable of the body itself; 0 while a modification has not yet set it."""
        value = self._variable(rt, body, name)
        if value is None:
            return 0
        raw = plain(value)
        try:
            return int(raw)
        except (TypeError, ValueError):
            return 0

    @staticmethod
    def _set(rt: "Runtime", body: ActivityInstanceState, name: str, value: int) -> None:
        rt.set_variable(name, _integer(value), body.id, local=True)

    @staticmethod
    def _cardinality(rt: "Runtime", loop: LoopCharacteristics, scope_id: str) -> int:
        assert loop.cardinality is not None
        value = rt.evaluate(loop.cardinality, scope_id)
        try:
            number = int(value) if not isinstance(value, bool) else None
        except (TypeError, ValueError):
            number = None
        if number is None or (isinstance(value, float) and value != int(value)):
            raise ProcessEngineError(f"Could not resolve loopCardinality '{loop.cardinality.source}' of "
                                     f"'{loop.inner_id}' to an integer: it was '{value}'")
        if number < 0:
            raise ProcessEngineError(f"Invalid number of instances: must be a non-negative integer "
                                     f"value, but it was {number}")
        return number

    @staticmethod
    def _collection(rt: "Runtime", loop: LoopCharacteristics, scope_id: str) -> list[Any]:
        assert loop.collection is not None
        value = rt.evaluate(loop.collection, scope_id)
        if isinstance(value, Mapping) or isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
            raise ProcessEngineError(f"ENGINE-02002 Variable '{loop.collection.source}' of the "
                                     f"multi-instance activity '{loop.inner_id}' is not a Collection")
        return list(value)

    @staticmethod
    def _condition(rt: "Runtime", loop: LoopCharacteristics, body: ActivityInstanceState,
                   ended: dict[str, Any] | None = None) -> bool:
        if loop.completion_condition is None:
            return False
        seen = rt.state.visible_variables(body.id)
        seen.update(ended or {})
        value = loop.completion_condition.evaluate(seen)
        if isinstance(value, str):
            return value.lower() == "true"
        if not isinstance(value, bool):
            raise ProcessEngineError(f"ENGINE-02003 Completion condition "
                                     f"'{loop.completion_condition.source}' of '{loop.inner_id}' must "
                                     f"evaluate to a boolean, but it was '{value}'")
        return value
