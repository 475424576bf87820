// The chart panels' layout, without the DOM: sections by metric prefix, and which panels the
// user hid, moved or resized. A layout is a list of entries {key, size, hidden}; listed keys
// come first in their section, in the list's order, the others after them in the ranked
// order. The URL holds it as `panels`: entries joined by ",", each `key`, with `@s|m|l|xl`
// for a size other than medium and a leading `!` when hidden (`%`, `,`, `@` and `!` in a key
// are percent-escaped). An empty list is the default layout.

/** Panel sizes, smallest first: each a width in the grid (app.css) and a plot height. */
export const SIZES = ["s", "m", "l", "xl"];
export const SIZE_NAMES = { s: "small", m: "medium", l: "large", xl: "full width" };
export const DEFAULT_SIZE = "m";
export const PANEL_HEIGHTS = { s: 180, m: 240, l: 320, xl: 360 };

/** A metric key's section: the part before its first "/", or "other". */
export function sectionOf(key) {
  const slash = key.indexOf("/");
  return slash > 0 ? key.slice(0, slash) : "other";
}

/**
 * Metric keys grouped by their prefix (train, val, system), in the order their first key
 * comes; keys without a prefix form "other", and system/* always comes last.
 * [[title, keys], ...].
 */
export function chartSections(keys) {
  const groups = new Map();
  for (const key of keys) {
    const title = sectionOf(key);
    if (!groups.has(title)) groups.set(title, []);
    groups.get(title).push(key);
  }
  const ordered = [...groups].filter(([title]) => title !== "system");
  if (groups.has("system")) ordered.push(["system", groups.get("system")]);
  return ordered;
}

const escapeKey = (key) => key.replace(/[%,@!]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function unescapeKey(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return ""; // a broken escape: the entry is left out
  }
}

/** The layout a URL's `panels` describes; unknown sizes, empty keys and repeats left out. */
export function readLayout(text) {
  const entries = [];
  const seen = new Set();
  for (const part of (text || "").split(",")) {
    const hidden = part.startsWith("!");
    const body = hidden ? part.slice(1) : part;
    const at = body.lastIndexOf("@");
    const size = at < 0 ? DEFAULT_SIZE : body.slice(at + 1);
    const key = unescapeKey(at < 0 ? body : body.slice(0, at));
    if (!key || !SIZES.includes(size) || seen.has(key)) continue;
    seen.add(key);
    entries.push({ key, size, hidden });
  }
  return entries;
}

/** The `panels` value of a layout ("" for the default). */
export function layoutParam(entries) {
  return entries
    .map(({ key, size, hidden }) => `${hidden ? "!" : ""}${escapeKey(key)}${size === DEFAULT_SIZE ? "" : `@${size}`}`)
    .join(",");
}

/**
 * The panels of `keys` (ranked metric keys) under a layout, by section:
 * [[title, [{key, size, hidden}, ...]], ...], hidden panels included.
 */
export function arrangePanels(keys, entries) {
  const listed = new Map(entries.map((entry, i) => [entry.key, { entry, rank: i }]));
  return chartSections(keys).map(([title, sectionKeys]) => [
    title,
    sectionKeys
      .map((key, i) => ({ key, rank: listed.get(key)?.rank ?? entries.length + i }))
      .sort((a, b) => a.rank - b.rank)
      .map(({ key }) => {
        const entry = listed.get(key)?.entry;
        return { key, size: entry?.size ?? DEFAULT_SIZE, hidden: entry?.hidden ?? false };
      }),
  ]);
}

/**
 * The layout with every key of `keys` listed in the order shown, so one change moves no other
 * panel; entries of keys not among `keys` (a filter left out their runs) are kept after them.
 */
function fixOrder(keys, entries) {
  const present = new Set(keys);
  return [
    ...arrangePanels(keys, entries).flatMap(([, panels]) => panels),
    ...entries.filter((entry) => !present.has(entry.key)).map((entry) => ({ ...entry })),
  ];
}

function changePanel(keys, entries, key, change) {
  return fixOrder(keys, entries).map((entry) => (entry.key === key ? { ...entry, ...change } : entry));
}

/** The layout with a panel hidden (or shown again). */
export const hidePanel = (keys, entries, key, hidden = true) => changePanel(keys, entries, key, { hidden });

/** The layout with a panel at another size. */
export const resizePanel = (keys, entries, key, size) => changePanel(keys, entries, key, { size });

/** The size after `size` (the size button cycles: small, medium, large, full width). */
export const nextSize = (size) => SIZES[(SIZES.indexOf(size) + 1) % SIZES.length];

/**
 * The layout with a panel dropped on another of its section (dragged): it takes that panel's
 * place, which moves one step towards where the panel came from. Null across sections.
 */
export function dropPanel(keys, entries, key, target) {
  if (key === target || sectionOf(key) !== sectionOf(target) || !keys.includes(target)) return null;
  const all = fixOrder(keys, entries);
  const from = all.findIndex((e) => e.key === key);
  const to = all.findIndex((e) => e.key === target);
  if (from < 0) return null;
  const [moved] = all.splice(from, 1);
  all.splice(to, 0, moved);
  return all;
}

/**
 * The layout with a panel moved past its shown neighbour in its section: earlier (step -1)
 * or later (+1). Null when it is already first (last) there, or not shown.
 */
export function movePanel(keys, entries, key, step) {
  const present = new Set(keys);
  const all = fixOrder(keys, entries);
  const row = all.filter((e) => present.has(e.key) && !e.hidden && sectionOf(e.key) === sectionOf(key));
  const at = row.findIndex((e) => e.key === key);
  const neighbour = at < 0 ? undefined : row[at + step];
  if (!neighbour) return null;
  const moved = all.find((e) => e.key === key);
  const rest = all.filter((e) => e.key !== key);
  rest.splice(rest.indexOf(neighbour) + (step > 0 ? 1 : 0), 0, moved);
  return rest;
}
