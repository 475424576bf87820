// Traces without the DOM: the spans MLflow's get-trace-artifact answers (traces.json's shape:
// attribute values JSON-encoded, times in nanoseconds), the span tree and the rows it shows,
// chat messages in a span's inputs or outputs, and the values the traces table prints.

const INPUTS = "mlflow.spanInputs";
const OUTPUTS = "mlflow.spanOutputs";
const TYPE = "mlflow.spanType";

/** A JSON-encoded attribute value decoded; a value that is not JSON stays as it came. */
export function decodeValue(raw) {
  if (typeof raw !== "string") return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function statusName(status) {
  const code = status && typeof status === "object" ? status.code : status;
  if (code === undefined || code === null || code === "" || code === 0) return "UNSET";
  if (code === 1) return "OK";
  if (code === 2) return "ERROR";
  return String(code).replace(/^STATUS_CODE_/, "");
}

/**
 * One span as the views use it. Inputs, outputs and attributes stay encoded until a span is
 * opened (`spanDetails`), so a trace of thousands of spans with large payloads loads quickly.
 */
export function toSpan(raw) {
  const attributes = raw.attributes || {};
  const type = decodeValue(attributes[TYPE]);
  return {
    id: raw.span_id,
    parentId: raw.parent_span_id || null,
    name: raw.name || "(unnamed)",
    type: typeof type === "string" && type ? type : "UNKNOWN",
    startNs: Number(raw.start_time_unix_nano) || 0,
    endNs: raw.end_time_unix_nano ? Number(raw.end_time_unix_nano) : null,
    status: statusName(raw.status),
    statusMessage: raw.status?.message || "",
    hasError: statusName(raw.status) === "ERROR" || (raw.events || []).some((e) => e.name === "exception"),
    raw,
  };
}

/** Inputs, outputs, other attributes and events of a span, decoded when first asked for. */
export function spanDetails(span) {
  if (span.details) return span.details;
  const attributes = span.raw.attributes || {};
  const others = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (key !== INPUTS && key !== OUTPUTS) others[key] = decodeValue(value);
  }
  const events = (span.raw.events || []).map((event) => ({
    name: event.name || "",
    timeNs: Number(event.time_unix_nano) || null,
    attributes: event.attributes || {},
  }));
  span.details = {
    inputs: INPUTS in attributes ? decodeValue(attributes[INPUTS]) : undefined,
    outputs: OUTPUTS in attributes ? decodeValue(attributes[OUTPUTS]) : undefined,
    attributes: others,
    events,
    exceptions: events.filter((e) => e.name === "exception"),
  };
  return span.details;
}

/**
 * The span tree: `roots` in start order, each node's `children` likewise, and `depth`.
 * A span whose parent never arrived (a partial trace) is shown as a root.
 */
export function buildTree(spans) {
  const byId = new Map(spans.map((span) => [span.id, { span, children: [], depth: 0 }]));
  const roots = [];
  for (const node of byId.values()) {
    const parent = node.span.parentId ? byId.get(node.span.parentId) : null;
    if (parent && parent !== node) parent.children.push(node);
    else roots.push(node);
  }
  const byStart = (a, b) => a.span.startNs - b.span.startNs;
  const stack = roots.sort(byStart).slice();
  while (stack.length) {
    const node = stack.pop();
    node.children.sort(byStart);
    for (const child of node.children) {
      child.depth = node.depth + 1;
      stack.push(child);
    }
  }
  let start = Infinity;
  let end = -Infinity;
  for (const span of spans) {
    start = Math.min(start, span.startNs);
    end = Math.max(end, span.endNs ?? span.startNs);
  }
  return { roots, byId, startNs: Number.isFinite(start) ? start : 0, endNs: Number.isFinite(end) ? end : 0 };
}

/** The rows a tree shows, depth first, skipping the children of collapsed span ids. */
export function visibleRows(tree, collapsed) {
  const rows = [];
  const stack = tree.roots.slice().reverse();
  while (stack.length) {
    const node = stack.pop();
    rows.push(node);
    if (collapsed.has(node.span.id)) continue;
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]);
  }
  return rows;
}

/** Where a span's bar sits on the trace's timeline, as fractions (left, width) of it. */
export function barPosition(span, tree) {
  const total = Math.max(tree.endNs - tree.startNs, 1);
  const left = (span.startNs - tree.startNs) / total;
  const end = span.endNs ?? tree.endNs;
  return { left: Math.max(0, left), width: Math.max(0, (end - span.startNs) / total) };
}

const TYPE_LABELS = {
  CHAIN: "chain",
  CHAT_MODEL: "chat",
  LLM: "llm",
  RETRIEVER: "retriever",
  TOOL: "tool",
  AGENT: "agent",
  EMBEDDING: "embed",
  PARSER: "parser",
  RERANKER: "rerank",
  MEMORY: "memory",
  WORKFLOW: "workflow",
  TASK: "task",
};

/** A span type's short label for the tree ("" for UNKNOWN); other types in lower case. */
export const typeLabel = (type) => (type === "UNKNOWN" ? "" : TYPE_LABELS[type] || type.toLowerCase());

export const spanMs = (span) => (span.endNs === null ? null : (span.endNs - span.startNs) / 1e6);

function isMessage(item) {
  return item !== null && typeof item === "object" && !Array.isArray(item) && typeof item.role === "string";
}

/**
 * Chat messages (OpenAI's shape: `{role, content}`) in a span's inputs or outputs: a
 * `messages` list, the `message` of each of `choices`, or a list of messages itself; null
 * when the value holds none.
 */
export function chatMessages(value) {
  if (value === null || typeof value !== "object") return null;
  let found = null;
  if (Array.isArray(value)) found = value;
  else if (Array.isArray(value.messages)) found = value.messages;
  else if (Array.isArray(value.choices)) found = value.choices.map((choice) => choice?.message).filter(Boolean);
  else if (isMessage(value.message)) found = [value.message];
  return found?.length && found.every(isMessage) ? found : null;
}

/**
 * A message's content as text parts and the rest (images, tool calls) as JSON values; an
 * image or audio part also names its file in `media` (a URL, or an attachment's reference).
 */
export function messageParts(message) {
  const parts = [];
  const content = message.content;
  if (typeof content === "string") parts.push({ text: content });
  else if (Array.isArray(content)) {
    for (const part of content) {
      if (typeof part === "string") parts.push({ text: part });
      else if (part && typeof part.text === "string") parts.push({ text: part.text });
      else {
        const media = mediaOf(part);
        parts.push(media ? { json: part, media } : { json: part });
      }
    }
  } else if (content !== undefined && content !== null) parts.push({ json: content });
  if (message.tool_calls) parts.push({ json: message.tool_calls, label: "tool calls" });
  return parts;
}

// Where OpenAI's and Anthropic's content parts keep their file (as sent, or as the MLflow
// client's attachment reference once it took the file out).
function mediaOf(part) {
  const media = part?.image_url?.url ?? part?.input_audio?.data ?? part?.source?.data;
  return typeof media === "string" ? media : null;
}

/** A proto3 Duration ("0.209s") in milliseconds; null when absent or unreadable. */
export function durationMs(text) {
  if (text === undefined || text === null || text === "") return null;
  const seconds = Number.parseFloat(String(text));
  return Number.isFinite(seconds) ? seconds * 1000 : null;
}

/** A proto3 Timestamp (RFC 3339) in epoch milliseconds; null when absent or unreadable. */
export function timeMs(text) {
  if (!text) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}

/** A preview on one line: whitespace runs become one space, cut at `max` characters. */
export function oneLine(text, max = 160) {
  if (text === undefined || text === null) return "";
  const flat = String(text).replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** A short text for any JSON value (assessment values, tag-like cells). */
export function shortValue(value, max = 60) {
  if (value === undefined) return "";
  return oneLine(typeof value === "string" ? value : JSON.stringify(value), max);
}

const SOURCE_RUN_ID = "mlflow.assessment.sourceRunId";

/**
 * An assessment's kind and value: feedback (or its error), an expectation, or an issue (MLflow
 * 3.17's reference from a trace to a discovered issue: the issue's id is the assessment's name,
 * `issue.issue_name` its name; its value here is that name, and `issue` says what is known of
 * it, with the run that found it when the metadata names one).
 */
export function assessmentValue(assessment) {
  if (assessment.feedback) {
    const { value, error } = assessment.feedback;
    return { kind: "feedback", value: error ? undefined : value, error: error || null };
  }
  if (assessment.issue) {
    const id = assessment.assessment_name || "";
    const name = assessment.issue.issue_name || id;
    const runId = assessment.metadata?.[SOURCE_RUN_ID] || null;
    return { kind: "issue", value: name, error: null, issue: { id, name, runId } };
  }
  const expectation = assessment.expectation || {};
  const serialized = expectation.serialized_value;
  const value = serialized ? decodeValue(serialized.value) : expectation.value;
  return { kind: "expectation", value, error: null };
}

/** A value typed into the UI: JSON when it parses (true, 3, {"a": 1}), else the text. */
export function parseTyped(text) {
  const trimmed = text.trim();
  if (trimmed === "") return "";
  try {
    return JSON.parse(trimmed);
  } catch {
    return text;
  }
}

const quote = (value) => `'${String(value).replace(/'/g, "\\'")}'`;

/**
 * The search filter: the user's MLflow filter text, a status and a run (for a run's traces
 * page), joined with AND.
 */
export function traceFilter({ text, status, runId }) {
  const clauses = [];
  if (text?.trim()) clauses.push(text.trim());
  if (status) clauses.push(`trace.status = ${quote(status)}`);
  if (runId) clauses.push(`trace.run_id = ${quote(runId)}`);
  return clauses.join(" AND ");
}

export const SORTS = { time: "timestamp_ms", duration: "execution_time_ms" };

/** order_by for a sort key of SORTS and a direction. */
export function traceOrder(sort, dir) {
  const column = SORTS[sort] || SORTS.time;
  return [`${column} ${dir === "asc" ? "ASC" : "DESC"}`];
}
