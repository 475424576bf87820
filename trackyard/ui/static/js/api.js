// The REST API, as MLflow documents it. Paths are relative so the UI also works behind a
// reverse proxy that mounts the server under a prefix.

const AJAX = "ajax-api/2.0/mlflow";

/** An error answer from the server, carrying MLflow's error_code and message. */
export class ApiError extends Error {
  constructor(message, code, status) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
  }
}

function queryString(query) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query || {})) {
    if (value === undefined || value === null || value === "") continue;
    // Repeated fields are repeated keys, as MLflow's GET endpoints expect.
    for (const item of Array.isArray(value) ? value : [value]) params.append(key, String(item));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** One request; resolves to the parsed JSON body or throws ApiError with a readable message. */
export async function request(method, path, { query, body, signal } = {}) {
  const url = path + queryString(query);
  let response;
  try {
    response = await fetch(url, {
      method,
      signal,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(`Cannot reach the server (${error.message}).`, "NETWORK_ERROR", 0);
  }
  const text = await response.text();
  let data = {};
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      if (response.ok)
        throw new ApiError(`${method} ${path}: the answer is not JSON.`, "BAD_RESPONSE", response.status);
      data = { message: text.slice(0, 500) };
    }
  }
  if (!response.ok) {
    let message = data.message || `${method} ${path} failed with HTTP ${response.status}.`;
    if (response.status === 401) document.dispatchEvent(new CustomEvent("unauthenticated", { detail: message }));
    if (response.status === 403) message = `You do not have permission to ${forbiddenAction(method, path)}. ${message}`;
    throw new ApiError(message, data.error_code || `HTTP_${response.status}`, response.status);
  }
  return data;
}

// What a refused call was trying to do, in words: "delete this run", "see this experiment".
const SUBJECTS = {
  experiments: "this experiment",
  runs: "this run",
  "registered-models": "this model",
  "model-versions": "this model version",
  "logged-models": "this logged model",
  traces: "this trace",
  "mlflow-artifacts": "these artifacts",
  users: "manage users",
  roles: "manage roles",
  permissions: "manage access",
};
const VERBS = { delete: "delete", restore: "restore", update: "change", rename: "rename", create: "create" };

export function forbiddenAction(method, path) {
  const parts = path.split("?")[0].split("/");
  const found = parts.includes("permissions") ? "permissions" : parts.find((part) => part in SUBJECTS);
  const subject = SUBJECTS[found] || "this";
  if (!subject.startsWith("this") && !subject.startsWith("these")) return subject;
  if (method === "GET") return `see ${subject}`;
  const verb = VERBS[parts[parts.length - 1]];
  return verb && verb !== "create" ? `${verb} ${subject}` : `change ${subject}`;
}

const get = (path, query, options) => request("GET", `${AJAX}/${path}`, { ...options, query });
const post = (path, body, options) => request("POST", `${AJAX}/${path}`, { ...options, body });
const patch = (path, body) => request("PATCH", `${AJAX}/${path}`, { body });
const del = (path, query) => request("DELETE", `${AJAX}/${path}`, { query });

/** Page through a search until `limit` items or the last page. */
async function collect(fetchPage, field, limit = Infinity) {
  const items = [];
  let token;
  do {
    const page = await fetchPage(token);
    items.push(...(page[field] || []));
    token = page.next_page_token;
  } while (token && items.length < limit);
  return items;
}

// Experiments
export const experiments = {
  search: ({ filter, viewType = "ACTIVE_ONLY", orderBy, maxResults = 200, pageToken } = {}) =>
    post("experiments/search", {
      filter: filter || undefined,
      view_type: viewType,
      order_by: orderBy || ["last_update_time DESC"],
      max_results: maxResults,
      page_token: pageToken,
    }),
  get: (id) => get("experiments/get", { experiment_id: id }).then((r) => r.experiment),
  create: (name, artifactLocation) =>
    post("experiments/create", { name, artifact_location: artifactLocation || undefined }),
  rename: (id, newName) => post("experiments/update", { experiment_id: id, new_name: newName }),
  delete: (id) => post("experiments/delete", { experiment_id: id }),
  restore: (id) => post("experiments/restore", { experiment_id: id }),
  setTag: (id, key, value) => post("experiments/set-experiment-tag", { experiment_id: id, key, value }),
};

// Runs
export const runs = {
  search: ({ experimentIds, filter, viewType = "ACTIVE_ONLY", orderBy, maxResults = 200, pageToken, signal }) =>
    post(
      "runs/search",
      {
        experiment_ids: experimentIds,
        filter: filter || undefined,
        run_view_type: viewType,
        order_by: orderBy?.length ? orderBy : undefined,
        max_results: maxResults,
        page_token: pageToken,
      },
      { signal },
    ),
  /** How many runs a search matches over all its pages (trackyard's own endpoint). */
  count: ({ experimentIds, filter, viewType = "ACTIVE_ONLY", signal }) =>
    request("POST", "ajax-api/2.0/trackyard/runs/count", {
      body: { experiment_ids: experimentIds, filter: filter || undefined, run_view_type: viewType },
      signal,
    }).then((answer) => answer.count),
  searchAll: (args, limit = 1000) =>
    collect((pageToken) => runs.search({ ...args, pageToken, maxResults: Math.min(limit, 1000) }), "runs", limit),
  get: (id) => get("runs/get", { run_id: id }).then((r) => r.run),
  rename: (id, name) => post("runs/update", { run_id: id, run_name: name }),
  delete: (id) => post("runs/delete", { run_id: id }),
  restore: (id) => post("runs/restore", { run_id: id }),
  setTag: (id, key, value) => post("runs/set-tag", { run_id: id, key, value }),
  deleteTag: (id, key) => post("runs/delete-tag", { run_id: id, key }),
};

// Metric histories: charts ask for evenly sampled points, at most 2500 per run.
export const metrics = {
  sampled: ({ runIds, key, maxResults = 1000, startStep, endStep, signal }) =>
    get(
      "metrics/get-history-bulk-interval",
      {
        run_ids: runIds,
        metric_key: key,
        max_results: maxResults,
        start_step: startStep,
        end_step: endStep,
      },
      { signal },
    ).then((r) => r.metrics || []),
};

// Artifacts of runs (listed by run id) and of anything behind the artifact proxy.
export const artifacts = {
  list: (runId, path) =>
    collect(
      (pageToken) => get("artifacts/list", { run_id: runId, path: path || undefined, page_token: pageToken }),
      "files",
    ),
  runFileUrl: (runId, path) => `get-artifact${queryString({ path, run_id: runId })}`,
  /** List a folder of the proxy; names come back relative to it, so make them full. */
  proxyList: async (root, path) => {
    const folder = [root, path].filter(Boolean).join("/");
    const page = await request("GET", "api/2.0/mlflow-artifacts/artifacts", { query: { path: folder } });
    return (page.files || []).map((f) => ({ ...f, path: [path, f.path].filter(Boolean).join("/") }));
  },
  proxyFileUrl: (root, path) =>
    "api/2.0/mlflow-artifacts/artifacts/" +
    `${root}/${path}`.split("/").filter(Boolean).map(encodeURIComponent).join("/"),
};

// Model registry
export const registry = {
  searchModels: ({ filter, orderBy = ["name ASC"], maxResults = 100, pageToken } = {}) =>
    get("registered-models/search", {
      filter: filter || undefined,
      order_by: orderBy,
      max_results: maxResults,
      page_token: pageToken,
    }),
  getModel: (name) => get("registered-models/get", { name }).then((r) => r.registered_model),
  searchVersions: ({ filter, orderBy, maxResults = 1000 } = {}) =>
    collect(
      (pageToken) =>
        get("model-versions/search", {
          filter: filter || undefined,
          order_by: orderBy,
          max_results: maxResults,
          page_token: pageToken,
        }),
      "model_versions",
      10000,
    ),
  getVersion: (name, version) => get("model-versions/get", { name, version }).then((r) => r.model_version),
  updateModel: (name, description) => patch("registered-models/update", { name, description }),
  updateVersion: (name, version, description) => patch("model-versions/update", { name, version, description }),
  setModelTag: (name, key, value) => post("registered-models/set-tag", { name, key, value }),
  deleteModelTag: (name, key) => del("registered-models/delete-tag", { name, key }),
  setVersionTag: (name, version, key, value) => post("model-versions/set-tag", { name, version, key, value }),
  deleteVersionTag: (name, version, key) => del("model-versions/delete-tag", { name, version, key }),
  setAlias: (name, alias, version) => post("registered-models/alias", { name, alias, version }),
  deleteAlias: (name, alias) => del("registered-models/alias", { name, alias }),
  transitionStage: (name, version, stage, archiveExisting) =>
    post("model-versions/transition-stage", {
      name,
      version,
      stage,
      archive_existing_versions: archiveExisting,
    }),
};

// MLflow 3 logged models
export const loggedModels = {
  get: (id) => get(`logged-models/${encodeURIComponent(id)}`).then((r) => r.model),
  listArtifacts: (id, path) =>
    get(`logged-models/${encodeURIComponent(id)}/artifacts/directories`, {
      artifact_directory_path: path || undefined,
    }).then((r) => r.files || []),
};

/** A helper for numeric tag-like sort keys: MLflow's order_by quoting with backticks. */
export function orderKey(kind, key) {
  const prefix = { metric: "metrics", param: "params", tag: "tags", attr: "attributes" }[kind];
  return kind === "attr" ? `attributes.${key}` : `${prefix}.\`${key}\``;
}

// MLflow 3 traces (v3 endpoints). Spans come from get-trace-artifact, which answers what the
// server holds or the traces.json a client uploaded, each attribute value JSON-encoded.
const TRACES = "ajax-api/3.0/mlflow/traces";
const assessmentPath = (traceId, id) =>
  `${TRACES}/${encodeURIComponent(traceId)}/assessments${id ? `/${encodeURIComponent(id)}` : ""}`;
export const traces = {
  search: ({ experimentIds, filter, orderBy, maxResults = 100, pageToken, signal }) =>
    request("POST", `${TRACES}/search`, {
      signal,
      body: {
        locations: experimentIds.map((id) => ({ type: "MLFLOW_EXPERIMENT", mlflow_experiment: { experiment_id: id } })),
        filter: filter || undefined,
        order_by: orderBy,
        max_results: maxResults,
        page_token: pageToken || undefined,
      },
    }),
  info: (id, signal) =>
    request("GET", `${TRACES}/${encodeURIComponent(id)}`, { signal }).then((r) => r.trace.trace_info),
  spans: (id, signal) =>
    request("GET", "ajax-api/3.0/mlflow/get-trace-artifact", { query: { request_id: id }, signal }).then(
      (r) => r.spans || [],
    ),
  setTag: (id, key, value) => request("PATCH", `${TRACES}/${encodeURIComponent(id)}/tags`, { body: { key, value } }),
  deleteTag: (id, key) => request("DELETE", `${TRACES}/${encodeURIComponent(id)}/tags`, { body: { key } }),
  createAssessment: (traceId, assessment) =>
    request("POST", assessmentPath(traceId), { body: { assessment: { ...assessment, trace_id: traceId } } }).then(
      (r) => r.assessment,
    ),
  updateAssessment: (traceId, id, assessment, fields) =>
    request("PATCH", assessmentPath(traceId, id), {
      body: { assessment: { ...assessment, trace_id: traceId, assessment_id: id }, update_mask: fields.join(",") },
    }).then((r) => r.assessment),
  deleteAssessment: (traceId, id) => request("DELETE", assessmentPath(traceId, id)),
};
