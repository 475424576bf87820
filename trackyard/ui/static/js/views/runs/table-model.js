// The runs table's model, without the DOM: which columns exist and how they read a run,
// runs flattened into rows, nesting, sort order and the rows in view. Pure functions over
// plain data, so tests/js/ can check them in Node.

import { orderKey } from "../../api.js";
import { formatNumber, formatRelative, formatTime, runDuration, toMap } from "../../format.js";
import { rankKeys } from "../../key-rank.js";

export const PAGE_SIZE = 200;
export const ROW_HEIGHT = 32;
export const OVERSCAN = 10;
const PARENT_TAG = "mlflow.parentRunId";
const MAX_DEPTH = 20;

/** Attribute columns: label, width, server-side sort key (null: not sortable) and value. */
export const ATTRIBUTES = {
  start_time: {
    label: "Created",
    width: 130,
    sort: "attributes.start_time",
    text: (r) => formatRelative(r.start),
    title: (r) => formatTime(r.start),
  },
  duration: {
    label: "Duration",
    width: 90,
    sort: null,
    text: (r) => runDuration({ start_time: r.start, end_time: r.end, status: r.status }),
  },
  status: { label: "Status", width: 100, sort: "attributes.status", text: (r) => r.status },
  user_id: { label: "User", width: 120, sort: "attributes.user_id", text: (r) => r.user },
  source: { label: "Source", width: 160, sort: "tags.`mlflow.source.name`", text: (r) => sourceName(r.tags) },
  experiment: {
    label: "Experiment",
    width: 140,
    sort: null,
    text: (r, names) => names.get(r.experimentId) || r.experimentId,
  },
  end_time: { label: "Ended", width: 130, sort: "attributes.end_time", text: (r) => formatTime(r.end) },
  run_id: { label: "Run ID", width: 270, sort: "attributes.run_id", text: (r) => r.id, mono: true },
  model: { label: "Models", width: 140, sort: null, text: (r) => loggedModelNames(r.tags) },
};

/** The small label above a column's name: which group its key comes from. */
export const GROUP_LABELS = { attr: "", metric: "metric", param: "param", tag: "tag" };

/** The run name column is always there; it sorts by the run_name attribute. */
export const NAME_COLUMN = "attr:run_name";

/** A run's source file name, without its folder (tag mlflow.source.name). */
export function sourceName(tags) {
  const name = tags["mlflow.source.name"] || "";
  return name.split(/[\\/]/).pop();
}

/** The artifact paths of the models a run logged (tag mlflow.log-model.history). */
export function loggedModelNames(tags) {
  try {
    const models = JSON.parse(tags["mlflow.log-model.history"] || "[]");
    return models.map((m) => m.artifact_path).join(", ");
  } catch {
    return "";
  }
}

/** A runs/search answer's run, flattened for the table (keeps memory low at 100k rows). */
export function toRow(run) {
  const info = run.info;
  const data = run.data || {};
  const tags = toMap(data.tags);
  const metrics = Object.create(null);
  for (const metric of data.metrics || []) metrics[metric.key] = metric.value;
  return {
    id: info.run_id || info.run_uuid,
    name: info.run_name || tags["mlflow.runName"] || info.run_id,
    experimentId: info.experiment_id,
    user: info.user_id || tags["mlflow.user"] || "",
    status: info.status,
    start: info.start_time,
    end: info.end_time,
    deleted: info.lifecycle_stage === "deleted",
    parent: tags[PARENT_TAG] || null,
    metrics,
    params: toMap(data.params),
    tags,
  };
}

// Columns

/**
 * A column id ("attr:status", "metric:loss", "param:lr", "tag:team") as a spec: label,
 * width, server-side sort key and how to read it; null for an id that names no column.
 */
export function columnSpec(id) {
  const index = id.indexOf(":");
  const kind = id.slice(0, index);
  const key = id.slice(index + 1);
  if (kind === "attr") {
    const attr = ATTRIBUTES[key];
    return attr ? { id, kind, key, label: attr.label, width: attr.width, sort: attr.sort, attr } : null;
  }
  if (!["metric", "param", "tag"].includes(kind) || !key) return null;
  return {
    id,
    kind,
    key,
    label: key,
    width: labelWidth(key),
    sort: orderKey(kind, key),
    numeric: kind === "metric",
  };
}

/** A key column's default width: its name in full up to 260 px (the header shows it whole). */
export function labelWidth(label) {
  return Math.round(Math.min(260, Math.max(100, label.length * 7.6 + 34)));
}

export const CHECK_WIDTH = 34;
export const NAME_WIDTH = 260;

/**
 * Where each column goes: the checkbox, the run name, then the pinned columns, then the
 * rest, with the widths the user set (`widths`: id -> px) and, for pinned cells, their
 * sticky left offset. `pinned`: ids (NAME_COLUMN among them pins the name), null = name only.
 * Returns {name: {width, pinned, left}, columns: [spec + {width, pinned, left}], template}.
 */
export function layoutColumns(specs, pinned, widths) {
  const pins = new Set(pinned ?? [NAME_COLUMN]);
  const name = { width: widths.get(NAME_COLUMN) ?? NAME_WIDTH, pinned: pins.has(NAME_COLUMN), left: CHECK_WIDTH };
  let left = CHECK_WIDTH + (name.pinned ? name.width : 0);
  const placed = (spec, isPinned) => {
    const width = widths.get(spec.id) ?? spec.width;
    const column = { ...spec, width, pinned: isPinned, left: isPinned ? left : null };
    if (isPinned) left += width;
    return column;
  };
  const columns = [
    ...specs.filter((c) => pins.has(c.id)).map((c) => placed(c, true)),
    ...specs.filter((c) => !pins.has(c.id)).map((c) => placed(c, false)),
  ];
  const all = [CHECK_WIDTH, name.width, ...columns.map((c) => c.width)];
  const template = all.map((w, i) => (i === all.length - 1 ? `minmax(${w}px, 1fr)` : `${w}px`)).join(" ");
  return { name, columns, template, total: all.reduce((a, b) => a + b, 0) };
}

/** The column ids after dragging `moved` onto `target` (it takes the target's place). */
export function moveColumn(ids, moved, target) {
  if (moved === target || !ids.includes(moved) || !ids.includes(target)) return ids;
  const rest = ids.filter((id) => id !== moved);
  const at = rest.indexOf(target) + (ids.indexOf(moved) < ids.indexOf(target) ? 1 : 0);
  return [...rest.slice(0, at), moved, ...rest.slice(at)];
}

/** The pinned ids after pinning or unpinning `id` (null = the default, the name alone). */
export function togglePin(pinned, id) {
  const pins = pinned ?? [NAME_COLUMN];
  return pins.includes(id) ? pins.filter((p) => p !== id) : [...pins, id];
}

/**
 * Without a choice: the main attributes, then the 8 metrics and 8 params that matter most
 * (key-rank.js: the ones most loaded runs have, losses and validation first, system/* last).
 * `counts`: {metric, param} maps of key -> runs that have it; without it, names decide.
 */
export function defaultColumns(keys, multi, counts = { metric: new Map(), param: new Map() }) {
  const cols = ["attr:start_time", "attr:duration", "attr:status", "attr:user_id", "attr:source"];
  if (multi) cols.push("attr:experiment");
  const topKeys = (kind, limit) =>
    rankKeys(keys[kind], counts[kind])
      .slice(0, limit)
      .map((k) => `${kind}:${k}`);
  return [...cols, ...topKeys("metric", 8), ...topKeys("param", 8)];
}

/** The specs of the columns shown: the user's choice (`chosen`), else the defaults. */
export function shownColumns(chosen, keys, multi, counts) {
  return (chosen || defaultColumns(keys, multi, counts)).map(columnSpec).filter(Boolean);
}

/** The columns after the picker changed `chosen`: the current order kept, new ones last. */
export function reorderColumns(currentIds, chosen) {
  const kept = currentIds.filter((id) => chosen.has(id));
  return [...kept, ...[...chosen].filter((id) => !kept.includes(id))];
}

/**
 * The column picker's groups, [title, [[id, label], ...]], with labels matching `needle`
 * (lower case); empty groups are left out. System tags (mlflow.*) show only when searched.
 */
export function pickerGroups(keys, needle) {
  const sorted = (kind) => [...keys[kind]].sort();
  const groups = [
    ["Attributes", Object.keys(ATTRIBUTES).map((k) => [`attr:${k}`, ATTRIBUTES[k].label])],
    ["Metrics", sorted("metric").map((k) => [`metric:${k}`, k])],
    ["Parameters", sorted("param").map((k) => [`param:${k}`, k])],
    [
      "Tags",
      sorted("tag")
        .filter((k) => needle || !k.startsWith("mlflow."))
        .map((k) => [`tag:${k}`, k]),
    ],
  ];
  return groups
    .map(([title, items]) => [title, items.filter(([, label]) => label.toLowerCase().includes(needle))])
    .filter(([, items]) => items.length);
}

/** A cell's text and tooltip for one run; `names` maps experiment ids to names. */
export function cellValue(spec, row, names) {
  if (spec.kind === "attr") {
    const text = spec.attr.text(row, names) || "";
    return { text, title: spec.attr.title ? spec.attr.title(row) : text, missing: false };
  }
  const source = spec.kind === "metric" ? row.metrics : spec.kind === "param" ? row.params : row.tags;
  const value = source[spec.key];
  if (value === undefined) return { text: "", title: null, missing: true };
  return { text: spec.numeric ? formatNumber(value) : value, title: String(value), missing: false };
}

// Sorting

/** A header click cycles a column: descending, ascending, back to the default order. */
export function nextSort({ sort, asc }, id) {
  if (sort !== id) return { sort: id, asc: false };
  if (!asc) return { sort: id, asc: true };
  return { sort: "", asc: false };
}

/** runs/search's order_by for the sort state: [] is the server's default order. */
export function orderBy({ sort, asc }) {
  const direction = asc ? "ASC" : "DESC";
  if (sort === NAME_COLUMN) return [`attributes.run_name ${direction}`];
  const spec = sort && columnSpec(sort);
  if (!spec?.sort) return [];
  return [`${spec.sort} ${direction}`];
}

// Rows

/** The loaded runs: in load order, by id, children by parent id, and every key seen. */
export function emptyRuns() {
  return {
    rows: [],
    byId: new Map(),
    children: new Map(),
    keys: { metric: new Set(), param: new Set(), tag: new Set() },
    counts: { metric: new Map(), param: new Map() }, // key -> loaded runs that have it
  };
}

/** Add a page of rows; a run already loaded (a page boundary moved under writes) is skipped. */
export function addRows(runs, rows) {
  for (const row of rows) {
    if (runs.byId.has(row.id)) continue;
    runs.rows.push(row);
    runs.byId.set(row.id, row);
    if (row.parent && row.parent !== row.id) {
      if (!runs.children.has(row.parent)) runs.children.set(row.parent, []);
      runs.children.get(row.parent).push(row);
    }
    for (const kind of ["metric", "param"]) {
      const counts = runs.counts[kind];
      for (const key in row[`${kind}s`]) {
        runs.keys[kind].add(key);
        counts.set(key, (counts.get(key) || 0) + 1);
      }
    }
    for (const key in row.tags) runs.keys.tag.add(key);
  }
  return runs;
}

/**
 * Put a newer copy of loaded runs in place (a live refresh): same position, same parent.
 * Runs not loaded are ignored; new keys join the column picker's lists.
 */
export function updateRows(runs, rows) {
  for (const row of rows) {
    const old = runs.byId.get(row.id);
    if (!old) continue;
    runs.rows[runs.rows.indexOf(old)] = row;
    runs.byId.set(row.id, row);
    const siblings = old.parent ? runs.children.get(old.parent) : null;
    if (siblings) siblings[siblings.indexOf(old)] = row;
    for (const key in row.metrics) runs.keys.metric.add(key);
    for (const key in row.params) runs.keys.param.add(key);
    for (const key in row.tags) runs.keys.tag.add(key);
  }
  return runs;
}

/** The ids of loaded runs still RUNNING (at most `limit`, for one runs/search). */
export function runningIds(runs, limit = 500) {
  const ids = [];
  for (const row of runs.rows) if (row.status === "RUNNING" && ids.push(row.id) >= limit) break;
  return ids;
}

/** Whether a parent's nested runs show: all expanded, or this one. */
export function isOpen(nesting, id) {
  return nesting.expandAll || nesting.expanded.has(id);
}

/**
 * Rows in display order, [{row, depth}]: each top-level run followed by its open
 * descendants. A child whose parent is loaded is drawn under it; an orphan stays at the top
 * level. Cycles and nesting deeper than 20 stop.
 */
export function displayRows(runs, nesting) {
  const out = [];
  const visit = (row, depth, seen) => {
    out.push({ row, depth });
    const kids = runs.children.get(row.id);
    if (!kids || !isOpen(nesting, row.id) || depth > MAX_DEPTH) return;
    for (const kid of kids) {
      if (seen.has(kid.id)) continue;
      seen.add(kid.id);
      visit(kid, depth + 1, seen);
    }
  };
  for (const row of runs.rows) {
    if (row.parent && row.parent !== row.id && runs.byId.has(row.parent)) continue;
    visit(row, 0, new Set([row.id]));
  }
  return out;
}

/**
 * The nesting after a click on a parent's toggle. Leaving "expand all" keeps every parent
 * open except the one clicked.
 */
export function toggleNesting(nesting, id, parentIds) {
  const expanded = new Set(nesting.expandAll ? [...nesting.expanded, ...parentIds] : nesting.expanded);
  if (expanded.has(id)) expanded.delete(id);
  else expanded.add(id);
  return { expandAll: false, expanded };
}

/** The selection with every displayed run added (checked) or removed. */
export function selectDisplayed(selected, display, checked) {
  const next = new Set(selected);
  for (const { row } of display) {
    if (checked) next.add(row.id);
    else next.delete(row.id);
  }
  return next;
}

// The virtual viewport

/** The row indexes to draw, [first, last), for a scroll position: the view plus overscan. */
export function visibleRange(scrollTop, viewHeight, rowCount) {
  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rowCount, Math.ceil((scrollTop + viewHeight) / ROW_HEIGHT) + OVERSCAN);
  return { first, last };
}

/** Fetch the next page once the view's bottom is within half a page of the loaded rows. */
export function wantsMoreRows(scrollTop, viewHeight, rowCount) {
  return (scrollTop + viewHeight) / ROW_HEIGHT + PAGE_SIZE / 2 >= rowCount;
}
