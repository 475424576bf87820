// Help with the runs filter, as MLflow's UI gives it: plain text searches run names, keys
// complete as they are typed, and a refused filter is explained with the grammar.

/** runs/search's attribute keys, as the server accepts them after "attributes.". */
export const ATTRIBUTE_KEYS = ["run_name", "run_id", "status", "start_time", "end_time", "user_id", "artifact_uri"];

const PREFIXES = ["metrics.", "params.", "tags.", "attributes."];
const KIND_OF_PREFIX = {
  metrics: "metric",
  metric: "metric",
  params: "param",
  param: "param",
  parameters: "param",
  tags: "tag",
  tag: "tag",
  attributes: "attr",
  attribute: "attr",
  attr: "attr",
};
// A comparison or a keyword of the grammar: the text is a filter, not a name to look for.
const FILTER_SYNTAX = /[=<>]|\b(like|ilike|in|is)\b|\b(metrics?|params?|tags?|attributes?|attr)\.\S/i;

/** What to send as runs/search's filter: plain text becomes a run-name search. */
export function toFilter(text) {
  const trimmed = text.trim();
  if (!trimmed || FILTER_SYNTAX.test(trimmed)) return trimmed;
  const quote = trimmed.includes("'") && !trimmed.includes('"') ? '"' : "'";
  const safe = quote === "'" ? trimmed.replaceAll("'", "") : trimmed;
  return `attributes.run_name ILIKE ${quote}%${safe}%${quote}`;
}

/** A key as the grammar reads it: backquoted when it holds more than letters, digits, _ . / -. */
export function quoteKey(key) {
  return /^[\w./-]+$/.test(key) ? key : `\`${key.replaceAll("`", "")}\``;
}

/**
 * Completions for the word before the caret: the four prefixes for a bare word that starts
 * one, or the keys for a "metrics." / "params." / "tags." / "attributes." prefix. `keys`:
 * {metric, param, tag} lists, most important first. Returns {from, items} (the text from
 * `from` to the caret is what an item replaces) or null.
 */
export function suggest(text, caret, keys, limit = 12) {
  const before = text.slice(0, caret);
  const found = /(?:^|[\s(])([A-Za-z_]+)(?:\.(`?)([^`\s=<>!]*))?$/.exec(before);
  if (!found) return null;
  const [, word, , partial] = found;
  const typed = found[0].replace(/^[\s(]/, "");
  const from = caret - typed.length;
  if (partial === undefined) {
    const items = PREFIXES.filter((p) => p.startsWith(word.toLowerCase()) && p !== `${word}.`);
    return items.length ? { from, items } : null;
  }
  const kind = KIND_OF_PREFIX[word.toLowerCase()];
  if (!kind) return null;
  const needle = partial.toLowerCase();
  const pool = kind === "attr" ? ATTRIBUTE_KEYS : keys[kind].filter((k) => needle || !k.startsWith("mlflow."));
  const items = pool
    .filter((k) => k.toLowerCase().includes(needle))
    .slice(0, limit)
    .map((k) => `${word}.${quoteKey(k)}`);
  return items.length ? { from, items } : null;
}

/** The grammar in a few lines, shown under the server's message when a filter is refused. */
export const GRAMMAR_HELP = [
  "Plain text searches run names (trial-0). A filter compares keys with values, joined by AND:",
  "  metrics.`val/loss` < 0.5 AND params.optimizer = 'adam' AND tags.team LIKE 'vision%'",
  `Keys: metrics.<name>, params.<name>, tags.<name>, attributes.{${ATTRIBUTE_KEYS.join(", ")}}`,
  "Operators: = != < <= > >= for numbers; = != LIKE ILIKE IN for text. Quote text values.",
].join("\n");
