// The process diagram: the server draws it from the model's BPMN DI (GET
// /process-definition/{id}/svg); the console adds overlays in the same user units: count badges
// from activity statistics and the source/target selection of the modification view.
import { get, getText } from "./api.js";
import { h } from "./dom.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL";
// Elements drawn in the diagram that are not activities (nothing waits or can be started there).
const NOT_ACTIVITIES = new Set([
  "participant", "lane", "laneSet", "textAnnotation", "association", "group", "process",
  "dataObjectReference", "dataStoreReference", "dataInputAssociation", "dataOutputAssociation",
  "sequenceFlow", "messageFlow", "collaboration",
]);
const ACTIVITY_NAME = /(Task|Event|Gateway)$|^(subProcess|callActivity|transaction|task)$/;

function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  children.forEach((child) => element.append(child));
  return element;
}

// The activities of a definition, from its BPMN XML: id -> {id, name, type}, in document order.
export async function activitiesOf(definitionId) {
  const { bpmn20Xml } = await get(`/process-definition/${encodeURIComponent(definitionId)}/xml`);
  const xml = new DOMParser().parseFromString(bpmn20Xml, "application/xml");
  const activities = new Map();
  for (const element of xml.getElementsByTagNameNS(BPMN_NS, "*")) {
    const id = element.getAttribute("id");
    if (!id || NOT_ACTIVITIES.has(element.localName) || !ACTIVITY_NAME.test(element.localName)) {
      continue;
    }
    activities.set(id, { id, name: element.getAttribute("name") || "", type: element.localName });
  }
  return activities;
}

export class Diagram {
  // Fetch the drawing; a model without DI (204) gives a Diagram with no svg.
  static async load(definitionId) {
    let text;
    try {
      text = await getText(`/process-definition/${encodeURIComponent(definitionId)}/svg`,
                           undefined, "image/svg+xml");
    } catch (error) {
      return new Diagram(null, `The diagram could not be loaded: ${error.message}`);
    }
    if (!text) return new Diagram(null);
    const root = new DOMParser().parseFromString(text, "image/svg+xml").documentElement;
    if (root.localName !== "svg" || root.namespaceURI !== SVG_NS) {
      return new Diagram(null, "The server's diagram is not an SVG document.");
    }
    return new Diagram(document.importNode(root, true));
  }

  constructor(root, problem = null) {
    this.svg = root;
    this.problem = problem;
    this.shapes = new Map();
    if (!root) return;
    root.classList.add("diagram-svg");
    const naturalWidth = parseFloat(root.getAttribute("width"));
    if (naturalWidth > 0) root.style.maxWidth = `${naturalWidth}px`;  // never blown up past its size
    root.removeAttribute("height");
    root.setAttribute("width", "100%");
    root.setAttribute("preserveAspectRatio", "xMinYMin meet");
    for (const g of root.querySelectorAll("g.mb-shape[data-element-id]")) {
      const bounds = ["x", "y", "width", "height"].map((name) => Number(g.dataset[name]));
      if (bounds.some(Number.isNaN)) continue;
      const [x, y, width, height] = bounds;
      this.shapes.set(g.dataset.elementId, { g, type: g.dataset.elementType || "", x, y, width, height });
    }
    this.badges = svg("g", { class: "mb-overlay mb-badges" });
    this.selection = svg("g", { class: "mb-overlay mb-selection" });
    root.append(this.selection, this.badges);
  }

  get drawn() {
    return this.svg !== null;
  }

  element() {
    return this.drawn ? h("div", { class: "diagram" }, this.svg)
                      : h("p", { class: "muted diagram-missing" }, this.problem
                          || "This model has no diagram (no BPMN DI); its activities are listed below.");
  }

  isActivity(id) {
    const shape = this.shapes.get(id);
    return shape !== undefined && !NOT_ACTIVITIES.has(shape.type);
  }

  // statistics: Camunda's ActivityStatisticsResultDto list ({id, instances, failedJobs, incidents}).
  showCounts(statistics) {
    if (!this.drawn) return;
    this.badges.replaceChildren();
    for (const { id, instances, failedJobs, incidents } of statistics) {
      const shape = this.shapes.get(id);
      if (!shape) continue;
      const incidentCount = (incidents || []).reduce((sum, i) => sum + i.incidentCount, 0);
      const badges = [
        ["instances", instances, `${instances} instance(s) waiting`],
        ["failed-jobs", failedJobs || 0, `${failedJobs} failed job(s)`],
        ["incidents", incidentCount, `${incidentCount} incident(s)`],
      ].filter(([, count]) => count > 0);
      let left = shape.x - 6;
      const top = shape.y + shape.height - 9;
      for (const [kind, count, title] of badges) {
        const text = String(count);
        const width = 10 + 7 * text.length;
        this.badges.append(svg("g", { class: `badge badge-${kind}`, "data-activity-id": id },
          svg("title", {}, title),
          svg("rect", { x: left, y: top, width, height: 18, rx: 9, ry: 9 }),
          Object.assign(svg("text", { x: left + width / 2, y: top + 13, "text-anchor": "middle" }),
                        { textContent: text })));
        left += width + 3;
      }
    }
  }

  // Outline the cancel (source) and start (target) activities of the modification view.
  showSelection(sources, targets) {
    if (!this.drawn) return;
    this.selection.replaceChildren();
    const mark = (id, kind, label) => {
      const shape = this.shapes.get(id);
      if (!shape) return;
      this.selection.append(svg("g", { class: `selected selected-${kind}`, "data-activity-id": id },
        svg("rect", { x: shape.x - 5, y: shape.y - 5, width: shape.width + 10,
                      height: shape.height + 10, rx: 8, ry: 8 }),
        Object.assign(svg("text", { x: shape.x - 4, y: shape.y - 9 }), { textContent: label })));
    };
    sources.forEach((id) => mark(id, "source", "cancel"));
    targets.forEach((id) => mark(id, "target", "start before"));
    for (const [id, shape] of this.shapes) {
      shape.g.classList.toggle("is-source", sources.includes(id));
      shape.g.classList.toggle("is-target", targets.includes(id));
    }
  }

  // Call onPick(activityId) when the operator clicks an activity.
  onActivityClick(onPick) {
    if (!this.drawn) return;
    for (const [id, shape] of this.shapes) {
      if (!this.isActivity(id)) continue;
      shape.g.classList.add("pickable");
      shape.g.setAttribute("tabindex", "0");  // keyboard users pick with Enter or Space
      shape.g.setAttribute("role", "button");
      shape.g.setAttribute("aria-label", `${shape.g.querySelector("title")?.textContent || id} (${id})`);
      shape.g.addEventListener("click", (event) => {
        event.stopPropagation();
        onPick(id);
      });
      shape.g.addEventListener("keydown", (event) => {
        if (event.key !== "Enter" && event.key !== " ") return;
        event.preventDefault();
        onPick(id);
      });
    }
  }
}
