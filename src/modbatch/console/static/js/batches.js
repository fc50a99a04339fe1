// Batches: running ones with live progress (GET /batch/statistics every second), completed ones
// from the history, and one batch's page with its items, failed jobs, incidents and controls.
import { del, get, getText, put } from "./api.js";
import { confirmAction, formatDate, h, notice, progress, replace, shortId, table } from "./dom.js";

const POLL_MS = 1000;
const ITEMS_PAGE = 50;
const batchLink = (id, text = id) => h("a", { href: `#/batches/${encodeURIComponent(id)}` }, text);

function stateTag(batch) {
  if (batch.endTime) return h("span", { class: "tag ok" }, "completed");
  if (batch.suspended) return h("span", { class: "tag warn" }, "suspended");
  if (batch.failedJobs > 0) return h("span", { class: "tag bad" }, "failed jobs");
  return h("span", { class: "tag run" }, "running");
}

export async function batchesView(view, _params, context) {
  const running = h("div", {});
  const completed = h("div", {});
  replace(view,
    h("div", { class: "page-head" }, h("h1", {}, "Batches")),
    h("section", { class: "card" }, h("h2", {}, "Running"), running),
    h("section", { class: "card" }, h("h2", {}, "Completed"), completed));
  await context.poll(async () => {
    const [statistics, history] = await Promise.all([
      get("/batch/statistics", { sortBy: "startTime", sortOrder: "desc" }),
      get("/history/batch", { completed: true, sortBy: "endTime", sortOrder: "desc", maxResults: 50 }),
    ]);
    replace(running, table(["Batch", "Type", "Progress", ["Remaining", "num"],
                            ["Failed jobs", "num"], "State", "Started"],
      statistics.map((batch) => h("tr", { "data-batch-id": batch.id },
        h("td", { class: "mono" }, batchLink(batch.id, shortId(batch.id))),
        h("td", {}, batch.type),
        h("td", { class: "progress-cell" }, progress(batch.completedJobs, batch.totalJobs,
                                                     { failed: batch.failedJobs })),
        h("td", { class: "num", "data-col": "remaining" }, String(batch.remainingJobs)),
        h("td", { class: `num${batch.failedJobs ? " nonzero failed-jobs" : ""}`, "data-col": "failed-jobs" },
          String(batch.failedJobs)),
        h("td", { "data-col": "state" }, stateTag(batch)),
        h("td", {}, formatDate(batch.startTime)))),
      { empty: "No batch is running.", className: "batches running" }));
    replace(completed, table(["Batch", "Type", ["Jobs", "num"], "Started", "Ended"],
      history.map((batch) => h("tr", { "data-batch-id": batch.id },
        h("td", { class: "mono" }, batchLink(batch.id, shortId(batch.id))),
        h("td", {}, batch.type), h("td", { class: "num" }, String(batch.totalJobs)),
        h("td", {}, formatDate(batch.startTime)), h("td", {}, formatDate(batch.endTime)))),
      { empty: "No batch has completed yet.", className: "batches completed" }));
  }, POLL_MS);
}

// ------------------------------------------------------------------------ one batch

class ItemsPanel {
  constructor(batchId) {
    this.batchId = batchId;
    this.status = "";
    this.first = 0;
    this.historic = false;
    this.body = h("div", { class: "items-body" });
    this.filters = h("div", { class: "tabs", role: "tablist" },
      [["", "All"], ["pending", "Pending"], ["modified", "Modified"], ["failed", "Failed"]].map(
        ([status, text]) => h("button", { type: "button", class: "tab", "data-status": status,
                                          onclick: () => this.show(status, 0) }, text)));
    this.element = h("section", { class: "card items" }, h("h2", {}, "Instances (items)"),
                     this.filters, this.body);
  }

  // Switch to a state filter or a page (on a click: errors go to the notice bar).
  show(status, first) {
    this.status = status;
    this.first = first;
    this.refresh().catch((error) => notice(error.message));
  }

  async refresh() {
    const base = `${this.historic ? "/history" : ""}/batch/${encodeURIComponent(this.batchId)}/items`;
    const query = { status: this.status || undefined };
    const [items, { count }] = await Promise.all([
      get(base, { ...query, firstResult: this.first, maxResults: ITEMS_PAGE }),
      get(`${base}/count`, query)]);
    this.filters.querySelectorAll(".tab").forEach((tab) =>
      tab.classList.toggle("active", tab.dataset.status === this.status));
    const last = Math.min(this.first + items.length, count);
    replace(this.body,
      table(["Process instance", "Status", "Message"], items.map((item) =>
        h("tr", { "data-process-instance-id": item.processInstanceId, "data-status": item.status,
                  class: item.status },
          h("td", { class: "mono" }, item.processInstanceId),
          h("td", {}, h("span", { class: `tag ${{ failed: "bad", modified: "ok" }[item.status] || ""}` },
                        item.status)),
          h("td", { class: "message" }, item.message || ""))),
        { empty: "No item in this state.", className: "items-table" }),
      h("div", { class: "pager" },
        h("button", { type: "button", class: "button small", disabled: this.first === 0,
                      onclick: () => this.show(this.status, Math.max(0, this.first - ITEMS_PAGE)) },
          "‹ Previous"),
        h("span", { class: "muted", "data-count": String(count) },
          count ? ` ${this.first + 1}–${last} of ${count} ` : " 0 items "),
        h("button", { type: "button", class: "button small", disabled: last >= count,
                      onclick: () => this.show(this.status, this.first + ITEMS_PAGE) }, "Next ›")));
  }
}

// A job's stack trace, fetched on first opening, in a full-width row under the job's row.
function stacktraceRows(jobId) {
  const output = h("pre", { class: "stacktrace" });
  const traceRow = h("tr", { class: "stacktrace-row", "data-stacktrace-of": jobId, hidden: true },
                     h("td", { colspan: 4 }, output));
  const button = h("button", { type: "button", class: "link", onclick: async () => {
    if (traceRow.hidden && !output.textContent) {
      try {
        output.textContent = await getText(`/job/${encodeURIComponent(jobId)}/stacktrace`);
      } catch (error) {  // the job ran again and succeeded meanwhile, for one
        notice(error.message);
        return;
      }
    }
    traceRow.hidden = !traceRow.hidden;
    button.textContent = traceRow.hidden ? "Show stack trace" : "Hide stack trace";
  } }, "Show stack trace");
  return [h("td", { class: "stacktrace-cell" }, button), traceRow];
}

export async function batchView(view, [id], context) {
  const items = new ItemsPanel(id);
  const header = h("div", {});
  const jobsBox = h("div", {});
  const incidentsBox = h("div", {});
  const shownJobs = new Map(); // job id -> its row, kept across polls so open stack traces stay open

  const act = async (work) => {
    try {
      await work();
      if (context.active) await refresh();
    } catch (error) {
      notice(error.message);
    }
  };

  const runtimeHeader = (batch) => h("div", {},
    h("div", { class: "page-head" },
      h("h1", {}, "Batch ", h("span", { class: "mono" }, batch.id)),
      h("div", { class: "actions" },
        batch.suspended
          ? h("button", { type: "button", class: "button", "data-action": "resume",
                          onclick: () => act(() => put(`/batch/${encodeURIComponent(id)}/suspended`,
                                                       { suspended: false })) }, "Resume")
          : h("button", { type: "button", class: "button", "data-action": "suspend",
                          onclick: () => act(() => put(`/batch/${encodeURIComponent(id)}/suspended`,
                                                       { suspended: true })) }, "Suspend"),
        h("button", { type: "button", class: "button", "data-action": "retry",
                      disabled: batch.failedJobs === 0, onclick: () => act(retryFailedJobs) },
          "Retry failed jobs"),
        h("button", { type: "button", class: "button danger", "data-action": "delete",
                      onclick: () => act(deleteBatch) }, "Delete"))),
    progress(batch.completedJobs, batch.totalJobs, { failed: batch.failedJobs }),
    h("dl", { class: "facts" },
      h("dt", {}, "State"), h("dd", { "data-field": "state" }, stateTag(batch)),
      h("dt", {}, "Type"), h("dd", {}, batch.type),
      h("dt", {}, "Jobs"), h("dd", { "data-field": "jobs" },
        `${batch.completedJobs} completed, ${batch.remainingJobs} remaining, ${batch.failedJobs} failed, `
        + `${batch.totalJobs} in total (${batch.jobsCreated} created)`),
      h("dt", {}, "Instances per job"), h("dd", {}, String(batch.invocationsPerBatchJob)),
      h("dt", {}, "Started"), h("dd", {}, formatDate(batch.startTime)),
      h("dt", {}, "Execution started"), h("dd", {}, formatDate(batch.executionStartTime)),
      h("dt", {}, "Created by"), h("dd", {}, batch.createUserId || "—")));

  const historicHeader = (batch) => h("div", {},
    h("div", { class: "page-head" },
      h("h1", {}, "Batch ", h("span", { class: "mono" }, batch.id)),
      h("div", { class: "actions" }, h("a", { class: "button", href: "#/batches" }, "All batches"))),
    progress(batch.totalJobs, batch.totalJobs),
    h("dl", { class: "facts" },
      h("dt", {}, "State"), h("dd", { "data-field": "state" },
        batch.endTime ? stateTag(batch) : h("span", { class: "tag warn" }, "deleted or not started")),
      h("dt", {}, "Type"), h("dd", {}, batch.type),
      h("dt", {}, "Jobs"), h("dd", {}, `${batch.totalJobs} in total`),
      h("dt", {}, "Started"), h("dd", {}, formatDate(batch.startTime)),
      h("dt", {}, "Ended"), h("dd", { "data-field": "endTime" }, formatDate(batch.endTime))));

  let current = null;
  const definitionIds = (batch) =>
    [batch.batchJobDefinitionId, batch.seedJobDefinitionId, batch.monitorJobDefinitionId].filter(Boolean);

  async function retryFailedJobs() {
    const failed = await failedJobs(current);
    const stuck = failed.filter((job) => job.retries === 0);
    await Promise.all(stuck.map((job) => put(`/job/${encodeURIComponent(job.id)}/retries`, { retries: 1 })));
    notice(`Retrying ${stuck.length} failed job(s).`, "info");
  }

  async function deleteBatch() {
    if (!(await confirmAction(`Delete batch ${id}, its jobs and its history? Instances already `
                              + "modified stay modified.", "Delete batch"))) return;
    await del(`/batch/${encodeURIComponent(id)}`, { cascade: true });
    context.stop();
    location.hash = "#/batches";
  }

  async function failedJobs(batch) {
    const lists = await Promise.all(definitionIds(batch).map((definitionId) =>
      get("/job", { jobDefinitionId: definitionId, withException: true })));
    return lists.flat();
  }

  function showJobs(jobs) {
    const rows = jobs.map((job) => {
      let shown = shownJobs.get(job.id);
      if (!shown) {
        const [toggle, traceRow] = stacktraceRows(job.id);
        shown = { row: h("tr", { "data-job-id": job.id }), toggle, traceRow };
        shownJobs.set(job.id, shown);
      }
      shown.row.replaceChildren(
        h("td", { class: "mono" }, shortId(job.id)),
        h("td", { class: "num", "data-col": "retries" }, String(job.retries)),
        h("td", { class: "message" }, job.exceptionMessage || ""),
        shown.toggle);
      return [shown.row, shown.traceRow];
    });
    replace(jobsBox, table(["Job", ["Retries", "num"], "Exception", ""], rows,
                           { empty: "No failed job.", className: "failed-jobs-table" }));
  }

  async function refresh() {
    const [statistics] = await get("/batch/statistics", { batchId: id });
    let jobs, incidents;
    if (statistics) {
      try {
        [jobs, incidents] = await Promise.all([
          failedJobs(statistics),
          get("/incident", { jobDefinitionIdIn: definitionIds(statistics).join(",") }),
          items.refresh()]);
      } catch (error) {
        if (error.status !== 404) throw error;  // completed meanwhile: show it from the history
      }
    }
    if (jobs) {
      current = statistics;
      replace(header, runtimeHeader(statistics));
      showJobs(jobs);
      replace(incidentsBox, table(["Incident", "Type", "Message", "Created"],
        incidents.map((incident) => h("tr", { "data-incident-id": incident.id },
          h("td", { class: "mono" }, shortId(incident.id)), h("td", {}, incident.incidentType),
          h("td", { class: "message" }, incident.incidentMessage || ""),
          h("td", {}, formatDate(incident.incidentTimestamp)))),
        { empty: "No open incident.", className: "incidents-table" }));
      return;
    }
    // no longer running: completed (or deleted without cascade); the history keeps it
    let historic;
    try {
      historic = await get(`/history/batch/${encodeURIComponent(id)}`);
    } catch (error) {
      if (error.status !== 404) throw error;
      context.stop();
      replace(view, h("h1", {}, "No such batch"),
              h("p", {}, `Neither a running nor a historic batch has the id ${id}. `,
                h("a", { href: "#/batches" }, "All batches")));
      return;
    }
    items.historic = true;
    await items.refresh();
    replace(header, historicHeader(historic));
    replace(jobsBox, h("p", { class: "muted empty" }, "The batch is no longer running: no job is left."));
    replace(incidentsBox, h("p", { class: "muted empty" }, "No open incident."));
    context.stop();
  }

  replace(view, header,
    items.element,
    h("section", { class: "card" }, h("h2", {}, "Failed jobs"), jobsBox),
    h("section", { class: "card" }, h("h2", {}, "Incidents"), incidentsBox));
  await context.poll(refresh, POLL_MS);
}
