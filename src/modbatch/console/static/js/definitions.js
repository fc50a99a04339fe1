// Process definitions: the list with instance counts, and one definition's diagram with the
// number of instances waiting at each activity, its failed jobs and incidents.
import { get } from "./api.js";
import { activitiesOf, Diagram } from "./diagram.js";
import { h, replace, table } from "./dom.js";

const STATISTICS = { failedJobs: true, incidents: true };

export const incidentTotal = (incidents) =>
  (incidents || []).reduce((sum, incident) => sum + incident.incidentCount, 0);

const count = (value, kind) =>
  h("td", { class: `num ${kind}${value > 0 ? " nonzero" : ""}`, "data-col": kind }, String(value));

export async function definitionsView(view, _params, context) {
  const body = h("div", {});
  replace(view,
    h("div", { class: "page-head" }, h("h1", {}, "Process definitions")),
    h("p", { class: "muted" }, "Every deployed version, with its running instances, failed jobs ",
      "(no retries left) and open incidents."),
    body);
  await context.poll(async () => {
    const statistics = await get("/process-definition/statistics", STATISTICS);
    statistics.sort((a, b) => a.definition.key.localeCompare(b.definition.key)
                              || b.definition.version - a.definition.version);
    const rows = statistics.map(({ id, instances, failedJobs, incidents, definition }) =>
      h("tr", { "data-definition-id": id, "data-key": definition.key },
        h("td", {}, h("a", { href: `#/definitions/${encodeURIComponent(id)}` }, definition.key)),
        h("td", {}, definition.name || "—"),
        h("td", { class: "num", "data-col": "version" }, String(definition.version)),
        count(instances, "instances"),
        count(failedJobs, "failed-jobs"),
        count(incidentTotal(incidents), "incidents"),
        h("td", {}, definition.suspended ? h("span", { class: "tag warn" }, "suspended") : "active"),
        h("td", {}, h("a", { class: "button small", href: `#/definitions/${encodeURIComponent(id)}/modify` },
                      "Modify…"))));
    replace(body, table(["Key", "Name", ["Version", "num"], ["Instances", "num"],
                         ["Failed jobs", "num"], ["Incidents", "num"], "State", ""],
                        rows, { empty: "No process definition is deployed yet.", className: "definitions" }));
  }, 2000);
}

export async function definitionView(view, [id], context) {
  const path = `/process-definition/${encodeURIComponent(id)}`;
  const [definition, diagram, activities] = await Promise.all([
    get(path), Diagram.load(id), activitiesOf(id)]);
  const activityTable = h("div", {});
  replace(view,
    h("div", { class: "page-head" },
      h("h1", {}, definition.name || definition.key,
        h("span", { class: "version" }, ` version ${definition.version}`)),
      h("a", { class: "button primary", href: `#/definitions/${encodeURIComponent(id)}/modify` },
        "Modify instances…")),
    h("dl", { class: "facts" },
      h("dt", {}, "Key"), h("dd", {}, definition.key),
      h("dt", {}, "Definition id"), h("dd", { class: "mono" }, definition.id),
      h("dt", {}, "Resource"), h("dd", {}, definition.resource || "—"),
      h("dt", {}, "Deployment"), h("dd", { class: "mono" }, definition.deploymentId)),
    h("section", { class: "card" },
      h("h2", {}, "Diagram"),
      h("p", { class: "legend" },
        h("span", { class: "swatch instances" }), "instances waiting ",
        h("span", { class: "swatch failed-jobs" }), "failed jobs ",
        h("span", { class: "swatch incidents" }), "incidents"),
      diagram.element()),
    h("section", { class: "card" }, h("h2", {}, "Activities"), activityTable));
  await context.poll(async () => {
    const statistics = await get(`${path}/statistics`, STATISTICS);
    diagram.showCounts(statistics);
    const byId = new Map(statistics.map((s) => [s.id, s]));
    const ids = [...activities.keys(), ...[...byId.keys()].filter((a) => !activities.has(a))];
    const rows = ids.map((activityId) => {
      const s = byId.get(activityId) || { instances: 0, failedJobs: 0, incidents: [] };
      const activity = activities.get(activityId) || { name: "", type: "" };
      return h("tr", { "data-activity-id": activityId, class: byId.has(activityId) ? "" : "idle" },
        h("td", { class: "mono" }, activityId), h("td", {}, activity.name || "—"),
        h("td", { class: "muted" }, activity.type),
        count(s.instances, "instances"), count(s.failedJobs || 0, "failed-jobs"),
        count(incidentTotal(s.incidents), "incidents"));
    });
    replace(activityTable, table(["Activity", "Name", "Type", ["Instances", "num"],
                                  ["Failed jobs", "num"], ["Incidents", "num"]],
                                 rows, { className: "activities" }));
  }, 2000);
}
