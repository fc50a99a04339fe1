"""Inline JavaScript (script tasks, execution and task listeners) in a QuickJS sandbox.

Each evaluation gets a fresh context with a time and memory limit; QuickJS has no filesystem,
network or host access. The script sees the variables visible in its scope as globals (as
Camunda's script engine binds them) and ``execution`` (and, in a task listener, ``task``): a
JavaScript prelude over plain JSON data. Changes (variables set, the assignee) are recorded by the
prelude, read back as JSON after the script ran, and applied through the runtime. Values must be
JSON-compatible; other values (and other variables' types) raise a script error.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import quickjs

from modbatch.engine.bpmn.model import Script
from modbatch.engine.runtime.state import TaskState
from modbatch.engine.variables import infer
from modbatch.errors import ProcessEngineError

if TYPE_CHECKING:
    from modbatch.engine.runtime.runtime import Runtime

TIME_LIMIT_SECONDS = 2.0
MEMORY_LIMIT_BYTES = 32 * 1024 * 1024
STACK_LIMIT_BYTES = 1024 * 1024


class ScriptError(ProcessEngineError):
    """A script failed: syntax error, thrown exception, time or memory limit, a bad value."""

    status = 400


_PRELUDE = r"""
var __out = {vars: [], assignee: null, assigneeSet: false};
var __vars = __in.vars, __locals = __in.locals, __opaque = __in.opaque;
function __plain(name, value, path) {
  if (value === null || typeof value === "string" || typeof value === "boolean") return;
  if (typeof value === "number") {
    if (!isFinite(value)) throw new TypeError("value of '" + name + "'" + path + " is not a finite number");
    return;
  }
  if (Array.isArray(value)) {
    for (var i = 0; i < value.length; i++) __plain(name, value[i], path + "[" + i + "]");
    return;
  }
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    for (var k in value) __plain(name, value[k], path + "." + k);
    return;
  }
  throw new TypeError("value of '" + name + "'" + path + " is not JSON-compatible (" +
                      (value === undefined ? "undefined" : typeof value) + "); modbatch stores " +
                      "numbers, strings, booleans, null, arrays and plain objects only");
}
function __read(name, table) {
  name = String(name);
  if (__opaque.indexOf(name) >= 0)
    throw new TypeError("variable '" + name + "' has a type JavaScript cannot see here");
  return Object.prototype.hasOwnProperty.call(table, name) ? table[name] : null;
}
function __write(name, value, local) {
  name = String(name);
  if (value === undefined) value = null;
  __plain(name, value, "");
  __out.vars.push([name, JSON.stringify(value), local]);
  __vars[name] = value;
  if (local) __locals[name] = value;
  var at = __opaque.indexOf(name);
  if (at >= 0) __opaque.splice(at, 1);
}
var execution = {
  getVariable: function (n) { return __read(n, __vars); },
  getVariableLocal: function (n) { return __read(n, __locals); },
  setVariable: function (n, v) { __write(n, v, false); },
  setVariableLocal: function (n, v) { __write(n, v, true); },
  hasVariable: function (n) {
    return Object.prototype.hasOwnProperty.call(__vars, String(n)) || __opaque.indexOf(String(n)) >= 0;
  },
  hasVariableLocal: function (n) { return Object.prototype.hasOwnProperty.call(__locals, String(n)); },
  getVariables: function () { return JSON.parse(JSON.stringify(__vars)); },
  getId: function () { return __in.executionId; },
  getProcessInstanceId: function () { return __in.processInstanceId; },
  getActivityId: function () { return __in.activityId; },
  getCurrentActivityId: function () { return __in.activityId; },
  getBusinessKey: function () { return __in.businessKey; },
  getProcessBusinessKey: function () { return __in.businessKey; },
  getEventName: function () { return __in.eventName; }
};
var task;
if (__in.task) {
  task = Object.create(execution);
  task.getId = function () { return __in.task.id; };
  task.getName = function () { return __in.task.name; };
  task.getTaskDefinitionKey = function () { return __in.task.taskDefinitionKey; };
  task.getExecutionId = function () { return __in.executionId; };
  task.getExecution = function () { return execution; };
  task.getAssignee = function () { return __in.task.assignee; };
  task.setAssignee = function (a) {
    a = (a === undefined || a === null) ? null : String(a);
    __in.task.assignee = a; __out.assignee = a; __out.assigneeSet = true;
  };
}
"""

_EPILOGUE = """
if (__result === undefined) __result = null;
JSON.stringify({out: __out, result: __in.wantResult ? __result : null,
                resultOk: !__in.wantResult || (function () {
                  try { __plain("result", __result, ""); return true; } catch (e) { return false; } })()})
"""


def run_script(rt: "Runtime", script: Script, scope_id: str, owner: str, *, event: str | None = None,
               task: TaskState | None = None, activity_id: str | None = None,
               result_variable: str | None = None) -> None:
    """Run ``script`` in ``scope_id``; apply the variables it set (and the assignee it set on
    ``task``); ``result_variable`` gets the script's last value. Failures raise ScriptError."""
    where = f"the {event} listener of {owner}" if event is not None else owner
    result = _run(rt, script, scope_id, where, event=event, task=task, activity_id=activity_id,
                  want_result=bool(result_variable))
    if result_variable:
        if not result["ok"]:
            raise ScriptError(f"Unable to evaluate script while executing {where}: the "
                              f"script's value for camunda:resultVariable '{result_variable}' is not "
                              "JSON-compatible")
        rt.set_variable(result_variable, infer(result["value"]), scope_id)


def script_value(rt: "Runtime", script: Script, scope_id: str, owner: str,
                 activity_id: str | None = None) -> Any:
    """The last value of ``script`` run in ``scope_id`` (a camunda:inputParameter or
    outputParameter); the variables it set are applied as in run_script. undefined is null."""
    where = f"the script of {owner}"
    result = _run(rt, script, scope_id, where, activity_id=activity_id, want_result=True)
    if not result["ok"]:
        raise ScriptError(f"Unable to evaluate script while executing {where}: the script's "
                          "value is not JSON-compatible")
    return result["value"]


def _run(rt: "Runtime", script: Script, scope_id: str, where: str, *, event: str | None = None,
         task: TaskState | None = None, activity_id: str | None = None,
         want_result: bool) -> dict[str, Any]:
    state = rt.state
    visible: dict[str, Any] = {}
    opaque: list[str] = []
    for name, value in state.visible_variables(scope_id).items():
        (visible.__setitem__(name, value) if _is_plain(value) else opaque.append(name))
    local_names = set(state.local_variables(scope_id)) if state.alive(scope_id) else set()
    locals_ = {name: value for name, value in visible.items() if name in local_names}
    ai = state.activity_instances.get(scope_id)
    data = {
        "vars": visible, "locals": locals_, "opaque": opaque,
        "executionId": ai.execution_id if ai is not None else state.id,
        "processInstanceId": state.id, "businessKey": state.business_key,
        "activityId": activity_id or (ai.activity_id if ai is not None else None),
        "eventName": event, "wantResult": want_result,
        "task": None if task is None else {"id": task.id, "name": task.name, "assignee": task.assignee,
                                           "taskDefinitionKey": task.task_definition_key},
    }
    globals_ = "".join(f"var {name} = __in.vars[{json.dumps(name)}];\n"
                       for name in visible if _bindable(name))
    code = (f"var __in = JSON.parse({json.dumps(json.dumps(data))});\n{_PRELUDE}{globals_}"
            f"var __result = (0, eval)({json.dumps(script.text)});\n{_EPILOGUE}")
    context = quickjs.Context()
    context.set_time_limit(TIME_LIMIT_SECONDS)
    context.set_memory_limit(MEMORY_LIMIT_BYTES)
    context.set_max_stack_size(STACK_LIMIT_BYTES)
    try:
        raw = context.eval(code)
    except quickjs.JSException as e:
        raise ScriptError(f"Unable to evaluate script while executing {where}: "
                          f"{_describe(e)}") from None
    except MemoryError:
        raise ScriptError(f"Unable to evaluate script while executing {where}: the "
                          f"script exceeded the memory limit of {MEMORY_LIMIT_BYTES // (1024 * 1024)} MB") from None
    outcome = json.loads(raw)
    out = outcome["out"]
    for name, value, local in out["vars"]:
        rt.set_variable(name, infer(json.loads(value)), scope_id, local=local)
    if task is not None and out["assigneeSet"]:
        task.assignee = out["assignee"]
    return {"ok": outcome["resultOk"], "value": outcome["result"]}


# names the prelude needs and JavaScript's reserved words: variables named so are no globals
# (they stay readable through execution.getVariable)
_RESERVED = {"execution", "task", "eval", "JSON", "Object", "Array", "Math", "String", "Number",
             "Boolean", "Date", "Error", "TypeError", "undefined", "NaN", "Infinity", "isFinite",
             "arguments", "await", "break", "case", "catch", "class", "const", "continue", "debugger",
             "default", "delete", "do", "else", "enum", "export", "extends", "false", "finally", "for",
             "function", "if", "implements", "import", "in", "instanceof", "interface", "let", "new",
             "null", "package", "private", "protected", "public", "return", "static", "super",
             "switch", "this", "throw", "true", "try", "typeof", "var", "void", "while", "with",
             "yield"}


def _bindable(name: str) -> bool:
    return name.isidentifier() and not name.startswith("__") and name not in _RESERVED


def _is_plain(value: Any) -> bool:
    if value is None or isinstance(value, (str, bool, int)):
        return True
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    if isinstance(value, list):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    return False


def _describe(error: quickjs.JSException) -> str:
    text = str(error).strip()
    if text in ("", "null") or text.startswith("InternalError: out of memory"):
        return (f"the script exceeded the memory limit of {MEMORY_LIMIT_BYTES // (1024 * 1024)} MB")
    if text.startswith("InternalError: interrupted"):
        return f"the script ran longer than the time limit of {TIME_LIMIT_SECONDS:g} seconds"
    return text.splitlines()[0]
