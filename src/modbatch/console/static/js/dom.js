// Small DOM helpers: h() builds elements, the rest formats what Camunda's API returns.

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, value);
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

// Camunda dates look like 2026-12-03T11:13:02.454+0000
export function formatDate(value) {
  if (!value) return "—";
  const date = new Date(value.replace(/([+-]\d\d)(\d\d)$/, "$1:$2"));
  if (Number.isNaN(date.getTime())) return value;
  return date.toLocaleString(undefined, {
    year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
}

export function shortId(id) {
  return id && id.length > 13 ? id.slice(0, 8) + "…" + id.slice(-4) : id;
}

export function table(headers, rows, { empty = "Nothing to show.", className = "" } = {}) {
  if (!rows.length) return h("p", { class: "muted empty" }, empty);
  return h("table", { class: "grid " + className },
    h("thead", {}, h("tr", {}, headers.map((title) =>  // ["Title", "num"]: a numeric column
      Array.isArray(title) ? h("th", { class: title[1] }, title[0]) : h("th", {}, title)))),
    h("tbody", {}, rows));
}

export function progress(done, total, { failed = 0 } = {}) {
  const percent = total > 0 ? Math.floor((100 * done) / total) : 100;
  return h("div", { class: "progress" + (failed ? " has-failures" : ""), role: "progressbar",
                    "aria-valuemin": "0", "aria-valuemax": String(total),
                    "aria-valuenow": String(done) },
    h("div", { class: "progress-bar", style: `width: ${percent}%` }),
    h("span", { class: "progress-label" }, `${done} / ${total} jobs (${percent}%)`));
}

export function notice(message, kind = "error") {
  const element = document.getElementById("notice");
  if (!message) {
    element.hidden = true;
    return;
  }
  element.className = kind;
  replace(element, message, h("button", { class: "close", title: "Dismiss",
                                          onclick: () => notice(null) }, "×"));
  element.hidden = false;
}

// An in-page confirmation (a <dialog>), resolving to true when the operator confirms.
export function confirmAction(text, okLabel = "OK") {
  const dialog = document.getElementById("confirm");
  document.getElementById("confirm-text").textContent = text;
  document.getElementById("confirm-ok").textContent = okLabel;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
  });
}
