// trace-model.js: spans from get-trace-artifact, the span tree and its rows, chat messages,
// and the values the traces table and filter use.

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  assessmentValue,
  barPosition,
  buildTree,
  chatMessages,
  decodeValue,
  durationMs,
  messageParts,
  oneLine,
  parseTyped,
  spanDetails,
  timeMs,
  toSpan,
  traceFilter,
  traceOrder,
  visibleRows,
} from "../../trackyard/ui/static/js/trace-model.js";

const raw = (id, parent, start, end, extra = {}) => ({
  span_id: id,
  parent_span_id: parent,
  name: `span-${id}`,
  start_time_unix_nano: start,
  end_time_unix_nano: end,
  status: { code: "STATUS_CODE_OK", message: "" },
  attributes: { "mlflow.spanType": '"TOOL"' },
  events: [],
  ...extra,
});

test("a span's type, status and times come from traces.json's shape", () => {
  const span = toSpan(raw("a", null, 1_000_000, 3_000_000, { status: { code: "STATUS_CODE_ERROR", message: "boom" } }));
  assert.equal(span.type, "TOOL");
  assert.equal(span.status, "ERROR");
  assert.equal(span.statusMessage, "boom");
  assert.equal(span.hasError, true);
  assert.equal(span.endNs - span.startNs, 2_000_000);
});

test("a span without a status or type is UNSET and UNKNOWN", () => {
  const span = toSpan({ span_id: "x", name: "x", start_time_unix_nano: "5", attributes: {} });
  assert.equal(span.status, "UNSET");
  assert.equal(span.type, "UNKNOWN");
  assert.equal(span.endNs, null);
});

test("inputs, outputs and attributes are decoded when details are asked for", () => {
  const span = toSpan(
    raw("a", null, 0, 1, {
      attributes: {
        "mlflow.spanInputs": '{"q": "hi"}',
        "mlflow.spanOutputs": '"ok"',
        temperature: "0.2",
        plain: "not json",
      },
      events: [{ name: "exception", time_unix_nano: 5, attributes: { "exception.type": "ValueError" } }],
    }),
  );
  const details = spanDetails(span);
  assert.deepEqual(details.inputs, { q: "hi" });
  assert.equal(details.outputs, "ok");
  assert.deepEqual(details.attributes, { temperature: 0.2, plain: "not json" });
  assert.equal(details.exceptions.length, 1);
  assert.equal(spanDetails(span), details); // decoded once
});

test("a span without outputs has none rather than an empty value", () => {
  assert.equal(spanDetails(toSpan(raw("a", null, 0, 1))).outputs, undefined);
});

test("the tree nests children under parents in start order; orphans are roots", () => {
  const spans = [
    raw("root", null, 0, 100),
    raw("late", "root", 50, 60),
    raw("early", "root", 10, 20),
    raw("deep", "early", 11, 12),
    raw("orphan", "missing", 5, 6),
  ].map(toSpan);
  const tree = buildTree(spans);
  assert.deepEqual(
    tree.roots.map((n) => n.span.id),
    ["root", "orphan"],
  );
  const rows = visibleRows(tree, new Set());
  assert.deepEqual(
    rows.map((n) => [n.span.id, n.depth]),
    [
      ["root", 0],
      ["early", 1],
      ["deep", 2],
      ["late", 1],
      ["orphan", 0],
    ],
  );
  assert.deepEqual(
    visibleRows(tree, new Set(["early"])).map((n) => n.span.id),
    ["root", "early", "late", "orphan"],
  );
});

test("a bar sits where its span starts and ends in the trace", () => {
  const spans = [raw("root", null, 1000, 2000), raw("child", "root", 1250, 1750)].map(toSpan);
  const tree = buildTree(spans);
  assert.deepEqual(barPosition(spans[1], tree), { left: 0.25, width: 0.5 });
});

test("a tree of 5000 spans is built and flattened", () => {
  const spans = [toSpan(raw("r", null, 0, 1e9))];
  for (let i = 0; i < 4999; i++) spans.push(toSpan(raw(`s${i}`, i % 10 ? `s${i - (i % 10)}` : "r", i, i + 1)));
  assert.equal(visibleRows(buildTree(spans), new Set()).length, 5000);
});

test("chat messages are found in messages lists, choices and plain lists", () => {
  const messages = [
    { role: "system", content: "Be brief." },
    { role: "user", content: "Hi" },
  ];
  assert.deepEqual(chatMessages({ model: "m", messages }), messages);
  assert.deepEqual(chatMessages(messages), messages);
  assert.deepEqual(chatMessages({ choices: [{ index: 0, message: { role: "assistant", content: "Yo" } }] }), [
    { role: "assistant", content: "Yo" },
  ]);
  assert.equal(chatMessages({ messages: [{ text: "no role" }] }), null);
  assert.equal(chatMessages([1, 2]), null);
  assert.equal(chatMessages("text"), null);
  assert.equal(chatMessages({ messages: [] }), null);
});

test("a message's content parts: text, text parts, and anything else as JSON", () => {
  const parts = messageParts({
    role: "user",
    content: [
      { type: "text", text: "look" },
      { type: "image_url", image_url: { url: "x" } },
    ],
    tool_calls: [{ id: "1" }],
  });
  assert.deepEqual(parts[0], { text: "look" });
  assert.equal(parts[1].json.type, "image_url");
  assert.equal(parts[2].label, "tool calls");
});

test("an image or audio part names its file, whoever's shape it has", () => {
  const ref = "mlflow-attachment://0585ac93-4279-4f28-b28c-2807c19deb34?content_type=audio%2Fwav&trace_id=t";
  const parts = messageParts({
    role: "user",
    content: [
      { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
      { type: "input_audio", input_audio: { data: ref, format: "wav" } },
      { type: "image", source: { type: "base64", media_type: "image/png", data: ref } },
      { type: "file", file: { id: 3 } },
    ],
  });
  assert.deepEqual(
    parts.map((part) => part.media ?? null),
    ["data:image/png;base64,AAAA", ref, ref, null],
  );
});

test("proto3 durations and timestamps become milliseconds", () => {
  assert.equal(durationMs("0.209s"), 209);
  assert.equal(durationMs("3s"), 3000);
  assert.equal(durationMs(undefined), null);
  assert.equal(timeMs("2026-12-03T02:56:16.746Z"), Date.UTC(2026, 11, 3, 2, 56, 16, 746));
  assert.equal(timeMs("nonsense"), null);
});

test("a preview is one line, cut with an ellipsis", () => {
  assert.equal(oneLine('{"a":\n  1}'), '{"a": 1}');
  assert.equal(oneLine("x".repeat(300), 10), `${"x".repeat(9)}…`);
  assert.equal(oneLine(null), "");
});

test("assessment values: feedback, its error, expectations plain or serialized", () => {
  assert.deepEqual(assessmentValue({ feedback: { value: true } }), { kind: "feedback", value: true, error: null });
  assert.equal(assessmentValue({ feedback: { error: { error_code: "X" } } }).error.error_code, "X");
  assert.deepEqual(assessmentValue({ expectation: { value: { a: 1 } } }).value, { a: 1 });
  assert.deepEqual(assessmentValue({ expectation: { serialized_value: { value: "[1, 2]" } } }).value, [1, 2]);
});

test("an issue assessment is an issue: its id is the name, its name the value, its run from metadata", () => {
  const issue = {
    assessment_name: "iss-1",
    issue: { issue_name: "Slow <b>answers</b>" },
    rationale: "took 9 s",
    metadata: { "mlflow.assessment.sourceRunId": "r1" },
  };
  assert.deepEqual(assessmentValue(issue), {
    kind: "issue",
    value: "Slow <b>answers</b>",
    error: null,
    issue: { id: "iss-1", name: "Slow <b>answers</b>", runId: "r1" },
  });
  // an empty issue_name (proto3 leaves it out) falls back to the id, as MLflow's UI does
  assert.deepEqual(assessmentValue({ assessment_name: "iss-2", issue: {} }).issue, {
    id: "iss-2",
    name: "iss-2",
    runId: null,
  });
  // neither feedback nor issue: still an expectation, even with nothing in it
  assert.equal(assessmentValue({ assessment_name: "x" }).kind, "expectation");
});

test("typed values are JSON when they parse, else the text", () => {
  assert.equal(parseTyped("true"), true);
  assert.equal(parseTyped(" 0.5 "), 0.5);
  assert.deepEqual(parseTyped('{"a": 1}'), { a: 1 });
  assert.equal(parseTyped("good answer"), "good answer");
  assert.equal(decodeValue("not json"), "not json");
});

test("the search filter joins text, status and run with AND, quoting values", () => {
  assert.equal(traceFilter({ text: "  tags.a = 'b' ", status: "", runId: "" }), "tags.a = 'b'");
  assert.equal(
    traceFilter({ text: "", status: "ERROR", runId: "r1" }),
    "trace.status = 'ERROR' AND trace.run_id = 'r1'",
  );
  assert.equal(traceFilter({ runId: "it's" }), "trace.run_id = 'it\\'s'");
  assert.deepEqual(traceOrder("duration", "asc"), ["execution_time_ms ASC"]);
  assert.deepEqual(traceOrder("nope", "desc"), ["timestamp_ms DESC"]);
});
