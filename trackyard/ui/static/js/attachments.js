// Trace attachments without the DOM. The MLflow 3 client takes files out of a span's inputs
// and outputs (an `Attachment`, or any base64 data: URI, audio or image content part), uploads
// each beside the trace and leaves a reference in its place:
//   mlflow-attachment://<uuid>?content_type=image%2Fpng&trace_id=tr-...&size=1234
// The server serves its bytes at get-trace-artifact?request_id=<trace>&path=<uuid>.

const SCHEME = "mlflow-attachment://";
// The form the client writes and the server accepts (lower-case hex, hyphenated).
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MEDIA_TYPE = /^[a-z0-9][\w!#$&^.+-]*\/[a-z0-9][\w!#$&^.+-]*$/;
// Shown in an <img>: the raster types browsers decode. An SVG served as bytes would not
// render, so it is a download like any other file.
const IMAGES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp"]);
const EXTENSIONS = {
  "image/png": "png",
  "image/jpeg": "jpg",
  "image/gif": "gif",
  "image/webp": "webp",
  "image/avif": "avif",
  "image/bmp": "bmp",
  "image/svg+xml": "svg",
  "audio/wav": "wav",
  "audio/mpeg": "mp3",
  "audio/ogg": "ogg",
  "audio/flac": "flac",
  "video/mp4": "mp4",
  "video/webm": "webm",
  "application/pdf": "pdf",
  "application/json": "json",
  "text/plain": "txt",
};

/**
 * The reference `text` holds, as {id, contentType, traceId, size}, or null for any other
 * text (or a reference this server would refuse). Read with the browser's URL parser.
 */
export function parseAttachment(text) {
  if (typeof text !== "string" || !text.startsWith(SCHEME)) return null;
  let url;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  const id = url.hostname;
  const contentType = (url.searchParams.get("content_type") || "").toLowerCase();
  const traceId = url.searchParams.get("trace_id") || "";
  if (!UUID.test(id) || !MEDIA_TYPE.test(contentType) || !traceId) return null;
  const size = Number(url.searchParams.get("size"));
  return { id, contentType, traceId, size: Number.isSafeInteger(size) && size > 0 ? size : null };
}

/** How the UI shows an attachment: "image", "audio", "video", or "file" (a download). */
export function attachmentKind(contentType) {
  if (IMAGES.has(contentType)) return "image";
  if (contentType.startsWith("audio/")) return "audio";
  if (contentType.startsWith("video/")) return "video";
  return "file";
}

/** Where the server serves an attachment of a trace (relative, as every UI request). */
export function attachmentUrl(traceId, id) {
  const query = new URLSearchParams({ request_id: traceId, path: id });
  return `ajax-api/3.0/mlflow/get-trace-artifact?${query}`;
}

/** A name to save it under: the id, with the extension its type usually has. */
export function attachmentFileName(attachment) {
  const extension = EXTENSIONS[attachment.contentType];
  return extension ? `${attachment.id}.${extension}` : attachment.id;
}

// A reference inside a preview's JSON text, possibly cut short where the preview ends.
const IN_TEXT = /mlflow-attachment:\/\/[0-9a-f-]{1,36}(\?[^"\s\\]*)?/g;

/**
 * `text` (a trace's request or response preview) with each attachment reference told by its
 * type, "[image/png]", rather than as its long URL.
 */
export function describeAttachments(text) {
  return text.replace(IN_TEXT, (_, query) => {
    const type = new URLSearchParams(query || "").get("content_type") || "";
    return MEDIA_TYPE.test(type.toLowerCase()) ? `[${type.toLowerCase()}]` : "[attachment]";
  });
}
