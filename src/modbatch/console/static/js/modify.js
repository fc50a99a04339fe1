// The modification view: pick activities to cancel (source) and to start before (target) on the
// diagram, narrow the instances, preview with the dry run, submit executeAsync.
import { get, post } from "./api.js";
import { activitiesOf, Diagram } from "./diagram.js";
import { h, notice, replace, shortId, table } from "./dom.js";

const OPERATORS = [["eq", "="], ["neq", "≠"], ["gt", ">"], ["gteq", "≥"], ["lt", "<"],
                   ["lteq", "≤"], ["like", "like"]];
const PREVIEW_IDS = 100;
const PREVIEW_SAMPLE = 5;

// A typed filter value: true/false, numbers and null as JSON, "quoted" text as text, else text.
export function parseValue(text) {
  const trimmed = text.trim();
  if (/^(true|false|null)$/.test(trimmed) || /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(trimmed)
      || /^".*"$/.test(trimmed)) {
    try {
      return JSON.parse(trimmed);
    } catch (_) { /* fall through: plain text */ }
  }
  return text;
}

export async function modifyView(view, [id], context) {
  const [definition, diagram, activities] = await Promise.all([
    get(`/process-definition/${encodeURIComponent(id)}`), Diagram.load(id), activitiesOf(id)]);
  const state = { sources: [], targets: [], mode: "source" };
  const label = (activityId) => {
    const name = activities.get(activityId)?.name;
    return name ? `${name} (${activityId})` : activityId;
  };

  // -------------------------------------------------------------- instructions
  const instructionList = h("ol", { class: "instructions" });
  const pick = (activityId, mode = state.mode) => {
    const list = mode === "source" ? state.sources : state.targets;
    const at = list.indexOf(activityId);
    if (at >= 0) list.splice(at, 1);
    else list.push(activityId);
    showInstructions();
  };
  const showInstructions = () => {
    diagram.showSelection(state.sources, state.targets);
    const items = [
      ...state.sources.map((a) => ["source", "cancel", a]),
      ...state.targets.map((a) => ["target", "startBeforeActivity", a]),
    ].map(([mode, type, activityId]) =>
      h("li", { class: `instruction ${mode}`, "data-type": type, "data-activity-id": activityId },
        h("code", {}, type), " ", label(activityId), " ",
        h("button", { class: "link", title: "Remove", onclick: () => pick(activityId, mode) }, "remove")));
    replace(instructionList, items.length ? items
      : h("li", { class: "muted placeholder" }, "No instruction yet: click activities on the diagram."));
    submitButton.disabled = previewButton.disabled = !(state.sources.length || state.targets.length);
  };
  diagram.onActivityClick((activityId) => pick(activityId));

  const modeSwitch = h("fieldset", { class: "mode" }, h("legend", {}, "A click on the diagram adds"),
    ...[["source", "a source: cancel its instances"], ["target", "a target: start before it"]].map(
      ([mode, text]) => h("label", { class: `mode-${mode}` },
        h("input", { type: "radio", name: "mode", value: mode, checked: mode === state.mode,
                     onchange: () => { state.mode = mode; } }), " ", text)));
  const activityOptions = () => [h("option", { value: "" }, "choose an activity…"),
    ...[...activities.values()].map((a) => h("option", { value: a.id }, label(a.id)))];
  const addBy = (mode, text) => h("label", {}, text, " ",
    h("select", { "data-add": mode, onchange: (event) => {
      if (event.target.value) pick(event.target.value, mode);
      event.target.value = "";
    } }, activityOptions()));

  // ---------------------------------------------------------------- filters
  const businessKey = h("input", { type: "text", name: "businessKey", placeholder: "any" });
  const variableRows = h("div", { class: "variables" });
  const addVariableRow = () => {
    const row = h("div", { class: "variable-row" },
      h("input", { type: "text", name: "variableName", placeholder: "name", "aria-label": "Variable name" }),
      h("select", { name: "variableOperator", "aria-label": "Operator" },
        OPERATORS.map(([value, text]) => h("option", { value }, text))),
      h("input", { type: "text", name: "variableValue", placeholder: "value (42, true, text)",
                   "aria-label": "Variable value" }),
      h("button", { class: "link", type: "button", onclick: () => row.remove() }, "remove"));
    variableRows.append(row);
  };
  const instanceIds = h("textarea", { name: "processInstanceIds", rows: 3,
                                      placeholder: "one id per line or comma-separated (optional)" });
  const annotation = h("input", { type: "text", name: "annotation", placeholder: "why this modification" });
  const skipCustomListeners = h("input", { type: "checkbox", name: "skipCustomListeners" });
  const skipIoMappings = h("input", { type: "checkbox", name: "skipIoMappings" });

  const body = () => {
    const query = { processDefinitionId: id };
    if (businessKey.value.trim()) query.businessKey = businessKey.value.trim();
    const variables = [...variableRows.querySelectorAll(".variable-row")]
      .map((row) => ({ name: row.querySelector("[name=variableName]").value.trim(),
                       operator: row.querySelector("[name=variableOperator]").value,
                       value: parseValue(row.querySelector("[name=variableValue]").value) }))
      .filter((v) => v.name);
    if (variables.length) query.variables = variables;
    const ids = instanceIds.value.split(/[\s,;]+/).filter(Boolean);
    if (ids.length) query.processInstanceIds = ids;
    return {
      processDefinitionId: id,
      instructions: [
        ...state.sources.map((activityId) => ({ type: "cancel", activityId })),
        ...state.targets.map((activityId) => ({ type: "startBeforeActivity", activityId })),
      ],
      processInstanceQuery: query,
      skipCustomListeners: skipCustomListeners.checked,
      skipIoMappings: skipIoMappings.checked,
      annotation: annotation.value.trim() || null,
    };
  };

  // ---------------------------------------------------------------- preview and submit
  const previewBox = h("div", { class: "preview", "data-state": "empty" });
  const previewButton = h("button", { type: "button", class: "button", onclick: async () => {
    previewBox.dataset.state = "loading";
    replace(previewBox, h("p", { class: "muted" }, "Asking the server…"));
    try {
      const result = await post("/modification/executeAsync/dry-run", body(),
                                { maxResults: PREVIEW_IDS, sampleSize: PREVIEW_SAMPLE });
      showPreview(result);
    } catch (error) {
      previewBox.dataset.state = "error";
      replace(previewBox, h("p", { class: "error-text" },
        error.status === 400 ? "executeAsync would refuse this request: " : "", error.message));
    }
  } }, "Preview");
  const showPreview = ({ instanceCount, processInstanceIds, sample }) => {
    previewBox.dataset.state = "done";
    const more = instanceCount - processInstanceIds.length;
    const activityList = (instances) => instances.length
      ? h("ul", { class: "plain" }, instances.map((a) =>
          h("li", { "data-activity-id": a.activityId }, a.activityName || a.activityId,
            h("span", { class: "muted mono" }, ` ${shortId(a.id)}`))))
      : h("span", { class: "muted" }, "none");
    replace(previewBox,
      h("p", { class: "preview-count" },
        h("strong", { "data-count": String(instanceCount) }, String(instanceCount)),
        instanceCount === 1 ? " instance would be modified." : " instances would be modified."),
      processInstanceIds.length ? h("details", { class: "preview-ids" },
        h("summary", {}, `Instance ids (${processInstanceIds.length}${more > 0 ? ` of ${instanceCount}` : ""})`),
        h("ul", { class: "ids mono" }, processInstanceIds.map((pid) => h("li", {}, pid)))) : null,
      sample.length ? h("h3", {}, "Sample: activity-instance changes") : null,
      sample.length ? table(["Process instance", "Cancelled", "Started", "Error"],
        sample.map((s) => h("tr", { "data-process-instance-id": s.processInstanceId,
                                    class: s.error ? "failed" : "" },
          h("td", { class: "mono" }, s.processInstanceId),
          h("td", { class: "cancelled" }, activityList(s.cancelledActivityInstances)),
          h("td", { class: "started" }, activityList(s.startedActivityInstances)),
          h("td", { class: "error-text" }, s.error ? s.error.message : ""))),
        { className: "sample" }) : null);
  };
  const submitButton = h("button", { type: "button", class: "button primary", onclick: async () => {
    submitButton.disabled = true;
    try {
      const batch = await post("/modification/executeAsync", body());
      location.hash = `#/batches/${encodeURIComponent(batch.id)}`;
    } catch (error) {
      notice(error.message);
      submitButton.disabled = false;
    }
  } }, "Submit");

  replace(view,
    h("div", { class: "page-head" },
      h("h1", {}, "Modify instances of ", definition.name || definition.key,
        h("span", { class: "version" }, ` version ${definition.version}`)),
      h("a", { class: "button", href: `#/definitions/${encodeURIComponent(id)}` }, "Back to definition")),
    h("section", { class: "card" }, h("h2", {}, "1. Instructions"), modeSwitch, diagram.element(),
      h("div", { class: "add-by-list" }, addBy("source", "Cancel:"), addBy("target", "Start before:")),
      instructionList),
    h("section", { class: "card" }, h("h2", {}, "2. Instances"),
      h("p", { class: "muted" }, "Running instances of this definition that match every filter."),
      h("div", { class: "form-grid" },
        h("label", {}, "Business key"), businessKey,
        h("label", {}, "Variables"), h("div", {}, variableRows,
          h("button", { type: "button", class: "link add-variable", onclick: addVariableRow },
            "+ add a variable filter")),
        h("label", {}, "Instance ids"), instanceIds)),
    h("section", { class: "card" }, h("h2", {}, "3. Preview and submit"),
      h("div", { class: "form-grid" },
        h("label", {}, "Annotation"), annotation,
        h("label", {}, "Options"), h("div", {},
          h("label", { class: "check" }, skipCustomListeners, " skip custom listeners"),
          h("label", { class: "check" }, skipIoMappings, " skip input/output mappings"))),
      h("div", { class: "actions" }, previewButton, submitButton),
      previewBox));
  showInstructions();
  const statistics = await get(`/process-definition/${encodeURIComponent(id)}/statistics`,
                               { failedJobs: true, incidents: true });
  if (context.active) diagram.showCounts(statistics);
}
