"""Element behaviours through the database: every step reloads the instance.

Async continuations, timers, messages, signals, errors, escalations, inclusive and event-based
gateways, script tasks, listeners and Java-only implementations.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from modbatch.engine import clock, instances, jobs
from modbatch.engine.runtime import UnsupportedImplementation
from modbatch.engine.variables import TypedValue
from modbatch.store.tables import EventSubscription, ExternalTask, Incident, Job
from tests.engine.test_runtime import complete, history_state, inline, start
from tests.engine.conftest import NOW

pytestmark = pytest.mark.usefixtures("pinned_clock")


def shape(engine, pid):
    """The tree with transition instances marked: [(activityId or 'async-before:X', children)]."""
    with engine.transaction() as session:
        state = instances.load_one(session, pid)
        if state is None:
            return None
        root = instances.activity_tree(state)

    def walk(node):
        return sorted(((f"{'transition:' if c.transition else ''}{c.activity_id}", walk(c))
                       for c in node.children))

    return walk(root)


def rows(engine, table, **filters):
    with engine.transaction() as session:
        stmt = select(table)
        for name, value in filters.items():
            stmt = stmt.where(getattr(table, name) == value)
        return list(session.execute(stmt).scalars())


def run_jobs(engine, until: datetime | None = None) -> int:
    if until is not None:
        clock.pin(until)
    return engine.job_executor.run_until_idle()


def variables(engine, pid):
    with engine.transaction() as session:
        return {k: v.value for k, v in instances.variables(session, pid).items()}


def message(engine, name, **values):
    with engine.transaction() as session:
        subs = list(session.execute(select(EventSubscription).where(
            EventSubscription.event_name == name)).scalars())
        typed = {k: TypedValue("String", v) for k, v in values.items()}
        return instances.trigger_subscriptions(session, subs, variables=typed)


def flow(*steps: str) -> str:
    """A chain of elements connected by sequence flows f1, f2, ..."""
    parts = []
    for index, step in enumerate(steps):
        parts.append(step)
        if index + 1 < len(steps):
            source = step.split('id="')[1].split('"')[0]
            target = steps[index + 1].split('id="')[1].split('"')[0]
            parts.append(f'<sequenceFlow id="f{index + 1}" sourceRef="{source}" targetRef="{target}"/>')
    return "".join(parts)


START, END = '<startEvent id="start"/>', '<endEvent id="end"/>'


# ---------------------------------------------------------------- async continuations

def test_async_before_waits_as_a_transition_instance_with_a_job(engine):
    """asyncBefore: the token waits in a job; running it enters the task."""
    d = inline(engine, "ab", flow(START, '<userTask id="task" camunda:asyncBefore="true"/>', END))
    pid = start(engine, d)
    assert shape(engine, pid) == [("transition:task", [])]
    (job,) = rows(engine, Job, process_instance_id=pid)
    assert (job.handler_type, job.type, job.activity_id, job.retries) == ("async-continuation", "message",
                                                                           "task", 3)
    assert run_jobs(engine) == 1
    assert shape(engine, pid) == [("task", [])]
    assert rows(engine, Job, process_instance_id=pid) == []


def test_async_after_continues_in_a_job(engine):
    """asyncAfter: the completed task leaves a transition instance until its job runs."""
    d = inline(engine, "aa", flow(START, '<userTask id="task" camunda:asyncAfter="true"/>',
                                  '<userTask id="next"/>', END))
    pid = start(engine, d)
    complete(engine, pid, "task")
    assert shape(engine, pid) == [("transition:task", [])]
    run_jobs(engine)
    assert shape(engine, pid) == [("next", [])]


def test_async_on_gateways_events_and_sub_processes(engine):
    """asyncBefore works on every flow node: a gateway, an event and a sub-process."""
    sub = ('<subProcess id="sub" camunda:asyncBefore="true"><startEvent id="s2"/>'
           '<sequenceFlow id="g1" sourceRef="s2" targetRef="inner"/><userTask id="inner"/>'
           '<sequenceFlow id="g2" sourceRef="inner" targetRef="e2"/><endEvent id="e2"/></subProcess>')
    d = inline(engine, "anodes", flow(START, '<exclusiveGateway id="gw" camunda:asyncBefore="true"/>',
                                      '<intermediateThrowEvent id="ev" camunda:asyncBefore="true"/>', sub, END))
    pid = start(engine, d)
    assert shape(engine, pid) == [("transition:gw", [])]
    run_jobs(engine)
    assert shape(engine, pid) == [("sub", [("inner", [])])]


def test_failing_async_job_spends_retries_on_its_cycle_then_opens_an_incident(engine):
    """A Java-only task behind asyncBefore fails in its job: R2/PT5M retries, then an incident."""
    task = ('<serviceTask id="java" camunda:asyncBefore="true" camunda:class="com.acme.Archive">'
            '<extensionElements><camunda:failedJobRetryTimeCycle>R2/PT5M</camunda:failedJobRetryTimeCycle>'
            '</extensionElements></serviceTask>')
    d = inline(engine, "fail", flow(START, task, END))
    pid = start(engine, d)
    (job,) = rows(engine, Job, process_instance_id=pid)
    assert job.retries == 2
    run_jobs(engine)
    (job,) = rows(engine, Job, process_instance_id=pid)
    assert job.retries == 1
    assert job.due_date == NOW + timedelta(minutes=5)
    assert "camunda:class 'com.acme.Archive'" in job.exception_message
    assert run_jobs(engine) == 0  # not due yet
    run_jobs(engine, NOW + timedelta(minutes=6))
    (job,) = rows(engine, Job, process_instance_id=pid)
    assert job.retries == 0
    (incident,) = rows(engine, Incident, process_instance_id=pid)
    assert (incident.incident_type, incident.activity_id, incident.configuration) == ("failedJob", "java", job.id)
    assert shape(engine, pid) == [("transition:java", [])]


# ---------------------------------------------------------------- timers

def test_intermediate_timer_fires_when_due(engine):
    """A timeDuration catch event waits; the job executor fires it once due, not before."""
    timer = ('<intermediateCatchEvent id="wait"><timerEventDefinition><timeDuration>PT1H</timeDuration>'
             '</timerEventDefinition></intermediateCatchEvent>')
    d = inline(engine, "tim", flow(START, timer, '<userTask id="after"/>', END))
    pid = start(engine, d)
    (job,) = rows(engine, Job, process_instance_id=pid)
    assert (job.type, job.handler_type, job.due_date) == ("timer", "timer-intermediate-transition",
                                                          NOW + timedelta(hours=1))
    assert run_jobs(engine) == 0
    assert shape(engine, pid) == [("wait", [])]
    run_jobs(engine, NOW + timedelta(hours=1, seconds=1))
    assert shape(engine, pid) == [("after", [])]


def test_timer_expression_is_evaluated_against_the_scope(engine):
    """${delay} in a timer definition reads the instance's variables."""
    timer = ('<intermediateCatchEvent id="wait"><timerEventDefinition><timeDuration>${delay}</timeDuration>'
             '</timerEventDefinition></intermediateCatchEvent>')
    d = inline(engine, "timx", flow(START, timer, END))
    pid = start(engine, d, delay="PT10M")
    (job,) = rows(engine, Job, process_instance_id=pid)
    assert job.due_date == NOW + timedelta(minutes=10)


def boundary_model(cancel: str, definition: str) -> str:
    return flow(START, '<userTask id="task"/>', END) + (
        f'<boundaryEvent id="b" attachedToRef="task" cancelActivity="{cancel}">{definition}</boundaryEvent>'
        '<sequenceFlow id="fb" sourceRef="b" targetRef="escalated"/><userTask id="escalated"/>'
        '<sequenceFlow id="fe" sourceRef="escalated" targetRef="end2"/><endEvent id="end2"/>')


def test_interrupting_boundary_timer_cancels_the_task(engine):
    """When the boundary timer fires, the task (and its timer) go and the token leaves the event."""
    d = inline(engine, "bti", boundary_model("true", "<timerEventDefinition><timeDuration>PT1H</timeDuration>"
                                                     "</timerEventDefinition>"))
    pid = start(engine, d)
    (job,) = rows(engine, Job, process_instance_id=pid)
    assert (job.handler_type, job.activity_id) == ("timer-transition", "b")
    run_jobs(engine, NOW + timedelta(hours=2))
    assert shape(engine, pid) == [("escalated", [])]
    assert rows(engine, Job, process_instance_id=pid) == []


def test_completing_the_task_removes_its_boundary_timer(engine):
    """Leaving the host activity removes the timer it owned."""
    d = inline(engine, "btc", boundary_model("true", "<timerEventDefinition><timeDuration>PT1H</timeDuration>"
                                                     "</timerEventDefinition>"))
    pid = start(engine, d)
    complete(engine, pid, "task")
    assert history_state(engine, pid) == "COMPLETED"
    assert rows(engine, Job, process_instance_id=pid) == []


def test_non_interrupting_timer_cycle_fires_its_repetitions(engine):
    """R2/PT1H on a non-interrupting boundary fires twice; the task stays."""
    d = inline(engine, "btn", boundary_model("false", "<timerEventDefinition><timeCycle>R2/PT1H</timeCycle>"
                                                      "</timerEventDefinition>"))
    pid = start(engine, d)
    run_jobs(engine, NOW + timedelta(hours=1, minutes=1))
    assert shape(engine, pid) == [("escalated", []), ("task", [])]
    (job,) = rows(engine, Job, process_instance_id=pid)
    assert job.due_date == NOW + timedelta(hours=2)
    run_jobs(engine, NOW + timedelta(hours=3))
    assert shape(engine, pid) == [("escalated", []), ("escalated", []), ("task", [])]
    assert rows(engine, Job, process_instance_id=pid) == []


def test_timer_job_runs_by_hand_before_it_is_due(engine):
    """POST /job/{id}/execute runs a timer at once."""
    d = inline(engine, "byhand", boundary_model("true", "<timerEventDefinition><timeDate>2030-01-01T00:00:00Z"
                                                        "</timeDate></timerEventDefinition>"))
    pid = start(engine, d)
    (job,) = rows(engine, Job, process_instance_id=pid)
    assert job.due_date == datetime(2030, 1, 1)
    jobs.execute(engine, job.id)
    assert shape(engine, pid) == [("escalated", [])]


# ---------------------------------------------------------------- messages and signals

MESSAGES = '<message id="m1" name="paid"/><message id="m2" name="cancelled"/><signal id="s1" name="alarm"/>'


def with_declarations(engine, key, body, declarations):
    """Deploy a process whose definitions also declare messages, signals, errors, escalations."""
    from modbatch.engine import repository
    from tests.engine.test_runtime import BPMN_NS

    xml = (f'<definitions {BPMN_NS} targetNamespace="t">{declarations}<process id="{key}" '
           f'isExecutable="true">{body}</process></definitions>')
    with engine.transaction() as session:
        return repository.deploy(session, name=key, source=None, tenant_id=None,
                                 resources=[(f"{key}.bpmn", xml.encode())],
                                 max_resource_bytes=1 << 20).definitions[0]


def with_messages(engine, key, body):
    return with_declarations(engine, key, body, MESSAGES)


def test_receive_task_and_message_catch_wait_for_their_message(engine):
    """Each waits with a subscription; the message moves the token on and sets its variables."""
    d = with_messages(engine, "msg", flow(START, '<receiveTask id="rt" messageRef="m1"/>',
                                          '<intermediateCatchEvent id="mc"><messageEventDefinition '
                                          'messageRef="m2"/></intermediateCatchEvent>', END))
    pid = start(engine, d)
    (sub,) = rows(engine, EventSubscription, process_instance_id=pid)
    assert (sub.event_type, sub.event_name, sub.activity_id) == ("message", "paid", "rt")
    assert message(engine, "paid", amount="12") == [pid]
    assert shape(engine, pid) == [("mc", [])]
    assert variables(engine, pid) == {"amount": "12"}
    message(engine, "cancelled")
    assert history_state(engine, pid) == "COMPLETED"


def test_message_boundary_events_interrupting_and_not(engine):
    """A non-interrupting message boundary adds a token; an interrupting one replaces the task."""
    d = with_messages(engine, "mb", boundary_model("false", '<messageEventDefinition messageRef="m1"/>'))
    pid = start(engine, d)
    message(engine, "paid")
    assert shape(engine, pid) == [("escalated", []), ("task", [])]
    d2 = with_messages(engine, "mb2", boundary_model("true", '<messageEventDefinition messageRef="m1"/>'))
    pid2 = start(engine, d2)
    message(engine, "paid")
    assert shape(engine, pid2) == [("escalated", [])]
    assert rows(engine, EventSubscription, process_instance_id=pid2) == []


def test_signal_throw_reaches_catch_events_of_other_instances(engine):
    """A signal end event of one instance triggers the signal catch event of another."""
    waiting = with_messages(engine, "sigc", flow(START, '<intermediateCatchEvent id="sc"><signalEventDefinition '
                                                        'signalRef="s1"/></intermediateCatchEvent>', END))
    pid = start(engine, waiting)
    thrower = with_messages(engine, "sigt", flow(START, '<endEvent id="end"><signalEventDefinition '
                                                        'signalRef="s1"/></endEvent>'))
    start(engine, thrower)
    assert history_state(engine, pid) == "COMPLETED"


def test_event_based_gateway_takes_the_first_event(engine):
    """The gateway waits for a message or a timer; the message wins and the timer goes."""
    timer = ('<intermediateCatchEvent id="late"><timerEventDefinition><timeDuration>PT1H</timeDuration>'
             '</timerEventDefinition></intermediateCatchEvent>')
    body = (START + '<sequenceFlow id="a" sourceRef="start" targetRef="gw"/><eventBasedGateway id="gw"/>'
            '<sequenceFlow id="b" sourceRef="gw" targetRef="pay"/>'
            '<intermediateCatchEvent id="pay"><messageEventDefinition messageRef="m1"/></intermediateCatchEvent>'
            f'<sequenceFlow id="c" sourceRef="gw" targetRef="late"/>{timer}'
            '<sequenceFlow id="d" sourceRef="pay" targetRef="paid"/><userTask id="paid"/>'
            '<sequenceFlow id="e" sourceRef="late" targetRef="remind"/><userTask id="remind"/>')
    d = with_messages(engine, "ebg", body)
    pid = start(engine, d)
    assert shape(engine, pid) == [("gw", [])]
    assert len(rows(engine, Job, process_instance_id=pid)) == 1
    message(engine, "paid")
    assert shape(engine, pid) == [("paid", [])]
    assert rows(engine, Job, process_instance_id=pid) == []
    pid2 = start(engine, d)
    run_jobs(engine, NOW + timedelta(hours=2))
    assert shape(engine, pid2) == [("remind", [])]
    assert rows(engine, EventSubscription, process_instance_id=pid2) == []


# ---------------------------------------------------------------- errors and escalations

ERRORS = '<error id="e1" errorCode="FAIL"/><escalation id="x1" escalationCode="LATE"/>'


def with_errors(engine, key, body):
    return with_declarations(engine, key, body, ERRORS)


def sub_with(inner_end: str, boundary: str) -> str:
    return (START + '<sequenceFlow id="a" sourceRef="start" targetRef="sub"/>'
            '<subProcess id="sub"><startEvent id="s2"/><sequenceFlow id="b" sourceRef="s2" targetRef="work"/>'
            '<userTask id="work"/><sequenceFlow id="c" sourceRef="work" targetRef="e2"/>'
            f'{inner_end}</subProcess>'
            '<sequenceFlow id="d" sourceRef="sub" targetRef="end"/>' + END +
            f'<boundaryEvent id="caught" attachedToRef="sub" {boundary}'
            '<sequenceFlow id="h" sourceRef="caught" targetRef="handle"/><userTask id="handle"/>')


def test_error_end_event_is_caught_by_the_sub_process_boundary(engine):
    """An error end event inside a sub-process ends the sub-process and leaves via the boundary."""
    body = sub_with('<endEvent id="e2"><errorEventDefinition errorRef="e1"/></endEvent>',
                    'camunda:x="1"><errorEventDefinition errorRef="e1" camunda:errorCodeVariable="code"/>'
                    '</boundaryEvent>')
    d = with_errors(engine, "err", body)
    pid = start(engine, d)
    complete(engine, pid, "work")
    assert shape(engine, pid) == [("handle", [])]
    assert variables(engine, pid) == {"code": "FAIL"}


def test_catch_all_error_boundary_and_uncaught_errors(engine):
    """A boundary without errorRef catches any code; an uncaught error ends its token."""
    body = sub_with('<endEvent id="e2"><errorEventDefinition errorRef="e1"/></endEvent>',
                    '><errorEventDefinition/></boundaryEvent>')
    pid = start(engine, with_errors(engine, "errall", body))
    complete(engine, pid, "work")
    assert shape(engine, pid) == [("handle", [])]
    uncaught = with_errors(engine, "erruc", flow(START, '<userTask id="work"/>',
                                                 '<endEvent id="end"><errorEventDefinition errorRef="e1"/>'
                                                 '</endEvent>'))
    pid2 = start(engine, uncaught)
    complete(engine, pid2, "work")
    assert history_state(engine, pid2) == "COMPLETED"


def test_bpmn_error_of_an_external_task_is_caught_by_its_boundary(engine):
    """The worker's BPMN error reaches the error boundary of the external task."""
    body = (flow(START, '<serviceTask id="ext" camunda:type="external" camunda:topic="t"/>', END) +
            '<boundaryEvent id="caught" attachedToRef="ext"><errorEventDefinition errorRef="e1" '
            'camunda:errorMessageVariable="why"/></boundaryEvent>'
            '<sequenceFlow id="h" sourceRef="caught" targetRef="handle"/><userTask id="handle"/>')
    pid = start(engine, with_errors(engine, "exterr", body))
    (task,) = rows(engine, ExternalTask, process_instance_id=pid)
    assert (task.topic_name, task.activity_id, task.retries) == ("t", "ext", None)
    with engine.transaction() as session:
        instances.external_task_bpmn_error(session, session.get(ExternalTask, task.id), error_code="FAIL",
                                           error_message="bad image", variables={})
    assert shape(engine, pid) == [("handle", [])]
    assert variables(engine, pid) == {"why": "bad image"}
    assert rows(engine, ExternalTask, process_instance_id=pid) == []


def test_escalation_boundary_non_interrupting_keeps_the_sub_process(engine):
    """An escalation throw event triggers a non-interrupting boundary; the sub-process goes on."""
    inner = ('<intermediateThrowEvent id="esc"><escalationEventDefinition escalationRef="x1"/>'
             '</intermediateThrowEvent>')
    body = (START + '<sequenceFlow id="a" sourceRef="start" targetRef="sub"/>'
            f'<subProcess id="sub"><startEvent id="s2"/><sequenceFlow id="b" sourceRef="s2" targetRef="esc"/>{inner}'
            '<sequenceFlow id="c" sourceRef="esc" targetRef="work"/><userTask id="work"/></subProcess>'
            '<boundaryEvent id="caught" attachedToRef="sub" cancelActivity="false">'
            '<escalationEventDefinition escalationRef="x1"/></boundaryEvent>'
            '<sequenceFlow id="h" sourceRef="caught" targetRef="handle"/><userTask id="handle"/>')
    pid = start(engine, with_errors(engine, "escalating", body))
    assert shape(engine, pid) == [("handle", []), ("sub", [("work", [])])]


# ---------------------------------------------------------------- gateways and tasks

def test_inclusive_gateway_forks_on_true_conditions_and_joins_them(engine):
    """Two of three conditions hold: two tokens, and the join waits for both."""
    body = (START + '<sequenceFlow id="a" sourceRef="start" targetRef="fork"/><inclusiveGateway id="fork"/>'
            '<sequenceFlow id="b" sourceRef="fork" targetRef="t1"><conditionExpression>${x > 1}'
            '</conditionExpression></sequenceFlow><userTask id="t1"/>'
            '<sequenceFlow id="c" sourceRef="fork" targetRef="t2"><conditionExpression>${x > 2}'
            '</conditionExpression></sequenceFlow><userTask id="t2"/>'
            '<sequenceFlow id="d" sourceRef="fork" targetRef="t3"><conditionExpression>${x > 9}'
            '</conditionExpression></sequenceFlow><userTask id="t3"/>'
            '<sequenceFlow id="e" sourceRef="t1" targetRef="join"/><sequenceFlow id="f" sourceRef="t2" '
            'targetRef="join"/><sequenceFlow id="g" sourceRef="t3" targetRef="join"/>'
            '<inclusiveGateway id="join"/><sequenceFlow id="h" sourceRef="join" targetRef="after"/>'
            '<userTask id="after"/>')
    d = inline(engine, "incl", body)
    pid = start(engine, d, x=5)
    assert shape(engine, pid) == [("t1", []), ("t2", [])]
    complete(engine, pid, "t1")
    assert shape(engine, pid) == [("join", []), ("t2", [])]
    complete(engine, pid, "t2")
    assert shape(engine, pid) == [("after", [])]


def test_juel_script_task_and_expression_listeners(engine):
    """A JUEL script task sets its result variable; expression listeners run."""
    task = ('<scriptTask id="calc" scriptFormat="juel" camunda:resultVariable="total">'
            '<extensionElements><camunda:executionListener event="start" expression="${x + 1}"/>'
            '</extensionElements><script>${x * 2}</script></scriptTask>')
    d = inline(engine, "script", flow(START, task, '<userTask id="wait"/>', END))
    pid = start(engine, d, x=21)
    assert variables(engine, pid)["total"] == 42


def test_java_only_task_fails_the_command_naming_it(engine):
    """Reaching camunda:class synchronously fails with a 400 naming the class; nothing is written."""
    d = inline(engine, "java", flow(START, '<userTask id="t"/>',
                                    '<serviceTask id="j" camunda:class="com.acme.Mail"/>', END))
    pid = start(engine, d)
    with pytest.raises(UnsupportedImplementation, match="camunda:class 'com.acme.Mail' of serviceTask 'j'"):
        complete(engine, pid, "t")
    assert shape(engine, pid) == [("t", [])]


def test_output_mapping_reads_the_tasks_own_local_variables(engine):
    """A task's output mapping is evaluated in its own scope, before its locals are gone."""
    task = ('<userTask id="t"><extensionElements><camunda:inputOutput>'
            '<camunda:inputParameter name="local">${7}</camunda:inputParameter>'
            '<camunda:outputParameter name="copied">${local}</camunda:outputParameter>'
            '</camunda:inputOutput></extensionElements></userTask>')
    d = inline(engine, "io", flow(START, task, '<userTask id="next"/>', END))
    pid = start(engine, d)
    complete(engine, pid, "t")
    assert variables(engine, pid) == {"copied": 7}


def test_take_listener_on_a_sequence_flow_and_skip_custom_listeners(engine):
    """A Java take listener on a flow fails the start; the same modification with
    skipCustomListeners moves the token past it."""
    from modbatch.engine import modification
    from modbatch.engine.modification import Instruction, ModificationRequest

    body = ('<startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="a"/><userTask id="a"/>'
            '<sequenceFlow id="f2" sourceRef="a" targetRef="b"><extensionElements>'
            '<camunda:executionListener event="take" class="com.acme.Audit"/></extensionElements>'
            '</sequenceFlow><userTask id="b"/>')
    d = inline(engine, "takes", body)
    pid = start(engine, d)
    with pytest.raises(UnsupportedImplementation, match="take listener camunda:class 'com.acme.Audit' of "
                                                        "sequence flow 'f2'"):
        complete(engine, pid, "a")
    for skip in (False, True):
        request = ModificationRequest(process_definition_id=d.id,
                                      instructions=[Instruction("startTransition", transition_id="f2")],
                                      instance_ids=[pid], skip_custom_listeners=skip, skip_io_mappings=False,
                                      annotation=None)
        with engine.transaction() as session:
            if not skip:
                with pytest.raises(UnsupportedImplementation):
                    modification.execute_sync(session, request)
            else:
                modification.execute_sync(session, request)
    assert shape(engine, pid) == [("a", []), ("b", [])]


def test_send_and_business_rule_tasks_and_external_message_events(engine):
    """Send and business-rule tasks run their expressions; an external message end event waits
    for its worker and ends the instance when completed."""
    body = flow(START, '<sendTask id="send" camunda:expression="${1 + 1}" camunda:resultVariable="sent"/>',
                '<businessRuleTask id="rule" camunda:expression="${sent * 10}" camunda:resultVariable="score"/>',
                '<manualTask id="manual"/>',
                '<endEvent id="end"><messageEventDefinition camunda:type="external" camunda:topic="notify"/>'
                '</endEvent>')
    d = inline(engine, "sendrule", body)
    pid = start(engine, d)
    assert variables(engine, pid) == {"sent": 2, "score": 20}
    assert shape(engine, pid) == [("end", [])]
    (task,) = rows(engine, ExternalTask, process_instance_id=pid)
    assert (task.topic_name, task.activity_id) == ("notify", "end")
    with engine.transaction() as session:
        instances.complete_external_task(session, session.get(ExternalTask, task.id), variables={},
                                         local_variables={})
    assert history_state(engine, pid) == "COMPLETED"
