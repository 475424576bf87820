// Parsers for artifact previews: CSV/TSV and the simple YAML that MLmodel files use.

/**
 * Parse CSV (RFC 4180 quoting) into rows of strings, stopping after `maxRows` rows.
 * `partial`: the text was cut, so its last line may be incomplete and is dropped.
 */
export function parseCsv(text, { delimiter = ",", maxRows = 1000, partial = false } = {}) {
  const rows = [];
  let row = [];
  let field = "";
  let quoted = false;
  let i = 0;
  const n = text.length;
  while (i < n && rows.length < maxRows) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += c;
      i++;
      continue;
    }
    if (c === '"' && field === "") quoted = true;
    else if (c === delimiter) {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      if (c === "\r" && text[i + 1] === "\n") i++;
    } else field += c;
    i++;
  }
  const more = i < n;
  if (!more && !partial && (field !== "" || row.length)) {
    row.push(field);
    rows.push(row);
  }
  return { rows, truncated: more || partial };
}

/**
 * A minimal YAML reader for block mappings, block lists and scalars (plain, 'single' and
 * "double" quoted, flow JSON-ish values). Enough for MLmodel and conda/python_env files;
 * anything else throws, and callers then show the raw text.
 */
export function parseYaml(text) {
  const lines = text
    .replace(/\r\n?/g, "\n")
    .split("\n")
    .map((raw) => ({ raw, indent: raw.length - raw.trimStart().length, text: stripComment(raw.trim()) }))
    .filter((l) => l.text !== "" && l.text !== "---");
  let pos = 0;

  function parseBlock(indent) {
    if (pos >= lines.length) return null;
    return lines[pos].text.startsWith("- ") || lines[pos].text === "-" ? parseList(indent) : parseMap(indent);
  }

  function parseMap(indent) {
    const map = {};
    while (pos < lines.length && lines[pos].indent === indent && !lines[pos].text.startsWith("- ")) {
      const { text } = lines[pos];
      const colon = findColon(text);
      if (colon < 0) throw new Error(`not a mapping line: ${text}`);
      const key = unquote(text.slice(0, colon).trim());
      const rest = text.slice(colon + 1).trim();
      pos++;
      if (rest === "") {
        const child =
          pos < lines.length &&
          (lines[pos].indent > indent || (lines[pos].indent === indent && lines[pos].text.startsWith("- ")));
        map[key] = child ? parseBlock(lines[pos].indent) : null;
      } else if (rest === "|" || rest === ">" || rest === "|-" || rest === ">-") {
        const body = [];
        while (pos < lines.length && lines[pos].indent > indent) body.push(lines[pos++].raw.trim());
        map[key] = body.join(rest.startsWith("|") ? "\n" : " ");
      } else map[key] = scalar(rest);
    }
    if (pos < lines.length && lines[pos].indent > indent) throw new Error("bad indentation");
    return map;
  }

  function parseList(indent) {
    const list = [];
    while (
      pos < lines.length &&
      lines[pos].indent === indent &&
      (lines[pos].text.startsWith("- ") || lines[pos].text === "-")
    ) {
      const rest = lines[pos].text.slice(1).trim();
      if (!rest) {
        pos++;
        list.push(pos < lines.length && lines[pos].indent > indent ? parseBlock(lines[pos].indent) : null);
      } else if (findColon(rest) > 0 && !/^["'[{]/.test(rest)) {
        // "- key: value" starts a mapping whose other keys are indented under the dash.
        lines[pos] = { ...lines[pos], indent: indent + 2, text: rest };
        list.push(parseMap(indent + 2));
      } else {
        pos++;
        list.push(scalar(rest));
      }
    }
    return list;
  }

  const result = lines.length ? parseBlock(lines[0].indent) : null;
  if (pos < lines.length) throw new Error(`unexpected line: ${lines[pos].raw}`);
  return result;
}

function stripComment(text) {
  if (text.startsWith("#")) return "";
  const m = /\s#/.exec(text);
  if (!m) return text;
  // Keep '#' inside quotes.
  const before = text.slice(0, m.index);
  const quotes = (before.match(/'/g) || []).length % 2 || (before.match(/"/g) || []).length % 2;
  return quotes ? text : before.trimEnd();
}

function findColon(text) {
  let quote = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === ":" && (i === text.length - 1 || text[i + 1] === " ")) return i;
  }
  return -1;
}

function unquote(text) {
  if (text.length >= 2 && text[0] === "'" && text.endsWith("'")) return text.slice(1, -1).replace(/''/g, "'");
  if (text.length >= 2 && text[0] === '"' && text.endsWith('"')) {
    try {
      return JSON.parse(text);
    } catch {
      return text.slice(1, -1);
    }
  }
  return text;
}

function scalar(text) {
  if (/^['"]/.test(text)) return unquote(text);
  if (text === "null" || text === "~") return null;
  if (text === "true" || text === "True") return true;
  if (text === "false" || text === "False") return false;
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return Number(text);
  if (/^[[{]/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}
