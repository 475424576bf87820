// A small Markdown renderer for run descriptions, .md artifacts and notebook cells.
// It builds DOM nodes (never HTML strings), so raw HTML in the source shows as text, and
// links and images go through dom.js's safeUrl (a link it refuses stays text).

import { h, safeUrl } from "./dom.js";

const FENCE = /^\s*(```|~~~)\s*([\w+-]*)\s*$/;
const HEADING = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const RULE = /^\s{0,3}([-*_])(\s*\1){2,}\s*$/;
const QUOTE = /^\s{0,3}>\s?(.*)$/;
const ITEM = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;
const TABLE_SEPARATOR = /^\s*\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?\s*$/;

export function renderMarkdown(text) {
  return h(
    "div",
    { class: "markdown" },
    blocks(
      String(text || "")
        .replace(/\r\n?/g, "\n")
        .split("\n"),
    ),
  );
}

function blocks(lines) {
  const out = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) {
      i++;
      continue;
    }
    let m;
    if ((m = FENCE.exec(line))) {
      const body = [];
      i++;
      while (i < lines.length && !lines[i].trim().startsWith(m[1])) body.push(lines[i++]);
      i++; // closing fence
      out.push(h("pre", null, h("code", { class: m[2] ? `language-${m[2]}` : null }, body.join("\n"))));
    } else if ((m = HEADING.exec(line))) {
      out.push(h(`h${m[1].length}`, null, inline(m[2])));
      i++;
    } else if (RULE.test(line)) {
      out.push(h("hr"));
      i++;
    } else if (QUOTE.test(line)) {
      const body = [];
      while (i < lines.length && (m = QUOTE.exec(lines[i]))) {
        body.push(m[1]);
        i++;
      }
      out.push(h("blockquote", null, blocks(body)));
    } else if (ITEM.test(line)) {
      i = list(lines, i, out);
    } else if (
      line.includes("|") &&
      i + 1 < lines.length &&
      TABLE_SEPARATOR.test(lines[i + 1]) &&
      lines[i + 1].includes("-")
    ) {
      i = table(lines, i, out);
    } else if (/^( {4}|\t)/.test(line)) {
      const body = [];
      while (i < lines.length && (/^( {4}|\t)/.test(lines[i]) || !lines[i].trim()))
        body.push(lines[i++].replace(/^( {4}|\t)/, ""));
      out.push(h("pre", null, h("code", null, body.join("\n").replace(/\n+$/, ""))));
    } else {
      const body = [];
      while (i < lines.length && lines[i].trim() && !startsBlock(lines[i])) body.push(lines[i++].trim());
      if (!body.length) body.push(lines[i++].trim());
      out.push(h("p", null, inline(body.join("\n"))));
    }
  }
  return out;
}

function startsBlock(line) {
  return FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line) || ITEM.test(line);
}

function list(lines, start, out) {
  const first = ITEM.exec(lines[start]);
  const indent = first[1].length;
  const ordered = /\d/.test(first[2]);
  const items = [];
  let i = start;
  while (i < lines.length) {
    const m = ITEM.exec(lines[i]);
    if (!m || m[1].length !== indent || /\d/.test(m[2]) !== ordered) break;
    const body = [m[3]];
    i++;
    // Continuation: indented lines (a nested list or wrapped text), blank lines inside.
    while (i < lines.length) {
      const next = lines[i];
      if (!next.trim()) {
        if (i + 1 < lines.length && /^\s+/.test(lines[i + 1]) && leading(lines[i + 1]) > indent) {
          body.push("");
          i++;
          continue;
        }
        break;
      }
      if (leading(next) > indent) body.push(next.slice(Math.min(leading(next), indent + 2)));
      else if (!ITEM.test(next) && !startsBlock(next)) body.push(next.trim());
      else break;
      i++;
    }
    const content = blocks(body);
    // A one-paragraph item shows inline, without the paragraph margins.
    const simple =
      content.length >= 1 && content[0].tagName === "P" ? [...content[0].childNodes, ...content.slice(1)] : content;
    items.push(h("li", null, simple));
  }
  const startAt = ordered ? parseInt(first[2], 10) : null;
  out.push(h(ordered ? "ol" : "ul", startAt && startAt !== 1 ? { start: startAt } : null, items));
  return i;
}

const leading = (line) => line.length - line.trimStart().length;

function table(lines, start, out) {
  const split = (line) =>
    line
      .trim()
      .replace(/^\|/, "")
      .replace(/\|$/, "")
      .split("|")
      .map((c) => c.trim());
  const head = split(lines[start]);
  const aligns = split(lines[start + 1]).map((c) =>
    c.startsWith(":") && c.endsWith(":") ? "center" : c.endsWith(":") ? "right" : null,
  );
  let i = start + 2;
  const rows = [];
  while (i < lines.length && lines[i].includes("|") && lines[i].trim()) rows.push(split(lines[i++]));
  out.push(
    h(
      "table",
      { class: "data" },
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          head.map((c, j) => h("th", { style: aligns[j] ? `text-align:${aligns[j]}` : null }, inline(c))),
        ),
      ),
      h(
        "tbody",
        null,
        rows.map((r) =>
          h(
            "tr",
            null,
            head.map((_, j) => h("td", { style: aligns[j] ? `text-align:${aligns[j]}` : null }, inline(r[j] || ""))),
          ),
        ),
      ),
    ),
  );
  return i;
}

const INLINE = [
  { re: /`([^`]+)`/, make: (m) => h("code", null, m[1]) },
  {
    re: /!\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/,
    make: (m) => {
      const src = safeUrl(m[2], { image: true });
      return src ? h("img", { src, alt: m[1] }) : m[0];
    },
  },
  { re: /\[([^\]]+)\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/, make: (m) => link(m[2], inline(m[1]), m[0]) },
  { re: /<(https?:\/\/[^>\s]+)>/, make: (m) => link(m[1], m[1], m[0]) },
  { re: /https?:\/\/[^\s<>()]+[^\s<>().,;:!?'"]/, make: (m) => link(m[0], m[0], m[0]) },
  { re: /\*\*(?=\S)([\s\S]*?\S)\*\*|__(?=\S)([\s\S]*?\S)__/, make: (m) => h("strong", null, inline(m[1] || m[2])) },
  {
    re: /\*(?=[^\s*])([^*]*?[^\s*])\*|(?<![\w])_(?=[^\s_])([^_]*?[^\s_])_(?![\w])/,
    make: (m) => h("em", null, inline(m[1] || m[2])),
  },
  { re: /~~(?=\S)([\s\S]*?\S)~~/, make: (m) => h("del", null, inline(m[1])) },
  { re: / {2,}\n|\\\n/, make: () => h("br") },
];

function link(url, content, fallback) {
  const target = safeUrl(url);
  if (!target) return fallback;
  const { protocol, origin } = new URL(target, document.baseURI);
  const external = protocol !== "mailto:" && origin !== location.origin;
  return h(
    "a",
    { href: target, target: external ? "_blank" : null, rel: external ? "noopener noreferrer" : null },
    content,
  );
}

/** Inline spans: the earliest match wins; text between matches stays text. */
export function inline(text) {
  const out = [];
  let rest = text;
  while (rest) {
    let best = null;
    for (const rule of INLINE) {
      const m = rule.re.exec(rest);
      if (m && (!best || m.index < best.m.index)) best = { m, rule };
    }
    if (!best) {
      out.push(rest);
      break;
    }
    if (best.m.index > 0) out.push(rest.slice(0, best.m.index));
    out.push(best.rule.make(best.m));
    rest = rest.slice(best.m.index + best.m[0].length);
  }
  return out;
}
