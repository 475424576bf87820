// Artifact previews by file type. Text-like files are fetched with an HTTP Range request
// for their first 256 KiB only, so a multi-gigabyte log never hangs the browser; the rest
// is one click away on the download link.

import { ApiError } from "./api.js";
import { h, replace } from "./dom.js";
import { formatBytes } from "./format.js";
import { renderMarkdown } from "./markdown.js";
import { renderNotebook } from "./notebook.js";
import { parseCsv, parseYaml } from "./parsers.js";

export const TEXT_LIMIT = 256 * 1024;
const NOTEBOOK_LIMIT = 32 * 1024 * 1024; // a notebook only renders whole
const IMAGE_LIMIT = 64 * 1024 * 1024;
const SNIFF_LIMIT = 8 * 1024;

const IMAGE = new Set(["png", "jpg", "jpeg", "gif", "bmp", "webp", "svg", "ico", "avif"]);
const TEXT = new Set([
  "txt",
  "log",
  "py",
  "r",
  "sh",
  "bash",
  "cfg",
  "ini",
  "toml",
  "xml",
  "sql",
  "java",
  "scala",
  "js",
  "ts",
  "c",
  "h",
  "cc",
  "cpp",
  "hpp",
  "go",
  "rs",
  "rb",
  "pl",
  "tex",
  "jsonl",
  "ndjson",
  "conf",
  "properties",
  "env",
  "gitignore",
  "dockerfile",
  "lock",
  "out",
  "err",
  "pbtxt",
  "proto",
  "css",
  "rst",
]);
const TEXT_NAMES = new Set(["license", "readme", "dockerfile", "makefile", "requirements", "notice", "authors"]);

/** What kind of preview a file gets, by its name. */
export function previewKind(name) {
  const base = name.split("/").pop();
  const lower = base.toLowerCase();
  const ext = lower.includes(".") ? lower.split(".").pop() : "";
  if (base === "MLmodel") return "mlmodel";
  if (IMAGE.has(ext)) return "image";
  if (ext === "ipynb") return "notebook";
  if (ext === "csv") return "csv";
  if (ext === "tsv") return "tsv";
  if (ext === "json" || ext === "geojson") return "json";
  if (ext === "yaml" || ext === "yml") return "yaml";
  if (ext === "md" || ext === "markdown") return "markdown";
  if (ext === "html" || ext === "htm") return "html";
  if (TEXT.has(ext) || TEXT_NAMES.has(lower.split(".")[0])) return "text";
  return "unknown";
}

/**
 * The first `limit` bytes of a URL: a Range request when the file is known to be larger.
 * Small or unsized files are plain GETs (a range on an empty file is a 416 error), and the
 * stream is cut at `limit` either way, so even a server ignoring ranges costs no more.
 */
export async function fetchHead(url, limit, signal, size = null) {
  const headers = size !== null && size > limit ? { Range: `bytes=0-${limit - 1}` } : {};
  const response = await fetch(url, { headers, signal });
  // An empty file has no byte 0 to serve: 416 then just means "nothing".
  if (response.status === 416) return { bytes: new Uint8Array(0), total: 0, truncated: false };
  if (!response.ok && response.status !== 206) {
    let message = `Download failed with HTTP ${response.status}.`;
    try {
      const body = await response.json();
      if (body.message) message = body.message;
    } catch {
      /* not JSON */
    }
    throw new ApiError(message, `HTTP_${response.status}`, response.status);
  }
  const range = /\/(\d+)\s*$/.exec(response.headers.get("Content-Range") || "");
  const length = response.headers.get("Content-Length");
  const total = range ? Number(range[1]) : response.status === 200 && length ? Number(length) : null;
  const chunks = [];
  let received = 0;
  let cut = false;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    if (received >= limit) {
      cut = true;
      reader.cancel().catch(() => {});
      break;
    }
  }
  const bytes = new Uint8Array(Math.min(received, limit));
  let offset = 0;
  for (const chunk of chunks) {
    const part = chunk.subarray(0, Math.min(chunk.length, bytes.length - offset));
    bytes.set(part, offset);
    offset += part.length;
    if (offset >= bytes.length) break;
  }
  const truncated = total !== null ? total > bytes.length : cut && received > limit;
  return { bytes, total, truncated };
}

const decode = (bytes) => new TextDecoder("utf-8").decode(bytes);

/**
 * Render a preview of one file into `host`. `file`: {path, size, url}.
 * Errors come out as a readable message inside the preview.
 */
export async function renderPreview(host, file, signal) {
  const kind = previewKind(file.path);
  replace(host, h("div", { class: "muted" }, "Loading preview…"));
  try {
    const body = await previewBody(kind, file, signal);
    if (!signal?.aborted) replace(host, body);
  } catch (error) {
    if (error.name === "AbortError") return;
    replace(
      host,
      h("div", { class: "error-box" }, h("strong", null, "No preview"), h("div", null, error.message || String(error))),
    );
  }
}

async function previewBody(kind, file, signal) {
  const size = file.size === undefined || file.size === null ? null : Number(file.size);
  if (size === 0) return h("div", { class: "empty", "data-preview": "empty" }, "This file is empty.");
  if (kind === "image") {
    if (size !== null && size > IMAGE_LIMIT) return tooLarge(file, size);
    return h("div", { "data-preview": "image" }, h("img", { class: "artifact-image", src: file.url, alt: file.path }));
  }
  if (kind === "notebook") {
    if (size !== null && size > NOTEBOOK_LIMIT) return tooLarge(file, size);
    const { bytes } = await fetchHead(file.url, NOTEBOOK_LIMIT + 1, signal, size);
    if (bytes.length > NOTEBOOK_LIMIT) return tooLarge(file, bytes.length);
    return h("div", { "data-preview": "notebook" }, renderNotebook(JSON.parse(decode(bytes))));
  }
  const head = await fetchHead(file.url, kind === "unknown" ? SNIFF_LIMIT : TEXT_LIMIT, signal, size);
  if (kind === "unknown") {
    if (!looksLikeText(head.bytes)) {
      return h(
        "div",
        { class: "empty", "data-preview": "binary" },
        "No preview for this file type. ",
        h("a", { href: file.url, download: "" }, "Download it"),
        ".",
      );
    }
    if (head.truncated) return previewBody("text", file, signal); // re-fetch the full text window
  }
  const text = decode(head.bytes);
  const notice = head.truncated ? truncatedNotice(file, head) : null;
  const wrap = (name, node) => h("div", { "data-preview": name }, notice, node);
  switch (kind) {
    case "csv":
    case "tsv":
      return wrap("csv", csvTable(text, kind === "tsv" ? "\t" : ",", head.truncated));
    case "json": {
      if (!head.truncated) {
        try {
          return wrap("json", h("pre", { class: "text" }, highlightJson(JSON.stringify(JSON.parse(text), null, 2))));
        } catch {
          /* not valid JSON: show as text */
        }
      }
      return wrap("json", h("pre", { class: "text" }, text));
    }
    case "yaml":
      return wrap("yaml", h("pre", { class: "text" }, highlightYaml(text)));
    case "mlmodel":
      return wrap("mlmodel", mlmodel(text));
    case "markdown":
      return wrap("markdown", renderMarkdown(text));
    case "html":
      // Shown in a sandbox without scripts, from the fetched text: nothing on it can run.
      return wrap("html", h("iframe", { sandbox: "", srcdoc: text, title: file.path }));
    default:
      return wrap("text", h("pre", { class: "text" }, text));
  }
}

function looksLikeText(bytes) {
  if (!bytes.length) return true;
  if (bytes.includes(0)) return false;
  const text = new TextDecoder("utf-8").decode(bytes);
  const bad = (text.match(/\uFFFD/g) || []).length;
  return bad <= Math.max(2, text.length / 200);
}

function truncatedNotice(file, head) {
  return h(
    "div",
    { class: "notice", "data-role": "truncated", style: "margin-bottom: 10px" },
    `Showing the first ${formatBytes(head.bytes.length)}${head.total ? ` of ${formatBytes(head.total)}` : ""}. `,
    h("a", { href: file.url, download: "" }, "Download the whole file"),
    ".",
  );
}

function tooLarge(file, size) {
  return h(
    "div",
    { class: "empty" },
    `This file is too large to preview (${formatBytes(size)}). `,
    h("a", { href: file.url, download: "" }, "Download it"),
    ".",
  );
}

function csvTable(text, delimiter, partial) {
  const { rows, truncated } = parseCsv(text, { delimiter, maxRows: 1001, partial });
  if (!rows.length) return h("div", { class: "muted" }, "Empty file.");
  const [head, ...body] = rows;
  const shown = body.slice(0, 1000);
  // A column whose values all read as numbers is right-aligned, as spreadsheets show them.
  const numeric = head.map(
    (_, j) =>
      shown.some((r) => r[j]) && shown.every((r) => !r[j] || (r[j].trim() !== "" && Number.isFinite(Number(r[j])))),
  );
  return h(
    "div",
    null,
    h(
      "div",
      { class: "muted small", style: "margin-bottom: 6px" },
      `${shown.length.toLocaleString()} rows × ${head.length} columns${truncated || body.length > shown.length ? " (first rows only)" : ""}`,
    ),
    h(
      "div",
      { class: "table-scroll" },
      h(
        "table",
        { class: "data", "data-role": "csv-table" },
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            h("th", { class: "muted" }, "#"),
            head.map((c, j) => h("th", { class: numeric[j] ? "num" : null }, c)),
          ),
        ),
        h(
          "tbody",
          null,
          shown.map((r, i) =>
            h(
              "tr",
              null,
              h("td", { class: "muted num" }, i + 1),
              head.map((_, j) => h("td", { class: numeric[j] ? "num" : null }, r[j] ?? "")),
            ),
          ),
        ),
      ),
    ),
  );
}

function highlightJson(text) {
  const out = [];
  const re = /("(?:\\.|[^"\\])*")(\s*:)?|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|\b(true|false|null)\b/g;
  let last = 0;
  let m;
  while ((m = re.exec(text))) {
    if (m.index > last) out.push(text.slice(last, m.index));
    if (m[1]) {
      out.push(h("span", { class: m[2] ? "yaml-key" : "json-string" }, m[1]));
      if (m[2]) out.push(m[2]);
    } else out.push(h("span", { class: "json-number" }, m[0]));
    last = re.lastIndex;
  }
  out.push(text.slice(last));
  return out;
}

function highlightYaml(text) {
  return text.split("\n").map((line, i) => {
    const m = /^(\s*(?:-\s+)?)([^\s:#'"][^:#]*?|'[^']*'|"[^"]*")(:)(\s|$)(.*)$/.exec(line);
    const prefix = i ? "\n" : "";
    if (!m || line.trimStart().startsWith("#")) return prefix + line;
    return [prefix + m[1], h("span", { class: "yaml-key" }, m[2]), m[3] + m[4] + m[5]];
  });
}

/** MLmodel: a summary of flavors and signature above the raw file. */
function mlmodel(text) {
  let model = null;
  try {
    model = parseYaml(text);
  } catch {
    model = null;
  }
  const raw = h("pre", { class: "text" }, highlightYaml(text));
  if (!model || typeof model !== "object") return raw;
  const rows = [
    ["Flavors", Object.keys(model.flavors || {}).join(", ")],
    model.model_id ? ["Model ID", model.model_id] : null,
    model.run_id ? ["Run ID", model.run_id] : null,
    model.artifact_path ? ["Artifact path", model.artifact_path] : null,
    model.utc_time_created ? ["Created (UTC)", String(model.utc_time_created)] : null,
    model.mlflow_version ? ["MLflow version", String(model.mlflow_version)] : null,
    model.model_size_bytes ? ["Size", formatBytes(model.model_size_bytes)] : null,
  ].filter(Boolean);
  const signature = model.signature || {};
  const schema = (label, value) => {
    if (!value) return null;
    let columns;
    try {
      columns = typeof value === "string" ? JSON.parse(value) : value;
    } catch {
      return h("div", null, h("h3", null, label), h("pre", { class: "text" }, String(value)));
    }
    if (!Array.isArray(columns))
      return h("div", null, h("h3", null, label), h("pre", { class: "text" }, JSON.stringify(columns, null, 2)));
    return h(
      "div",
      null,
      h("h3", null, label),
      h(
        "table",
        { class: "data" },
        h("thead", null, h("tr", null, h("th", null, "Name"), h("th", null, "Type"), h("th", null, "Shape / details"))),
        h(
          "tbody",
          null,
          columns.map((c) =>
            h(
              "tr",
              null,
              h("td", { class: "key" }, c.name ?? "(unnamed)"),
              h(
                "td",
                null,
                c.type === "tensor" && c["tensor-spec"] ? `tensor ${c["tensor-spec"].dtype}` : c.type || "",
              ),
              h(
                "td",
                { class: "muted" },
                c["tensor-spec"] ? JSON.stringify(c["tensor-spec"].shape) : c.required === false ? "optional" : "",
              ),
            ),
          ),
        ),
      ),
    );
  };
  return h(
    "div",
    { class: "col", "data-role": "mlmodel" },
    h(
      "table",
      { class: "data kv" },
      h(
        "tbody",
        null,
        rows.map(([k, v]) => h("tr", null, h("td", null, k), h("td", { class: "value" }, v))),
      ),
    ),
    schema("Signature inputs", signature.inputs),
    schema("Signature outputs", signature.outputs),
    h("details", null, h("summary", { class: "muted" }, "MLmodel file"), raw),
  );
}
