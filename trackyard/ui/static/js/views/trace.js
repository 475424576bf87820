// One trace (#/experiments/1/traces/<trace id>?span=<span id>): its spans as a tree on a
// timeline, the chosen span's inputs, outputs (chat messages drawn as a conversation),
// attributes, events and exceptions, and the trace's assessments, tags and metadata.

import { experiments, traces } from "../api.js";
import { h, replace } from "../dom.js";
import { formatDuration, formatTime } from "../format.js";
import { jsonView, longText } from "../json-view.js";
import { href, seg, setQuery } from "../router.js";
import { mayOn } from "../session.js";
import { spanTree } from "../span-tree.js";
import {
  buildTree,
  chatMessages,
  durationMs,
  messageParts,
  spanDetails,
  spanMs,
  timeMs,
  toSpan,
} from "../trace-model.js";
import { kvTable, loading, pageHeader, panel, tagEditor } from "../widgets.js";
import { assessmentsBox } from "./trace-assessments.js";
import { attachmentStrings } from "./trace-attachment.js";
import { stateBadge } from "./traces.js";

/** #/experiments/:experimentId/traces/:traceId */
export async function traceView(container, ctx) {
  const { experimentId, traceId } = ctx.params;
  replace(container, loading("Loading trace…"));
  // Controls the user may not use are not offered (auth on: their level on the experiment).
  const [info, rawSpans, experiment, may] = await Promise.all([
    traces.info(traceId, ctx.signal),
    traces.spans(traceId, ctx.signal),
    experiments.get(experimentId).catch(() => null),
    mayOn("experiment", experimentId),
  ]);
  if (!ctx.alive()) return;
  const tags = info.tags || {};
  const name = tags["mlflow.traceName"] || traceId;
  document.title = `${name} · trackyard`;
  const spans = rawSpans.map(toSpan);
  const tree = buildTree(spans);
  const detail = h("div", { class: "span-detail", "data-role": "span-detail" });
  const assessmentsBody = h("div");
  const tagsBody = h("div");

  const reloadInfo = async () => {
    const fresh = await traces.info(traceId);
    if (!ctx.alive()) return;
    drawTrace(fresh);
  };
  function drawTrace(current) {
    replace(
      assessmentsBody,
      assessmentsBox({ experimentId, traceId, assessments: current.assessments || [], reload: reloadInfo, may }),
    );
    replace(
      tagsBody,
      tagEditor({
        tags: current.tags || {},
        onSet: may.edit ? (key, value) => traces.setTag(traceId, key, value) : null,
        onDelete: may.edit ? (key) => traces.deleteTag(traceId, key) : null,
        reload: reloadInfo,
      }),
    );
  }
  drawTrace(info);

  const treeBox = spans.length
    ? spanTree(tree, {
        selectedId: ctx.query.get("span"),
        onSelect: (span) => {
          setQuery({ span: span === tree.roots[0]?.span ? "" : span.id });
          replace(detail, spanPanel(span, tree, traceId));
        },
      }).element
    : h(
        "div",
        { class: "empty" },
        info.state === "IN_PROGRESS" ? "The trace's spans are still arriving." : "This trace holds no spans.",
      );

  replace(
    container,
    h(
      "div",
      { class: "page" },
      pageHeader({
        crumbs: [
          ["Experiments", "#/experiments"],
          [experiment ? experiment.name : `Experiment ${experimentId}`, href(`/experiments/${seg(experimentId)}`)],
          ["Traces", href(`/experiments/${seg(experimentId)}/traces`)],
        ],
        title: name,
        role: "trace-name",
        badges: [stateBadge(info.state)],
        subtitle: h(
          "div",
          { class: "muted small row" },
          h("span", { class: "mono" }, traceId),
          h("span", null, formatTime(timeMs(info.request_time))),
          h("span", null, formatDuration(durationMs(info.execution_duration))),
          h("span", null, `${spans.length.toLocaleString()} span${spans.length === 1 ? "" : "s"}`),
          runLink(info, experimentId),
        ),
      }),
      h(
        "div",
        { class: "trace-layout" },
        h("div", { class: "trace-tree" }, panel("Spans", treeBox)),
        h("section", { class: "panel trace-detail" }, detail),
        h(
          "div",
          { class: "col trace-side" },
          panel("Assessments", assessmentsBody),
          panel("Tags", tagsBody),
          panel("Request metadata", metadataBox(info.trace_metadata || {})),
        ),
      ),
    ),
  );
}

function runLink(info, experimentId) {
  const runId = info.trace_metadata?.["mlflow.sourceRun"];
  if (!runId) return null;
  return h("a", { href: href(`/experiments/${seg(experimentId)}/runs/${seg(runId)}`) }, "source run");
}

function metadataBox(metadata) {
  const entries = Object.entries(metadata).sort(([a], [b]) => a.localeCompare(b));
  if (!entries.length) return h("div", { class: "muted" }, "No metadata.");
  return h(
    "details",
    null,
    h("summary", null, `${entries.length} entries`),
    kvTable(entries.map(([key, value]) => [key, longText(value, "mono")])),
  );
}

function spanPanel(span, tree, traceId) {
  const details = spanDetails(span);
  const strings = attachmentStrings(traceId);
  const ms = spanMs(span);
  const offset = (span.startNs - tree.startNs) / 1e6;
  return h(
    "div",
    { class: "col" },
    h(
      "div",
      { class: "span-detail-head" },
      h("h2", { "data-role": "span-name" }, span.name),
      h(
        "div",
        { class: "row small" },
        span.type === "UNKNOWN" ? null : h("span", { class: "badge" }, span.type),
        h("span", { class: ["badge", span.status === "ERROR" && "danger"] }, `status ${span.status}`),
        h("span", { class: "muted" }, ms === null ? "not ended" : formatDuration(ms)),
        h("span", { class: "muted" }, `starts at +${formatDuration(offset)}`),
      ),
      span.statusMessage && !details.exceptions.length
        ? h("div", { class: "danger-text small" }, span.statusMessage)
        : null,
    ),
    details.exceptions.map(exceptionBox),
    section("Inputs", details.inputs, "span-inputs", strings),
    section("Outputs", details.outputs, "span-outputs", strings),
    attributesSection(details.attributes),
    eventsSection(details.events, tree),
  );
}

function exceptionBox(event) {
  const a = event.attributes;
  return h(
    "div",
    { class: "error-box exception", "data-role": "span-exception" },
    h("strong", null, a["exception.type"] || "Exception"),
    h("div", null, longText(String(a["exception.message"] ?? ""), "exception-message")),
    a["exception.stacktrace"]
      ? h(
          "details",
          null,
          h("summary", null, "Stack trace"),
          h("pre", { class: "stacktrace" }, longText(String(a["exception.stacktrace"]), "")),
        )
      : null,
  );
}

function fold(title, body, role, open = true) {
  return h("details", { class: "span-section", open, "data-role": role }, h("summary", null, title), body);
}

/** A span's inputs or outputs: a conversation when they hold chat messages, else JSON;
 * `strings` draws the attachments they refer to. */
function section(title, value, role, strings) {
  if (value === undefined) return null;
  const messages = chatMessages(value);
  if (!messages) return fold(title, jsonView(value, { strings }), role);
  const raw = h("div", { class: "hidden" });
  const chat = chatView(messages, strings);
  let built = false;
  const toggle = h(
    "button",
    {
      class: "link small",
      "aria-pressed": "false",
      onclick: () => {
        if (!built) raw.append(jsonView(value, { strings }));
        built = true;
        const showRaw = raw.classList.toggle("hidden") === false;
        chat.classList.toggle("hidden", showRaw);
        toggle.setAttribute("aria-pressed", String(showRaw));
        toggle.textContent = showRaw ? "Show as chat" : "Show JSON";
      },
    },
    "Show JSON",
  );
  return fold(title, h("div", { class: "col" }, h("div", { class: "row" }, toggle), chat, raw), role);
}

function chatView(messages, strings) {
  return h(
    "div",
    { class: "chat", "data-role": "chat" },
    messages.map((message) =>
      h(
        "div",
        { class: `chat-message role-${String(message.role).replace(/[^\w-]/g, "")}`, dataset: { role: message.role } },
        h("div", { class: "chat-role" }, message.role, message.name ? ` · ${message.name}` : ""),
        messageParts(message).map((part) =>
          part.text !== undefined
            ? h("div", { class: "chat-text" }, strings(part.text) || longText(part.text, ""))
            : h(
                "div",
                null,
                part.label ? h("div", { class: "muted small" }, part.label) : null,
                (part.media && strings(part.media)) || jsonView(part.json, { strings }),
              ),
        ),
      ),
    ),
  );
}

function attributesSection(attributes) {
  const entries = Object.entries(attributes).sort(([a], [b]) => a.localeCompare(b));
  if (!entries.length) return null;
  return fold(
    `Attributes (${entries.length})`,
    kvTable(entries.map(([key, value]) => [key, jsonView(value, { openDepth: 1 })])),
    "span-attributes",
  );
}

function eventsSection(events, tree) {
  if (!events.length) return null;
  return fold(
    `Events (${events.length})`,
    h(
      "div",
      { class: "col" },
      events.map((event) =>
        h(
          "div",
          { class: "span-event" },
          h(
            "div",
            { class: "row" },
            h("strong", null, event.name),
            event.timeNs
              ? h("span", { class: "muted small" }, `+${formatDuration((event.timeNs - tree.startNs) / 1e6)}`)
              : null,
          ),
          jsonView(event.attributes, { openDepth: 1 }),
        ),
      ),
    ),
    "span-events",
    false,
  );
}
