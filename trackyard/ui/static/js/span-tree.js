// A trace's spans as a tree beside a timeline: each row names a span (indented by depth,
// with a toggle when it has children) and draws its bar where it starts and ends in the trace.
// Only the rows in view are in the DOM, so a trace of thousands of spans draws at once.
// Keyboard: the list is one tab stop (an ARIA tree with an active descendant); arrows move
// (and select), Right/Left open and close or go to the child/parent, Home/End, Enter selects.

import { h, replace } from "./dom.js";
import { formatDuration } from "./format.js";
import { barPosition, spanMs, typeLabel, visibleRows } from "./trace-model.js";

const ROW = 28; // px, fixed so a row's place is its index times this
const MAX_HEIGHT = 560; // the stylesheet's cap at its largest, for a first paint before layout
const OVERSCAN = 8;

/**
 * `tree` from buildTree; `onSelect(span)` when the chosen span changes. Returns the element
 * and `select(spanId)`, which opens the span's ancestors and scrolls it into view.
 */
export function spanTree(tree, { selectedId, onSelect }) {
  const collapsed = new Set();
  let rows = [];
  let active = 0;
  const total = Math.max(tree.endNs - tree.startNs, 0) / 1e6;
  const spacer = h("div", { class: "span-rows" });
  const body = h("div", {
    class: "span-tree-body",
    role: "tree",
    tabindex: "0",
    "aria-label": "Spans",
    "data-role": "span-tree",
    onkeydown: onKey,
    onscroll: () => paint(),
  });
  body.append(spacer);
  const element = h(
    "div",
    { class: "span-tree" },
    h(
      "div",
      { class: "span-tree-head", "aria-hidden": "true" },
      h("span", null, "Span"),
      h("span", { class: "num" }, "Duration"),
      h("span", { class: "timeline-scale" }, h("span", null, "0"), h("span", null, formatDuration(total))),
    ),
    body,
  );

  function layout() {
    rows = visibleRows(tree, collapsed);
    spacer.style.height = `${rows.length * ROW}px`;
    body.style.height = `${rows.length * ROW + 2}px`; // capped by the stylesheet's max-height
    paint();
  }

  function paint() {
    const height = body.clientHeight || MAX_HEIGHT;
    const first = Math.max(0, Math.floor(body.scrollTop / ROW) - OVERSCAN);
    const last = Math.min(rows.length, Math.ceil((body.scrollTop + height) / ROW) + OVERSCAN);
    const drawn = [];
    for (let i = first; i < last; i++) drawn.push(row(rows[i], i));
    replace(spacer, drawn);
    const current = rows[active];
    if (current) body.setAttribute("aria-activedescendant", rowId(current));
  }

  const rowId = (node) => `span-row-${node.index}`;

  function row(node, index) {
    const { span } = node;
    const open = !collapsed.has(span.id);
    const { left, width } = barPosition(span, tree);
    const ms = spanMs(span);
    return h(
      "div",
      {
        id: rowId(node),
        class: ["span-row", index === active && "active", span.hasError && "error"],
        role: "treeitem",
        "aria-level": String(node.depth + 1),
        "aria-expanded": node.children.length ? String(open) : null,
        "aria-selected": String(index === active),
        style: { top: `${index * ROW}px` },
        dataset: { spanName: span.name },
        onclick: () => choose(index),
      },
      h(
        "span",
        { class: "span-label", style: { paddingLeft: `${node.depth * 14 + 4}px` }, title: span.name },
        node.children.length
          ? h(
              "button",
              {
                class: "twisty",
                tabindex: "-1",
                "aria-hidden": "true",
                onclick: (event) => {
                  event.stopPropagation();
                  toggle(node);
                },
              },
              open ? "▾" : "▸",
            )
          : h("span", { class: "twisty" }),
        typeLabel(span.type) ? h("span", { class: "span-type" }, typeLabel(span.type)) : null,
        h("span", { class: "span-name" }, span.name),
      ),
      h("span", { class: "num muted" }, ms === null ? "…" : formatDuration(ms)),
      h(
        "span",
        { class: "timeline" },
        h("span", {
          class: ["bar", span.hasError && "error"],
          style: { left: `${(left * 100).toFixed(3)}%`, width: `${(width * 100).toFixed(3)}%` },
        }),
      ),
    );
  }

  function toggle(node) {
    const id = node.span.id;
    if (collapsed.has(id)) collapsed.delete(id);
    else collapsed.add(id);
    const activeNode = rows[active];
    layout();
    active = Math.max(0, rows.indexOf(activeNode));
    paint();
  }

  function choose(index, { scroll = true } = {}) {
    if (!rows.length) return;
    active = Math.max(0, Math.min(rows.length - 1, index));
    if (scroll) scrollToActive();
    paint();
    onSelect(rows[active].span);
  }

  function scrollToActive() {
    const top = active * ROW;
    if (top < body.scrollTop) body.scrollTop = top;
    else if (top + ROW > body.scrollTop + body.clientHeight) body.scrollTop = top + ROW - body.clientHeight;
  }

  function onKey(event) {
    const node = rows[active];
    if (!node) return;
    const moves = {
      ArrowDown: () => choose(active + 1),
      ArrowUp: () => choose(active - 1),
      Home: () => choose(0),
      End: () => choose(rows.length - 1),
      PageDown: () => choose(active + Math.floor(body.clientHeight / ROW)),
      PageUp: () => choose(active - Math.floor(body.clientHeight / ROW)),
      Enter: () => choose(active),
      " ": () => choose(active),
      ArrowRight: () => {
        if (!node.children.length) return;
        if (collapsed.has(node.span.id)) toggle(node);
        else choose(active + 1);
      },
      ArrowLeft: () => {
        if (node.children.length && !collapsed.has(node.span.id)) toggle(node);
        else if (node.span.parentId) {
          const parent = rows.findIndex((r) => r.span.id === node.span.parentId);
          if (parent >= 0) choose(parent);
        }
      },
    };
    const move = moves[event.key];
    if (!move) return;
    event.preventDefault();
    move();
  }

  function select(spanId) {
    let node = tree.byId.get(spanId);
    if (!node) return false;
    for (let up = tree.byId.get(node.span.parentId); up; up = tree.byId.get(up.span.parentId)) {
      collapsed.delete(up.span.id);
    }
    layout();
    node = tree.byId.get(spanId);
    choose(rows.indexOf(node));
    return true;
  }

  let index = 0;
  for (const node of tree.byId.values()) node.index = index++;
  layout();
  // Drawn once attached: scrolling needs the element's height.
  requestAnimationFrame(() => {
    if (!(selectedId && select(selectedId))) choose(0);
  });
  return { element, select };
}
