// Hash routes to views. Each view renders into <main> and registers its pollers on the route's
// context, which stops them when the operator navigates elsewhere.
import { h, notice, replace } from "./dom.js";
import { definitionsView, definitionView } from "./definitions.js";
import { modifyView } from "./modify.js";
import { batchesView, batchView } from "./batches.js";

const ROUTES = [
  [/^#\/definitions$/, definitionsView, "definitions"],
  [/^#\/definitions\/([^/]+)$/, definitionView, "definitions"],
  [/^#\/definitions\/([^/]+)\/modify$/, modifyView, "definitions"],
  [/^#\/batches$/, batchesView, "batches"],
  [/^#\/batches\/([^/]+)$/, batchView, "batches"],
];

class RouteContext {
  constructor() {
    this.timers = [];
    this.active = true;
    this.failing = false;
  }

  // Run fn now and then every `ms` after each run finishes, while the route is shown.
  poll(fn, ms) {
    const run = async () => {
      if (!this.active) return;
      try {
        await fn();
        if (this.failing) notice(null);  // the server answers again: drop the poll's error
        this.failing = false;
      } catch (error) {
        this.failing = true;
        if (this.active) notice(error.message);
      }
      if (this.active) this.timers.push(setTimeout(run, ms));
    };
    return run();
  }

  stop() {
    this.active = false;
    this.timers.forEach(clearTimeout);
  }
}

let current = null;

async function route() {
  const hash = location.hash || "#/definitions";
  if (!location.hash) history.replaceState(null, "", hash);
  current?.stop();
  const context = (current = new RouteContext());
  notice(null);
  const view = document.getElementById("view");
  for (const [pattern, render, section] of ROUTES) {
    const match = pattern.exec(hash);
    if (!match) continue;
    document.querySelectorAll("[data-nav]").forEach((link) =>
      link.classList.toggle("active", link.dataset.nav === section));
    replace(view, h("p", { class: "muted" }, "Loading…"));
    try {
      await render(view, match.slice(1).map(decodeURIComponent), context);
    } catch (error) {
      if (context.active) {
        replace(view, h("h1", {}, "Something went wrong"),
                h("p", { class: "error-text" }, error.message));
      }
    }
    return;
  }
  replace(view, h("h1", {}, "Not found"), h("p", {}, "No console page at ", hash, ". ",
          h("a", { href: "#/definitions" }, "Process definitions")));
}

window.addEventListener("hashchange", route);
route();
