// The REST API the console talks to: the server that served it, under /engine-rest.
export const BASE = new URL("../engine-rest", document.baseURI).pathname;

export class ApiError extends Error {
  constructor(status, type, message) {
    super(message);
    this.status = status;
    this.type = type;
  }
}

function url(path, query) {
  const target = new URL(BASE + path, location.origin);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") target.searchParams.set(name, value);
  }
  return target.pathname + target.search;
}

// Camunda's error body is {type, message, code}; anything else becomes its status line.
async function failure(response) {
  let type = "HTTP " + response.status;
  let message = response.statusText;
  try {
    const body = await response.json();
    type = body.type || type;
    message = body.message || message;
  } catch (_) { /* not JSON */ }
  return new ApiError(response.status, type, message);
}

export async function request(method, path, { query, body, accept = "application/json" } = {}) {
  const init = { method, headers: { Accept: accept } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url(path, query), init);
  if (!response.ok) throw await failure(response);
  if (response.status === 204) return null;
  const type = response.headers.get("Content-Type") || "";
  return type.includes("json") ? response.json() : response.text();
}

export const get = (path, query) => request("GET", path, { query });
export const getText = (path, query, accept = "text/plain") =>
  request("GET", path, { query, accept });
export const post = (path, body, query) => request("POST", path, { body, query });
export const put = (path, body, query) => request("PUT", path, { body, query });
export const del = (path, query) => request("DELETE", path, { query });
