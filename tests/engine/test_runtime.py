"""The token runtime against real models; every step reloads the instance from the database."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from modbatch.engine import instances, repository, tasks
from modbatch.engine.variables import TypedValue
from modbatch.errors import ProcessEngineError
from modbatch.store.tables import HistoricProcessInstance, Task

BPMN_NS = 'xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" ' \
          'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"'


def inline(engine, key: str, body: str):
    """Deploy a small process written inline and return its definition."""
    xml = f'<definitions {BPMN_NS} targetNamespace="t"><process id="{key}" ' \
          f'isExecutable="true">{body}</process></definitions>'
    with engine.transaction() as session:
        result = repository.deploy(session, name=key, source=None, tenant_id=None,
                                   resources=[(f"{key}.bpmn", xml.encode())],
                                   max_resource_bytes=1 << 20)
        return result.definitions[0]


def start(engine, definition, **variables):
    with engine.transaction() as session:
        typed = {k: TypedValue("Integer" if isinstance(v, int) else "String", v)
                 for k, v in variables.items()}
        return instances.start(session, definition, business_key=None, variables=typed).state.id


def tree(engine, instance_id: str):
    """The activity-instance tree as nested (activityId, children) tuples, or None when ended."""
    with engine.transaction() as session:
        state = instances.load_one(session, instance_id)
        if state is None:
            return None
        root = instances.activity_tree(state)

    def shape(node):
        return sorted((child.activity_id, shape(child)) for child in node.children)

    return shape(root)


def complete(engine, instance_id: str, activity_id: str, **variables) -> None:
    with engine.transaction() as session:
        task_id = session.execute(select(Task.id).where(
            Task.process_instance_id == instance_id,
            Task.task_definition_key == activity_id)).scalars().first()
        assert task_id is not None, f"no task {activity_id}"
        typed = {k: TypedValue("Integer", v) for k, v in variables.items()}
        tasks.complete(session, task_id, typed)


def history_state(engine, instance_id: str) -> str:
    with engine.transaction() as session:
        return session.get(HistoricProcessInstance, instance_id).state


def test_one_task_process_waits_then_completes(engine, deploy):
    """A started oneTaskProcess waits in theTask; completing it ends the instance."""
    definition = deploy("oneTaskProcess.bpmn20.xml")["oneTaskProcess"]
    instance_id = start(engine, definition)
    assert tree(engine, instance_id) == [("theTask", [])]
    complete(engine, instance_id, "theTask")
    assert tree(engine, instance_id) is None
    assert history_state(engine, instance_id) == "COMPLETED"


def test_nested_parallel_process_tree_and_completion(engine, deploy):
    """nestedOneTaskProcess forks into outerTask and a sub-process holding innerTask."""
    definition = deploy("nestedParallelOneTaskProcess")["nestedOneTaskProcess"]
    instance_id = start(engine, definition)
    assert tree(engine, instance_id) == [("outerTask", []), ("subProcess", [("innerTask", [])])]
    complete(engine, instance_id, "innerTask")
    assert tree(engine, instance_id) == [("outerTask", [])]
    complete(engine, instance_id, "outerTask")
    assert tree(engine, instance_id) is None


def test_parallel_gateway_branches_end_separately(engine, deploy):
    """Each branch of the parallelGateway model ends on its own; the instance ends after both."""
    definition = deploy("parallelGateway")["parallelGateway"]
    instance_id = start(engine, definition)
    assert tree(engine, instance_id) == [("task1", []), ("task2", [])]
    complete(engine, instance_id, "task2")
    assert tree(engine, instance_id) == [("task1", [])]
    complete(engine, instance_id, "task1")
    assert tree(engine, instance_id) is None


def test_exclusive_gateway_takes_the_true_condition(engine, deploy):
    """The exclusiveGateway model routes by ${true}/${false} to task1, then joins and ends."""
    definition = deploy("exclusiveGateway")["exclusiveGateway"]
    instance_id = start(engine, definition)
    assert tree(engine, instance_id) == [("task1", [])]
    complete(engine, instance_id, "task1")
    assert tree(engine, instance_id) is None


def test_double_nested_sub_processes_enter_and_leave(engine, deploy):
    """Sub-process scopes nest in the tree and are left when their inner end event is reached."""
    definition = deploy("doubleNestedSubprocess")["doubleNestedSubprocess"]
    instance_id = start(engine, definition)
    assert tree(engine, instance_id) == [("subProcess", [("subProcessTask", [])])]
    complete(engine, instance_id, "subProcessTask")
    assert tree(engine, instance_id) == [
        ("subProcess", [("innerSubProcess", [("innerSubProcessTask", [])])])]
    complete(engine, instance_id, "innerSubProcessTask")
    assert tree(engine, instance_id) is None


def test_io_mapping_sets_local_input_and_global_output(engine, deploy):
    """task2's input parameter is local to it; its output parameter lands on the instance."""
    definition = deploy("ioMapping")["ioMappingProcess"]
    instance_id = start(engine, definition)
    complete(engine, instance_id, "task1")
    with engine.transaction() as session:
        state = instances.load_one(session, instance_id)
        local = [(v.name, v.value.value, v.scope is not None) for v in state.variables.values()]
    assert local == [("inputMappingExecuted", True, True)]
    with engine.transaction() as session:
        assert instances.variables(session, instance_id) == {}


def test_all_camunda_test_models_start(engine, deploy):
    """Every camunda-tests model deploys and a started instance reaches the README's wait states."""
    expected = {
        "oneTaskProcess.bpmn20.xml": ("oneTaskProcess", [("theTask", [])]),
        "ProcessInstanceModificationTest.listenerProcess.bpmn20.xml": (
            "listenerProcess",
            [("outerTask", []), ("subProcess", [("innerTask1", []), ("innerTask2", [])])]),
        "ProcessInstanceModificationTest.oneScopeTaskProcess.bpmn20.xml": (
            "oneTaskProcess", [("theTask", [])]),
        "ProcessInstanceModificationTest.syncAfterOneTaskProcess.bpmn20.xml": (
            "oneTaskProcess", [("theTask", [])]),
    }
    for name, (key, shape) in expected.items():
        definition = deploy(name, deployment_name=name)[key]
        assert tree(engine, start(engine, definition)) == shape, name


GATEWAY_WITH_JOIN = """
<startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="fork"/>
<parallelGateway id="fork"/>
<sequenceFlow id="f2" sourceRef="fork" targetRef="a"/><sequenceFlow id="f3" sourceRef="fork" targetRef="b"/>
<userTask id="a"/><userTask id="b"/>
<sequenceFlow id="f4" sourceRef="a" targetRef="join"/><sequenceFlow id="f5" sourceRef="b" targetRef="join"/>
<parallelGateway id="join"/><sequenceFlow id="f6" sourceRef="join" targetRef="c"/>
<userTask id="c"/><sequenceFlow id="f7" sourceRef="c" targetRef="end"/><endEvent id="end"/>
"""


def test_parallel_join_waits_for_every_incoming_flow(engine):
    """The first arriving token waits in the join; the second releases one token to c."""
    definition = inline(engine, "joinProcess", GATEWAY_WITH_JOIN)
    instance_id = start(engine, definition)
    complete(engine, instance_id, "a")
    assert tree(engine, instance_id) == [("b", []), ("join", [])]
    complete(engine, instance_id, "b")
    assert tree(engine, instance_id) == [("c", [])]


ROUTED = """
<startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="calc"/>
<serviceTask id="calc" camunda:expression="${amount * 2}" camunda:resultVariable="doubled"/>
<sequenceFlow id="f2" sourceRef="calc" targetRef="gw"/>
<exclusiveGateway id="gw" default="small"/>
<sequenceFlow id="big" sourceRef="gw" targetRef="bigTask"><conditionExpression>${doubled gt 100}</conditionExpression></sequenceFlow>
<sequenceFlow id="small" sourceRef="gw" targetRef="smallTask"/>
<userTask id="bigTask"/><userTask id="smallTask"/>
<sequenceFlow id="f3" sourceRef="bigTask" targetRef="term"/><endEvent id="term"><terminateEventDefinition/></endEvent>
<sequenceFlow id="f4" sourceRef="smallTask" targetRef="end"/><endEvent id="end"/>
"""


def test_service_task_result_drives_the_gateway_and_default_flow(engine):
    """camunda:expression results become variables that conditions read; else the default flow."""
    definition = inline(engine, "routed", ROUTED)
    assert tree(engine, start(engine, definition, amount=60)) == [("bigTask", [])]
    assert tree(engine, start(engine, definition, amount=10)) == [("smallTask", [])]
    with engine.transaction() as session:
        assert instances.ids_matching(session, {"variables": [
            {"name": "doubled", "operator": "gt", "value": 100}]}) != []


def test_terminate_end_event_ends_every_path(engine):
    """A terminate end event ends the instance although another branch still waits."""
    definition = inline(engine, "terminating", """
<startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="fork"/>
<parallelGateway id="fork"/>
<sequenceFlow id="f2" sourceRef="fork" targetRef="a"/><sequenceFlow id="f3" sourceRef="fork" targetRef="b"/>
<userTask id="a"/><userTask id="b"/>
<sequenceFlow id="f4" sourceRef="a" targetRef="kill"/><endEvent id="kill"><terminateEventDefinition/></endEvent>
<sequenceFlow id="f5" sourceRef="b" targetRef="end"/><endEvent id="end"/>""")
    instance_id = start(engine, definition)
    complete(engine, instance_id, "a")
    assert tree(engine, instance_id) is None
    with engine.transaction() as session:
        assert session.execute(select(Task).where(Task.process_instance_id == instance_id)).all() == []


def test_a_looping_model_fails_instead_of_hanging(engine):
    """A gateway that always routes back raises a clear engine error and writes nothing."""
    definition = inline(engine, "looping", """
<startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="gw"/>
<exclusiveGateway id="gw"/><sequenceFlow id="back" sourceRef="gw" targetRef="gw2"/>
<exclusiveGateway id="gw2"/><sequenceFlow id="again" sourceRef="gw2" targetRef="gw"/>""")
    with pytest.raises(ProcessEngineError, match="did not reach a wait state"):
        start(engine, definition)
    with engine.transaction() as session:
        assert instances.count(session, {}) == 0


def test_no_selectable_flow_is_an_engine_error(engine):
    """An exclusive gateway with no true condition and no default fails like Camunda (ENGINE-02004)."""
    definition = inline(engine, "stuck", """
<startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="gw"/>
<exclusiveGateway id="gw"/>
<sequenceFlow id="f2" sourceRef="gw" targetRef="t"><conditionExpression>${false}</conditionExpression></sequenceFlow>
<userTask id="t"/>""")
    with pytest.raises(ProcessEngineError, match="ENGINE-02004 No outgoing sequence flow for the "
                                                 "element with id 'gw'"):
        start(engine, definition)
