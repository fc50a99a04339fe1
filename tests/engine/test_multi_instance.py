"""Multi-instance activities through the database: every step reloads the instance.

Parallel and sequential bodies, loopCardinality and camunda:collection, the completion
condition, the nrOf* and loopCounter variables, inner sub-processes, external and expression
tasks, boundary events on the body, asynchronous continuations on body and inner activity.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from modbatch.engine import instances, repository, tasks
from modbatch.engine.bpmn import parse_bpmn
from modbatch.engine.variables import TypedValue
from modbatch.errors import ParseError, ProcessEngineError
from modbatch.store.tables import (
    ActivityInstance,
    EventSubscription,
    ExternalTask,
    HistoricActivityInstance,
    HistoricVariableInstance,
    Job,
    Task,
)
from tests.engine.conftest import NOW
from tests.engine.test_behaviours import END, START, flow, message, rows, run_jobs, shape, variables
from tests.engine.test_runtime import BPMN_NS, history_state, inline

pytestmark = pytest.mark.usefixtures("pinned_clock")

BODY = "#multiInstanceBody"


def mi_task(id_: str = "mi", *, sequential: bool = False, cardinality: str | None = "3",
            collection: str | None = None, element: str | None = None, condition: str | None = None,
            tag: str = "userTask", attrs: str = "", loop_attrs: str = "", inner: str = "") -> str:
    loop = f'<multiInstanceLoopCharacteristics isSequential="{str(sequential).lower()}"'
    if collection is not None:
        loop += f' camunda:collection="{collection}"'
    if element is not None:
        loop += f' camunda:elementVariable="{element}"'
    loop += f" {loop_attrs}>"
    if cardinality is not None:
        loop += f"<loopCardinality>{cardinality}</loopCardinality>"
    if condition is not None:
        loop += f"<completionCondition>{condition}</completionCondition>"
    loop += "</multiInstanceLoopCharacteristics>"
    return f'<{tag} id="{id_}" {attrs}>{loop}{inner}</{tag}>'


def start_with(engine, definition, **values):
    """Start with typed variables: ints as Integer, lists as Json, the rest as String."""
    typed = {}
    for name, value in values.items():
        if isinstance(value, list):
            typed[name] = TypedValue("Json", json.dumps(value))
        elif isinstance(value, int):
            typed[name] = TypedValue("Integer", value)
        else:
            typed[name] = TypedValue("String", value)
    with engine.transaction() as session:
        return instances.start(session, definition, business_key=None, variables=typed).state.id


def deploy_xml(engine, key: str, xml: str):
    """Deploy a whole definitions document (for models that declare messages or errors)."""
    with engine.transaction() as session:
        return repository.deploy(session, name=key, source=None, tenant_id=None,
                                 resources=[(f"{key}.bpmn", xml.encode())],
                                 max_resource_bytes=1 << 20).definitions[0]


def scope_locals(engine, pid, activity_id):
    """Local variables of each instance of ``activity_id``, in creation order."""
    with engine.transaction() as session:
        state = instances.load_one(session, pid)
        return [{name: value.value for name, value in state.local_variables(ai.id).items()}
                for ai in state.instances_of(activity_id)]


def complete_one(engine, pid, activity_id, **values):
    """Complete the oldest open task of ``activity_id``."""
    with engine.transaction() as session:
        task_id = session.execute(select(Task.id).where(
            Task.process_instance_id == pid, Task.task_definition_key == activity_id)
            .order_by(Task.created, Task.id)).scalars().first()
        assert task_id is not None, f"no task {activity_id}"
        typed = {k: TypedValue("Integer", v) for k, v in values.items()}
        tasks.complete(session, task_id, typed)


def counters(engine, pid, activity_id="mi"):
    [body] = scope_locals(engine, pid, activity_id + BODY)
    return (body["nrOfInstances"], body["nrOfActiveInstances"], body["nrOfCompletedInstances"])


def task_count(engine, pid, activity_id="mi"):
    return len(rows(engine, Task, process_instance_id=pid, task_definition_key=activity_id))


def ids_of(engine, pid, activity_id):
    """Ids of the instances of ``activity_id``, in creation order."""
    with engine.transaction() as session:
        return [ai.id for ai in instances.load_one(session, pid).instances_of(activity_id)]


def complete_instance(engine, pid, ai_id):
    """Complete the task of one activity instance."""
    with engine.transaction() as session:
        task_id = session.execute(select(Task.id).where(
            Task.process_instance_id == pid, Task.activity_instance_id == ai_id)).scalar_one()
        tasks.complete(session, task_id, {})


# ---------------------------------------------------------------- parsing

def test_the_body_takes_the_activity_s_place_in_the_model():
    """The parser wraps the activity in <id>#multiInstanceBody: flows, scope and loop move to it."""
    xml = (f'<definitions {BPMN_NS} targetNamespace="t"><process id="p" isExecutable="true">'
           + flow(START, mi_task(condition="${nrOfCompletedInstances == 2}"), END)
           + "</process></definitions>").encode()
    [model] = parse_bpmn(xml, "p.bpmn")
    body, inner = model.activities["mi" + BODY], model.activities["mi"]
    assert (body.type, body.scope_id, body.incoming, body.outgoing) == ("multiInstanceBody", "p", ("f1",), ("f2",))
    assert (inner.scope_id, inner.incoming, inner.outgoing) == ("mi" + BODY, (), ())
    assert model.flows["f1"].target_id == "mi" + BODY and model.flows["f2"].source_id == "mi" + BODY
    assert body.loop.sequential is False and body.loop.cardinality.source == "3"
    assert body.loop.completion_condition.source == "${nrOfCompletedInstances == 2}"
    assert {"mi", "mi" + BODY} <= model.instance_activities


@pytest.mark.parametrize("element, message", [
    ('<userTask id="t"><standardLoopCharacteristics/></userTask>', "standard loops are not supported"),
    ('<userTask id="t"><multiInstanceLoopCharacteristics/></userTask>',
     "Either loopCardinality or loopDataInputRef/activiti:collection must be set"),
    ('<userTask id="t"><multiInstanceLoopCharacteristics><loopCardinality> </loopCardinality>'
     '</multiInstanceLoopCharacteristics></userTask>', "loopCardinality must be defined"),
    ('<userTask id="t"><multiInstanceLoopCharacteristics camunda:elementVariable="x"><loopCardinality>2'
     '</loopCardinality></multiInstanceLoopCharacteristics></userTask>',
     "LoopDataInputRef/activiti:collection must be set when using inputDataItem or activiti:elementVariable"),
    ('<exclusiveGateway id="t"><multiInstanceLoopCharacteristics><loopCardinality>2</loopCardinality>'
     '</multiInstanceLoopCharacteristics></exclusiveGateway>', "cannot be a multi-instance activity"),
])
def test_loops_the_engine_cannot_run_are_refused(element, message):
    """Standard loops, loops without cardinality or collection, and looping gateways fail deployment."""
    xml = (f'<definitions {BPMN_NS} targetNamespace="t"><process id="p" isExecutable="true">'
           + flow(START, element, END) + "</process></definitions>").encode()
    with pytest.raises(ParseError) as caught:
        parse_bpmn(xml, "p.bpmn")
    assert message in caught.value.message


# ---------------------------------------------------------------- parallel and sequential

def test_parallel_body_creates_every_inner_instance_with_its_loop_counter(engine):
    """Parallel: three inner instances at once, loopCounter 0..2, the body counts them."""
    d = inline(engine, "par", flow(START, mi_task(), '<userTask id="after"/>', END))
    pid = start_with(engine, d)
    assert shape(engine, pid) == [("mi" + BODY, [("mi", []), ("mi", []), ("mi", [])])]
    assert sorted(v["loopCounter"] for v in scope_locals(engine, pid, "mi")) == [0, 1, 2]
    assert counters(engine, pid) == (3, 3, 0)
    assert task_count(engine, pid) == 3
    complete_one(engine, pid, "mi")
    assert counters(engine, pid) == (3, 2, 1)
    complete_one(engine, pid, "mi")
    complete_one(engine, pid, "mi")
    assert shape(engine, pid) == [("after", [])]
    assert "nrOfInstances" not in variables(engine, pid)


def test_sequential_body_runs_one_inner_instance_after_the_other(engine):
    """Sequential: one inner instance at a time; the body carries loopCounter."""
    d = inline(engine, "seq", flow(START, mi_task(sequential=True), '<userTask id="after"/>', END))
    pid = start_with(engine, d)
    for index in range(3):
        assert shape(engine, pid) == [("mi" + BODY, [("mi", [])])]
        [body] = scope_locals(engine, pid, "mi" + BODY)
        assert (body["loopCounter"], body["nrOfInstances"], body["nrOfActiveInstances"],
                body["nrOfCompletedInstances"]) == (index, 3, 1, index)
        complete_one(engine, pid, "mi")
    assert shape(engine, pid) == [("after", [])]


def test_collection_gives_each_inner_instance_its_element(engine):
    """camunda:collection + elementVariable: one inner instance per element, the element local to it."""
    d = inline(engine, "coll", flow(START, mi_task(cardinality=None, collection="${items}", element="item"),
                                    '<userTask id="after"/>', END))
    pid = start_with(engine, d, items=["a", "b"])
    found = sorted((v["loopCounter"], v["item"]) for v in scope_locals(engine, pid, "mi"))
    assert found == [(0, "a"), (1, "b")]
    assert counters(engine, pid) == (2, 2, 0)


def test_collection_named_by_a_plain_variable_name_and_sequential_elements(engine):
    """A collection given as a bare variable name; sequential bodies hold the current element."""
    d = inline(engine, "collseq", flow(START, mi_task(sequential=True, cardinality=None, collection="items",
                                                      element="item"), '<userTask id="after"/>', END))
    pid = start_with(engine, d, items=[10, 20, 30])
    seen = []
    for _ in range(3):
        [body] = scope_locals(engine, pid, "mi" + BODY)
        seen.append(body["item"])
        complete_one(engine, pid, "mi")
    assert seen == [10, 20, 30]
    assert shape(engine, pid) == [("after", [])]


def test_a_collection_that_is_no_collection_fails(engine):
    """A string is not a collection: the start fails like Camunda's ENGINE-02002."""
    d = inline(engine, "collbad", flow(START, mi_task(cardinality=None, collection="${items}"), END))
    with pytest.raises(ProcessEngineError, match="is not a Collection"):
        start_with(engine, d, items="abc")


@pytest.mark.parametrize("sequential", [False, True])
def test_zero_cardinality_and_empty_collection_complete_the_body_at_once(engine, sequential):
    """No instances to create: the body completes at once and the token moves on."""
    d = inline(engine, f"zero{int(sequential)}", flow(
        START, mi_task("a", sequential=sequential, cardinality="${n}"),
        mi_task("b", sequential=sequential, cardinality=None, collection="${items}"),
        '<userTask id="after"/>', END))
    pid = start_with(engine, d, n=0, items=[])
    assert shape(engine, pid) == [("after", [])]


def test_negative_cardinality_fails(engine):
    """A negative loopCardinality is refused as in Camunda."""
    d = inline(engine, "neg", flow(START, mi_task(cardinality="${n}"), END))
    with pytest.raises(ProcessEngineError, match="non-negative integer"):
        start_with(engine, d, n=-1)


def test_completion_condition_cancels_the_remaining_inner_instances(engine):
    """Parallel: once the condition holds, the other inner instances and their tasks go."""
    d = inline(engine, "cond", flow(START, mi_task(condition="${nrOfCompletedInstances >= 2}"),
                                    '<userTask id="after"/>', END))
    pid = start_with(engine, d)
    complete_one(engine, pid, "mi")
    assert task_count(engine, pid) == 2
    complete_one(engine, pid, "mi")
    assert shape(engine, pid) == [("after", [])]
    assert task_count(engine, pid) == 0


def test_parallel_completion_condition_sees_the_ended_instance_s_element(engine):
    """As in Camunda (evaluated on the ended execution), the condition sees the loopCounter and
    element of the inner instance that just completed."""
    d = inline(engine, "condel", flow(START, mi_task(cardinality=None, collection="${items}", element="item",
                                                     condition="${item == 'stop'}"),
                                      '<userTask id="after"/>', END))
    pid = start_with(engine, d, items=["go", "stop", "go"])
    stop = next(ai for ai, v in zip(ids_of(engine, pid, "mi"), scope_locals(engine, pid, "mi"))
                if v["item"] == "stop")
    go = next(ai for ai, v in zip(ids_of(engine, pid, "mi"), scope_locals(engine, pid, "mi"))
              if v["item"] == "go")
    complete_instance(engine, pid, go)
    assert task_count(engine, pid) == 2
    complete_instance(engine, pid, stop)
    assert shape(engine, pid) == [("after", [])]


def test_sequential_completion_condition_stops_the_loop(engine):
    """Sequential: the condition ends the loop before nrOfInstances is reached."""
    d = inline(engine, "seqcond", flow(START, mi_task(sequential=True, cardinality="5",
                                                      condition="${done == 1}"),
                                       '<userTask id="after"/>', END))
    pid = start_with(engine, d, done=0)
    complete_one(engine, pid, "mi")
    complete_one(engine, pid, "mi", done=1)
    assert shape(engine, pid) == [("after", [])]


def test_expression_tasks_that_finish_at_once_complete_the_body_once(engine):
    """Inner instances that complete synchronously: the body waits for all before it leaves."""
    task = mi_task("calc", tag="serviceTask", cardinality="4", attrs='camunda:expression="${loopCounter}"')
    d = inline(engine, "sync", flow(START, task, '<userTask id="after"/>', END))
    pid = start_with(engine, d)
    assert shape(engine, pid) == [("after", [])]


def test_sequential_expression_tasks_run_a_long_loop(engine):
    """A long sequential loop of synchronous inner instances runs without deep recursion."""
    task = mi_task("calc", tag="scriptTask", sequential=True, cardinality="300",
                   attrs='scriptFormat="juel" camunda:resultVariable="last"',
                   inner="<script>${loopCounter}</script>")
    d = inline(engine, "longseq", flow(START, task, '<userTask id="after"/>', END))
    pid = start_with(engine, d)
    assert shape(engine, pid) == [("after", [])]
    assert variables(engine, pid)["last"] == 299


def test_inner_sub_process_with_external_tasks(engine):
    """A parallel sub-process body: each inner sub-process waits in its own external task."""
    sub = mi_task("sub", tag="subProcess", cardinality=None, collection="${scores}", element="score",
                  inner='<startEvent id="s2"/><sequenceFlow id="g1" sourceRef="s2" targetRef="work"/>'
                        '<serviceTask id="work" camunda:type="external" camunda:topic="score"/>'
                        '<sequenceFlow id="g2" sourceRef="work" targetRef="e2"/><endEvent id="e2"/>')
    d = inline(engine, "subext", flow(START, sub, '<userTask id="after"/>', END))
    pid = start_with(engine, d, scores=[3, 7])
    assert shape(engine, pid) == [("sub" + BODY, [("sub", [("work", [])]), ("sub", [("work", [])])])]
    externals = rows(engine, ExternalTask, process_instance_id=pid)
    assert [t.topic_name for t in externals] == ["score", "score"]
    for task in externals:
        with engine.transaction() as session:
            row = session.get(ExternalTask, task.id)
            instances.complete_external_task(session, row, variables={}, local_variables={})
    assert shape(engine, pid) == [("after", [])]


def test_external_service_task_inner_instances_each_own_an_external_task(engine):
    """A sequential external task: one external task at a time, owned by the current inner instance."""
    task = mi_task("ext", tag="serviceTask", sequential=True, cardinality="2",
                   attrs='camunda:type="external" camunda:topic="work"')
    d = inline(engine, "extseq", flow(START, task, '<userTask id="after"/>', END))
    pid = start_with(engine, d)
    for _ in range(2):
        [inner] = ids_of(engine, pid, "ext")
        [external] = rows(engine, ExternalTask, process_instance_id=pid)
        assert (external.activity_id, external.activity_instance_id) == ("ext", inner)
        with engine.transaction() as session:
            instances.complete_external_task(session, session.get(ExternalTask, external.id),
                                             variables={}, local_variables={})
    assert shape(engine, pid) == [("after", [])]
    assert rows(engine, ExternalTask, process_instance_id=pid) == []


def test_receive_task_inner_instances_wait_for_their_own_messages(engine):
    """Each inner receive task subscribes; correlating all of them completes the body."""
    xml_message = '<message id="m" name="go"/>'
    task = mi_task("recv", tag="receiveTask", cardinality="2", attrs='messageRef="m"')
    xml = (f'<definitions {BPMN_NS} targetNamespace="t">{xml_message}<process id="recvp" isExecutable="true">'
           + flow(START, task, '<userTask id="after"/>', END) + "</process></definitions>")
    pid = start_with(engine, deploy_xml(engine, "recvp", xml))
    assert shape(engine, pid) == [("recv" + BODY, [("recv", []), ("recv", [])])]
    message(engine, "go")
    assert shape(engine, pid) == [("after", [])]


def test_event_sub_process_inside_each_inner_sub_process(engine):
    """Each inner sub-process instance owns its event sub-process subscription; an interrupting
    message start ends just that inner instance's own path, and the body counts it complete."""
    esp = ('<subProcess id="esp" triggeredByEvent="true"><startEvent id="espStart">'
           '<messageEventDefinition messageRef="m"/></startEvent>'
           '<sequenceFlow id="e1" sourceRef="espStart" targetRef="espEnd"/><endEvent id="espEnd"/></subProcess>')
    sub = mi_task("sub", tag="subProcess", cardinality="2",
                  inner='<startEvent id="s2"/><sequenceFlow id="g1" sourceRef="s2" targetRef="w"/>'
                        '<userTask id="w"/><sequenceFlow id="g2" sourceRef="w" targetRef="e2"/>'
                        '<endEvent id="e2"/>' + esp)
    xml = (f'<definitions {BPMN_NS} targetNamespace="t"><message id="m" name="stop"/>'
           f'<process id="espmi" isExecutable="true">'
           + flow(START, sub, '<userTask id="after"/>', END) + "</process></definitions>")
    pid = start_with(engine, deploy_xml(engine, "espmi", xml))
    subs = rows(engine, EventSubscription, process_instance_id=pid)
    assert sorted(s.activity_id for s in subs) == ["espStart", "espStart"]
    assert len({s.execution_id for s in subs}) == 2
    complete_one(engine, pid, "w")
    assert len(rows(engine, EventSubscription, process_instance_id=pid)) == 1
    assert counters(engine, pid, "sub") == (2, 1, 1)
    message(engine, "stop")
    assert shape(engine, pid) == [("after", [])]


# ---------------------------------------------------------------- boundary events and async

def test_boundary_timer_attaches_to_the_body_and_cancels_it(engine):
    """A boundary event on a multi-instance activity belongs to the body: firing it ends all inner instances."""
    model = flow(START, mi_task(), '<userTask id="after"/>', END) + (
        '<boundaryEvent id="late" attachedToRef="mi"><timerEventDefinition><timeDuration>PT1H'
        '</timeDuration></timerEventDefinition></boundaryEvent>'
        '<sequenceFlow id="fl" sourceRef="late" targetRef="escalated"/><userTask id="escalated"/>')
    d = inline(engine, "bnd", model)
    pid = start_with(engine, d)
    (job,) = rows(engine, Job, process_instance_id=pid)
    [body] = rows(engine, ActivityInstance, process_instance_id=pid, activity_id="mi" + BODY)
    assert (job.activity_id, job.execution_id) == ("late", body.execution_id)
    complete_one(engine, pid, "mi")
    assert len(rows(engine, Job, process_instance_id=pid)) == 1  # an inner completion keeps it
    run_jobs(engine, NOW + timedelta(hours=2))
    assert shape(engine, pid) == [("escalated", [])]
    assert task_count(engine, pid) == 0


def test_error_from_an_inner_sub_process_is_caught_on_the_body(engine):
    """An error end event inside one inner instance cancels the whole body via its boundary event."""
    sub = mi_task("sub", tag="subProcess", cardinality="2",
                  inner='<startEvent id="s2"/><sequenceFlow id="g1" sourceRef="s2" targetRef="w"/>'
                        '<userTask id="w"/><sequenceFlow id="g2" sourceRef="w" targetRef="boom"/>'
                        '<endEvent id="boom"><errorEventDefinition errorRef="err"/></endEvent>')
    body = (flow(START, sub, '<userTask id="after"/>', END)
            + '<boundaryEvent id="caught" attachedToRef="sub"><errorEventDefinition errorRef="err"/>'
              '</boundaryEvent><sequenceFlow id="fc" sourceRef="caught" targetRef="handle"/>'
              '<userTask id="handle"/>')
    xml = (f'<definitions {BPMN_NS} targetNamespace="t"><error id="err" errorCode="E1"/>'
           f'<process id="errp" isExecutable="true">{body}</process></definitions>')
    pid = start_with(engine, deploy_xml(engine, "errp", xml))
    complete_one(engine, pid, "w")
    assert shape(engine, pid) == [("handle", [])]


def test_async_before_on_the_activity_applies_to_the_body(engine):
    """camunda:asyncBefore on the activity element: the body waits in a job (Camunda's parse)."""
    d = inline(engine, "abody", flow(START, mi_task(attrs='camunda:asyncBefore="true"'),
                                     '<userTask id="after"/>', END))
    pid = start_with(engine, d)
    assert shape(engine, pid) == [("transition:mi" + BODY, [])]
    (job,) = rows(engine, Job, process_instance_id=pid)
    assert job.activity_id == "mi" + BODY
    run_jobs(engine)
    assert shape(engine, pid) == [("mi" + BODY, [("mi", []), ("mi", []), ("mi", [])])]


def test_async_before_on_the_loop_characteristics_applies_to_each_inner_instance(engine):
    """camunda:asyncBefore on multiInstanceLoopCharacteristics: every inner instance waits in a job
    that keeps its loopCounter."""
    d = inline(engine, "ainner", flow(START, mi_task(cardinality="2", loop_attrs='camunda:asyncBefore="true"'),
                                      '<userTask id="after"/>', END))
    pid = start_with(engine, d)
    assert shape(engine, pid) == [("mi" + BODY, [("transition:mi", []), ("transition:mi", [])])]
    assert {job.activity_id for job in rows(engine, Job, process_instance_id=pid)} == {"mi"}
    run_jobs(engine)
    assert shape(engine, pid) == [("mi" + BODY, [("mi", []), ("mi", [])])]
    assert sorted(v["loopCounter"] for v in scope_locals(engine, pid, "mi")) == [0, 1]
    complete_one(engine, pid, "mi")
    complete_one(engine, pid, "mi")
    assert shape(engine, pid) == [("after", [])]


def test_async_after_on_the_loop_characteristics_waits_inside_the_body(engine):
    """asyncAfter of the inner activity: the body completes only after the inner continuations ran."""
    d = inline(engine, "aafter", flow(START, mi_task(cardinality="2", loop_attrs='camunda:asyncAfter="true"'),
                                      '<userTask id="after"/>', END))
    pid = start_with(engine, d)
    complete_one(engine, pid, "mi")
    complete_one(engine, pid, "mi")
    assert shape(engine, pid) == [("mi" + BODY, [("transition:mi", []), ("transition:mi", [])])]
    run_jobs(engine)
    assert shape(engine, pid) == [("after", [])]


def test_output_mappings_of_inner_instances_and_process_completion(engine):
    """Inner output mappings write up the scope chain; the process completes after the body."""
    task = mi_task(cardinality="2", inner='<extensionElements><camunda:inputOutput>'
                                          '<camunda:outputParameter name="last">${loopCounter}'
                                          '</camunda:outputParameter></camunda:inputOutput></extensionElements>')
    d = inline(engine, "outm", flow(START, task, END))
    pid = start_with(engine, d)
    complete_one(engine, pid, "mi")
    complete_one(engine, pid, "mi")
    assert history_state(engine, pid) == "COMPLETED"


def test_history_records_the_body_and_each_inner_instance(engine):
    """Historic activity instances: the body once (type multiInstanceBody), each inner instance
    under it, all ended when the body completes; the counters are historic variables of the body."""
    d = inline(engine, "mihist", flow(START, mi_task(cardinality="2"), END))
    pid = start_with(engine, d)
    complete_one(engine, pid, "mi")
    complete_one(engine, pid, "mi")
    found = rows(engine, HistoricActivityInstance, process_instance_id=pid)
    [body] = [h for h in found if h.activity_id == "mi" + BODY]
    inner = [h for h in found if h.activity_id == "mi"]
    assert (body.activity_type, body.parent_activity_instance_id, body.end_time is not None,
            body.canceled) == ("multiInstanceBody", pid, True, False)
    assert [(h.activity_type, h.parent_activity_instance_id, h.end_time is not None) for h in inner] == [
        ("userTask", body.id, True)] * 2
    counters_seen = {h.name for h in rows(engine, HistoricVariableInstance, process_instance_id=pid)
                     if h.activity_instance_id == body.id}
    assert counters_seen == {"nrOfInstances", "nrOfActiveInstances", "nrOfCompletedInstances"}
