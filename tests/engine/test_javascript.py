"""Inline JavaScript in script tasks, execution listeners and task listeners runs in the QuickJS
sandbox; every step goes through the database (instances are reloaded between steps)."""

from __future__ import annotations

import time

import pytest

from modbatch.engine import instances
from modbatch.engine.runtime import UnsupportedImplementation
from modbatch.engine.runtime.scripts import ScriptError
from modbatch.engine.variables import TypedValue
from modbatch.errors import ProcessEngineError
from modbatch.store.tables import HistoricActivityInstance, Incident, Job, ProcessInstance, Task
from tests.engine.test_behaviours import END, START, flow, rows, run_jobs, shape, variables
from tests.engine.test_runtime import complete, inline, start

pytestmark = pytest.mark.usefixtures("pinned_clock")


def script_task(script: str, attributes: str = "", language: str = "javascript") -> str:
    return (f'<scriptTask id="js" scriptFormat="{language}" {attributes}>'
            f'<script><![CDATA[{script}]]></script></scriptTask>')


def listener(kind: str, event: str, script: str, language: str = "javascript") -> str:
    return (f'<camunda:{kind} event="{event}"><camunda:script scriptFormat="{language}">'
            f'<![CDATA[{script}]]></camunda:script></camunda:{kind}>')


def test_script_task_result_variable_gets_the_last_value(engine):
    """A script task sees the variables as globals and through execution; its last value goes to
    camunda:resultVariable, setVariable writes JSON values (objects become Json variables)."""
    script = ("execution.setVariable('doubled', execution.getVariable('amount') * 2);"
              "execution.setVariable('info', {id: execution.getProcessInstanceId() !== null, "
              "activity: execution.getActivityId(), tags: ['a', 1, true, null]});"
              "'hello ' + name")
    d = inline(engine, "jstask", flow(START, script_task(script, 'camunda:resultVariable="greeting"'),
                                      '<userTask id="wait"/>', END))
    pid = start(engine, d, amount=21, name="Ada")
    assert shape(engine, pid) == [("wait", [])]
    assert variables(engine, pid) == {
        "amount": 21, "name": "Ada", "doubled": 42, "greeting": "hello Ada",
        "info": '{"id":true,"activity":"js","tags":["a",1,true,null]}'}


@pytest.mark.parametrize("language", ["js", "ecmascript", "JavaScript"])
def test_every_javascript_name_runs(engine, language):
    """scriptFormat js, ecmascript and JavaScript (any case) all run in the sandbox."""
    d = inline(engine, "jsnames", flow(START, script_task("1.5 + 1", 'camunda:resultVariable="r"', language),
                                       '<userTask id="wait"/>', END))
    pid = start(engine, d)
    assert variables(engine, pid) == {"r": 2.5}


def test_execution_listener_sets_a_variable(engine):
    """Start and end execution listeners of a user task run with execution.getEventName()."""
    task = ('<userTask id="t"><extensionElements>'
            + listener("executionListener", "start",
                       "execution.setVariable('seen', execution.getEventName() + ':' + execution.getActivityId())")
            + listener("executionListener", "end",
                       "execution.setVariable('seen', execution.getVariable('seen') + ',' + "
                       "execution.getEventName()); execution.setVariableLocal('mine', 1)")
            + '</extensionElements></userTask>')
    d = inline(engine, "jslistener", flow(START, task, '<userTask id="wait"/>', END))
    pid = start(engine, d)
    assert variables(engine, pid) == {"seen": "start:t"}
    complete(engine, pid, "t")
    assert shape(engine, pid) == [("wait", [])]
    assert variables(engine, pid) == {"seen": "start:t,end"}  # the local one ended with its scope


APPROVAL = ('<userTask id="approve" name="Approve"><extensionElements>'
            + listener("taskListener", "create",
                       "if (!!task.getVariable('approver')) { task.setAssignee(approver); }")
            + listener("taskListener", "assignment",
                       "task.setVariable('approver', task.getAssignee());"
                       "task.setVariable('assigned', task.getEventName() + ' ' + task.getTaskDefinitionKey() "
                       "+ ' ' + task.getName());")
            + '</extensionElements></userTask>')


def test_task_listeners_assign_the_approver_and_fire_assignment(engine):
    """invoice.v2's listeners: create assigns the approver when one is set; the assignment listener
    then runs (its variables are written); without an approver, no assignee and no assignment."""
    d = inline(engine, "approval", flow(START, APPROVAL, END))
    pid = start(engine, d, approver="demo")
    (task,) = rows(engine, Task, process_instance_id=pid)
    assert task.assignee == "demo"
    task_id = task.id
    assert variables(engine, pid) == {"approver": "demo", "assigned": "assignment approve Approve"}
    other = start(engine, d)
    (task,) = rows(engine, Task, process_instance_id=other)
    assert task.assignee is None
    assert variables(engine, other) == {}
    complete(engine, pid, "approve")
    assert shape(engine, pid) is None
    (historic,) = rows(engine, HistoricActivityInstance, process_instance_id=pid, activity_id="approve")
    assert (historic.task_id, historic.assignee) == (task_id, "demo")


def test_camunda_assignee_is_set_and_fires_assignment(engine):
    """camunda:assignee (an expression) assigns the task on creation; assignment listeners run."""
    task = APPROVAL.replace('name="Approve"', 'name="Approve" camunda:assignee="${boss}"').replace(
        "if (!!task.getVariable('approver')) { task.setAssignee(approver); }", "execution.setVariable('c', 1)")
    d = inline(engine, "assigned", flow(START, task, END))
    pid = start(engine, d, boss="kermit")
    (row,) = rows(engine, Task, process_instance_id=pid)
    assert row.assignee == "kermit"
    assert variables(engine, pid) == {"boss": "kermit", "c": 1, "approver": "kermit",
                                      "assigned": "assignment approve Approve"}


def test_syntax_error_fails_with_400_and_writes_nothing(engine):
    """A syntax error is a 400 ProcessEngineError naming the script task; no instance is stored."""
    d = inline(engine, "jssyntax", flow(START, script_task("execution.setVariable('x', 1); if ("), END))
    with pytest.raises(ScriptError) as caught:
        start(engine, d)
    assert caught.value.status == 400
    assert isinstance(caught.value, ProcessEngineError)
    assert "scriptTask 'js'" in caught.value.message and "SyntaxError" in caught.value.message
    assert rows(engine, ProcessInstance, process_definition_id=d.id) == []


def test_thrown_error_and_non_json_value_fail(engine):
    """An exception the script throws, and a value that is not JSON-compatible, fail the same way."""
    d = inline(engine, "jsthrow", flow(START, script_task("throw new Error('no invoice')"), END))
    with pytest.raises(ScriptError, match="Error: no invoice"):
        start(engine, d)
    d = inline(engine, "jsfunc", flow(START, script_task("execution.setVariable('f', function () {})"), END))
    with pytest.raises(ScriptError, match="value of 'f' is not JSON-compatible"):
        start(engine, d)
    d = inline(engine, "jsresult", flow(START, script_task("new Date()", 'camunda:resultVariable="r"'), END))
    with pytest.raises(ScriptError, match="camunda:resultVariable 'r' is not JSON-compatible"):
        start(engine, d)


def test_infinite_loop_hits_the_time_limit(engine):
    """A script that never ends is interrupted by the time limit instead of hanging the server."""
    d = inline(engine, "jsloop", flow(START, script_task("while (true) {}"), END))
    began = time.monotonic()
    with pytest.raises(ScriptError, match="time limit"):
        start(engine, d)
    assert time.monotonic() - began < 10


def test_memory_hog_hits_the_memory_limit(engine):
    """A script that allocates without end fails on the memory limit."""
    d = inline(engine, "jsmemory", flow(START, script_task(
        "var s = []; while (true) { s.push('xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' + s.length); }"), END))
    with pytest.raises(ScriptError, match="exceeded the memory limit of 32 MB"):
        start(engine, d)


def test_async_script_failure_becomes_an_incident(engine):
    """Behind asyncBefore, a failing script fails its job; the last retry opens an incident."""
    task = script_task("throw new Error('broken')", 'camunda:asyncBefore="true"').replace(
        "<script>", '<extensionElements><camunda:failedJobRetryTimeCycle>R1/PT5M'
                    '</camunda:failedJobRetryTimeCycle></extensionElements><script>')
    d = inline(engine, "jsasync", flow(START, task, END))
    pid = start(engine, d)
    run_jobs(engine)
    (job,) = rows(engine, Job, process_instance_id=pid)
    assert job.retries == 0
    assert "Error: broken" in job.exception_message
    (incident,) = rows(engine, Incident, process_instance_id=pid)
    assert (incident.incident_type, incident.activity_id) == ("failedJob", "js")


def test_groovy_and_external_scripts_are_still_refused(engine):
    """Other languages and camunda:resource scripts still need a JVM: reaching them fails."""
    d = inline(engine, "groovy", flow(START, script_task("1 + 1", language="groovy"), END))
    with pytest.raises(UnsupportedImplementation, match="groovy script"):
        start(engine, d)
    task = script_task("", 'camunda:resource="deployment://x.js"').replace(
        "<script><![CDATA[]]></script>", "")
    d = inline(engine, "resource", flow(START, task, END))
    with pytest.raises(UnsupportedImplementation, match="javascript script"):
        start(engine, d)
    body = ('<userTask id="t"><extensionElements>' + listener("taskListener", "create", "1", "groovy")
            + '</extensionElements></userTask>')
    d = inline(engine, "groovylistener", flow(START, body, END))
    with pytest.raises(UnsupportedImplementation, match="groovy script"):
        start(engine, d)


def test_variables_of_other_types_are_not_visible_as_globals(engine):
    """A Date variable is no JSON value: reading it from the script is a clear error."""
    d = inline(engine, "jsdate", flow(START, script_task("execution.getVariable('due')"), END))
    with engine.transaction() as session:
        with pytest.raises(ScriptError, match="variable 'due' has a type JavaScript cannot see"):
            instances.start(session, d, business_key=None,
                            variables={"due": TypedValue("Date", pinned_now())})


def pinned_now():
    from modbatch.engine import clock
    return clock.now()


def test_variables_named_like_keywords_are_read_through_execution(engine):
    """A variable named like a JavaScript keyword (or the prelude's names) is no global but
    execution.getVariable reads it; a result the script does not store may be any value."""
    d = inline(engine, "jskeywords", flow(
        START, script_task("execution.setVariable('copy', execution.getVariable('class') + "
                           "execution.getVariable('__in')); (function () {})"),
        '<userTask id="wait"/>', END))
    pid = start(engine, **{"definition": d, "class": "a", "__in": "b"})
    assert variables(engine, pid) == {"class": "a", "__in": "b", "copy": "ab"}


def test_assignee_calling_a_bean_deploys_and_fails_when_reached(engine):
    """camunda:assignee="#{bean.method(x)}" needs a JVM: the model deploys, reaching the task fails."""
    d = inline(engine, "beanassignee", flow(
        START, '<userTask id="t" camunda:assignee="#{directory.findBoss(x)}"/>', END))
    with pytest.raises(UnsupportedImplementation, match=r"camunda:assignee '#\{directory.findBoss\(x\)\}' "
                                                        "of user task 't'"):
        start(engine, d)
    assert rows(engine, ProcessInstance, process_definition_id=d.id) == []


def io_task(parameters: str, task_id: str = "t") -> str:
    return (f'<userTask id="{task_id}"><extensionElements><camunda:inputOutput>{parameters}'
            '</camunda:inputOutput></extensionElements></userTask>')


def script_parameter(kind: str, name: str, script: str, language: str = "javascript",
                     attributes: str = "") -> str:
    return (f'<camunda:{kind} name="{name}"><camunda:script scriptFormat="{language}" {attributes}>'
            f'<![CDATA[{script}]]></camunda:script></camunda:{kind}>')


def task_locals(engine, pid, activity_id):
    with engine.transaction() as session:
        state = instances.load_one(session, pid)
        (ai,) = [ai for ai in state.activity_instances.values() if ai.activity_id == activity_id]
        return {name: value.value for name, value in state.local_variables(ai.id).items()}


def test_input_parameter_script_value_is_its_last_value(engine):
    """An input parameter script's last value becomes the activity's local variable; it sees the
    variables as globals and execution, and execution.setVariable writes to the process instance."""
    parameters = (script_parameter("inputParameter", "doubled", "var d = amount * 2; d")
                  + script_parameter("inputParameter", "nothing",
                                     "execution.setVariable('seen', execution.getActivityId() + ':' + "
                                     "execution.getVariable('amount'));")
                  + script_parameter("inputParameter", "list", "[name, amount + 1]", language="JavaScript"))
    d = inline(engine, "jsinput", flow(START, io_task(parameters), END))
    pid = start(engine, d, amount=21, name="Ada")
    assert shape(engine, pid) == [("t", [])]
    assert variables(engine, pid) == {"amount": 21, "name": "Ada", "seen": "t:21"}
    assert task_locals(engine, pid, "t") == {"doubled": 42, "nothing": None, "list": '["Ada",22]'}
    complete(engine, pid, "t")
    assert shape(engine, pid) is None


def test_output_parameter_script_reads_the_activity_scope(engine):
    """An output parameter script runs on the activity's scope (it sees its input locals); its last
    value is set on the outer scope when the activity ends."""
    parameters = ('<camunda:inputParameter name="base">${amount + 1}</camunda:inputParameter>'
                  + script_parameter("outputParameter", "total", "base * 10 + execution.getVariableLocal('base')"))
    d = inline(engine, "jsoutput", flow(START, io_task(parameters), '<userTask id="wait"/>', END))
    pid = start(engine, d, amount=1)
    assert variables(engine, pid) == {"amount": 1}
    complete(engine, pid, "t")
    assert shape(engine, pid) == [("wait", [])]
    assert variables(engine, pid) == {"amount": 1, "total": 22}


def test_failing_parameter_script_names_its_parameter(engine):
    """A parameter script that throws fails the start with a 400 naming the parameter."""
    d = inline(engine, "jsbadparam", flow(START, io_task(
        script_parameter("inputParameter", "p", "throw new Error('no score')")), END))
    with pytest.raises(ScriptError) as caught:
        start(engine, d)
    assert caught.value.status == 400
    assert "camunda:inputParameter 'p' of userTask 't'" in caught.value.message
    assert "Error: no score" in caught.value.message
    assert rows(engine, ProcessInstance, process_definition_id=d.id) == []


def test_groovy_and_external_parameter_scripts_still_fail_when_evaluated(engine):
    """A groovy parameter script and a camunda:resource one deploy and fail with a 400 when reached;
    skipIoMappings gets past them."""
    d = inline(engine, "groovyparam", flow(START, io_task(
        script_parameter("inputParameter", "p", "1 + 1", language="groovy")), END))
    with pytest.raises(ProcessEngineError, match="cannot run the groovy script of "
                                                 "camunda:inputParameter 'p'") as caught:
        start(engine, d)
    assert caught.value.status == 400
    with engine.transaction() as session:
        pid = instances.start(session, d, business_key=None, variables={}, skip_io_mappings=True).state.id
    assert shape(engine, pid) == [("t", [])]
    d = inline(engine, "resourceparam", flow(START, io_task(
        script_parameter("outputParameter", "p", "", attributes='resource="deployment://x.js"')), END))
    pid = start(engine, d)
    with pytest.raises(ProcessEngineError, match="cannot run the javascript script of "
                                                 "camunda:outputParameter 'p'"):
        complete(engine, pid, "t")
