// A read-only Jupyter notebook (nbformat 4) renderer: markdown cells through our safe
// Markdown renderer, code cells with their outputs (text, images, errors). HTML and
// JavaScript outputs are never executed; their plain-text form shows instead.

import { h } from "./dom.js";
import { renderMarkdown } from "./markdown.js";

const joined = (source) => (Array.isArray(source) ? source.join("") : String(source || ""));
// Tracebacks carry terminal colour codes.
// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the colour codes this removes
const stripAnsi = (text) => text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, "");

export function renderNotebook(notebook) {
  if (!notebook || !Array.isArray(notebook.cells)) {
    throw new Error(`Unsupported notebook format (nbformat ${notebook?.nbformat}); only version 4 renders here.`);
  }
  const kernel = notebook.metadata?.kernelspec?.display_name || "";
  const language = notebook.metadata?.language_info?.name || "";
  return h(
    "div",
    { class: "notebook", "data-role": "notebook" },
    kernel || language ? h("div", { class: "muted small" }, [kernel, language].filter(Boolean).join(" · ")) : null,
    notebook.cells.map(cell),
  );
}

function cell(c) {
  if (c.cell_type === "markdown") {
    return h(
      "div",
      { class: "nb-cell nb-markdown-cell" },
      h("div", { class: "nb-prompt" }),
      h("div", { class: "nb-markdown" }, renderMarkdown(joined(c.source))),
    );
  }
  if (c.cell_type === "code") {
    const count = c.execution_count === null || c.execution_count === undefined ? " " : c.execution_count;
    return [
      h(
        "div",
        { class: "nb-cell nb-code-cell" },
        h("div", { class: "nb-prompt" }, `In [${count}]:`),
        h("pre", { class: "nb-source" }, joined(c.source)),
      ),
      (c.outputs || []).map((o) =>
        h(
          "div",
          { class: "nb-cell" },
          h(
            "div",
            { class: "nb-prompt" },
            o.output_type === "execute_result" ? `Out[${o.execution_count ?? " "}]:` : "",
          ),
          output(o),
        ),
      ),
    ];
  }
  return h(
    "div",
    { class: "nb-cell" },
    h("div", { class: "nb-prompt" }),
    h("pre", { class: "nb-source" }, joined(c.source)),
  );
}

function output(o) {
  if (o.output_type === "stream") {
    return h(
      "div",
      { class: ["nb-output", o.name === "stderr" && "error"] },
      h("pre", null, stripAnsi(joined(o.text))),
    );
  }
  if (o.output_type === "error") {
    return h(
      "div",
      { class: "nb-output error" },
      h("pre", null, stripAnsi((o.traceback || []).join("\n") || `${o.ename}: ${o.evalue}`)),
    );
  }
  const data = o.data || {};
  for (const type of ["image/png", "image/jpeg", "image/gif", "image/webp"]) {
    if (data[type])
      return h(
        "div",
        { class: "nb-output" },
        h("img", { src: `data:${type};base64,${joined(data[type]).replace(/\s/g, "")}`, alt: "output" }),
      );
  }
  if (data["image/svg+xml"]) {
    // As an <img>, an SVG cannot run scripts.
    return h(
      "div",
      { class: "nb-output" },
      h("img", {
        src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(joined(data["image/svg+xml"]))}`,
        alt: "output",
      }),
    );
  }
  if (data["text/markdown"]) return h("div", { class: "nb-output" }, renderMarkdown(joined(data["text/markdown"])));
  if (data["text/plain"])
    return h("div", { class: "nb-output" }, h("pre", null, stripAnsi(joined(data["text/plain"]))));
  if (data["application/json"])
    return h("div", { class: "nb-output" }, h("pre", null, JSON.stringify(data["application/json"], null, 2)));
  const types = Object.keys(data);
  return h(
    "div",
    { class: "nb-output muted small" },
    types.length ? `[output of type ${types.join(", ")} not shown]` : "",
  );
}
