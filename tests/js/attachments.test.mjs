// attachments.js: the references the MLflow 3 client leaves where it took a file out of a span.

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  attachmentFileName,
  attachmentKind,
  attachmentUrl,
  describeAttachments,
  parseAttachment,
} from "../../trackyard/ui/static/js/attachments.js";

const ID = "0585ac93-4279-4f28-b28c-2807c19deb34";
const ref = (query) => `mlflow-attachment://${ID}?${query}`;

test("a reference gives the attachment's id, type, trace and size", () => {
  assert.deepEqual(parseAttachment(ref("content_type=image%2Fpng&trace_id=tr-1&size=69")), {
    id: ID,
    contentType: "image/png",
    traceId: "tr-1",
    size: 69,
  });
});

test("a reference without a usable size has none", () => {
  for (const size of ["", "0", "-5", "abc", "1e400"]) {
    assert.equal(parseAttachment(ref(`content_type=audio%2Fwav&trace_id=tr-1&size=${size}`)).size, null);
  }
});

test("text that is not a reference is not one", () => {
  for (const text of [
    "hello",
    `https://example.com/${ID}`,
    ` mlflow-attachment://${ID}?content_type=image%2Fpng&trace_id=tr-1`,
    42,
    null,
  ]) {
    assert.equal(parseAttachment(text), null, String(text));
  }
});

test("a reference the server would refuse is not one", () => {
  for (const text of [
    `mlflow-attachment://${ID.toUpperCase()}?content_type=image%2Fpng&trace_id=tr-1`,
    "mlflow-attachment://..%2Ftraces.json?content_type=image%2Fpng&trace_id=tr-1",
    "mlflow-attachment://not-a-uuid?content_type=image%2Fpng&trace_id=tr-1",
    ref("trace_id=tr-1"),
    ref("content_type=image%2Fpng"),
    ref("content_type=text%2Fhtml%3B%20charset%3Dutf-8&trace_id=tr-1"),
    ref("content_type=%3Cscript%3E&trace_id=tr-1"),
  ]) {
    assert.equal(parseAttachment(text), null, text);
  }
});

test("raster images show inline, audio and video play, anything else downloads", () => {
  assert.equal(attachmentKind("image/png"), "image");
  assert.equal(attachmentKind("image/webp"), "image");
  assert.equal(attachmentKind("image/svg+xml"), "file");
  assert.equal(attachmentKind("audio/wav"), "audio");
  assert.equal(attachmentKind("video/mp4"), "video");
  assert.equal(attachmentKind("application/pdf"), "file");
  assert.equal(attachmentKind("text/html"), "file");
});

test("the url asks this server for the attachment of the trace, every part encoded", () => {
  assert.equal(
    attachmentUrl("tr-a&b=c", ID),
    `ajax-api/3.0/mlflow/get-trace-artifact?request_id=tr-a%26b%3Dc&path=${ID}`,
  );
});

test("a download is named by the id and its type's usual extension", () => {
  assert.equal(attachmentFileName({ id: ID, contentType: "image/jpeg" }), `${ID}.jpg`);
  assert.equal(attachmentFileName({ id: ID, contentType: "application/x-custom" }), ID);
});

test("a preview tells each attachment by its type, even one the preview cut short", () => {
  const full = ref("content_type=image%2Fpng&trace_id=tr-1&size=69");
  assert.equal(describeAttachments(`{"url": "${full}", "n": 1}`), '{"url": "[image/png]", "n": 1}');
  assert.equal(describeAttachments(`{"url": "${full.slice(0, 40)}`), '{"url": "[attachment]');
  assert.equal(describeAttachments(`{"a": "${ref("content_type=%3Cb%3E")}"}`), '{"a": "[attachment]"}');
  assert.equal(describeAttachments("no references"), "no references");
});
