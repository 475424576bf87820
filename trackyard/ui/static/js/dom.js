// Tiny DOM helpers. Everything user-provided goes in as text nodes, never as HTML, so run
// names, tags and artifact contents cannot inject markup.

// Browsers strip leading and trailing C0 controls and spaces from a URL and drop tabs and
// newlines anywhere in it before they read its scheme, so a text match ("starts with
// javascript:") misses "\u0001javascript:" or "java\tscript:". Parsing with the browser's own
// (WHATWG) parser against the page's base sees exactly what a click or a load will.
const WEB = new Set(["http:", "https:"]);
const IMAGE_DATA = /^data:image\/(png|jpeg|gif|webp|svg\+xml)[;,]/i;

/**
 * `url` if it leads to the web: http(s) (relative and in-page links resolve to this page's
 * origin) or mailto; with `image`, http(s) or a data: image (in an <img> even an SVG runs no
 * script). Anything else, or nothing parsable, gives null.
 */
export function safeUrl(url, { image = false } = {}) {
  let parsed;
  try {
    parsed = new URL(String(url), document.baseURI);
  } catch {
    return null;
  }
  const ok = WEB.has(parsed.protocol) || (image ? IMAGE_DATA.test(parsed.href) : parsed.protocol === "mailto:");
  return ok ? String(url) : null;
}

// Attributes whose value the browser follows as a URL: they only take what safeUrl allows.
const URL_ATTRIBUTES = new Set(["href", "src", "action", "formaction", "xlink:href", "poster", "cite", "background"]);

/**
 * Create an element: h("a", {href, class: "x", onclick}, "text", child, [more]).
 * Function props starting with "on" become listeners (strings there would be script, so
 * they are dropped); URL attributes keep only safeUrl's targets; an iframe's srcdoc always
 * comes with an empty sandbox (no scripts); `class`, `style`, `dataset` and boolean
 * attributes get special care; null/undefined/false children are skipped.
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [name, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (name.startsWith("on")) {
        if (typeof value === "function") el.addEventListener(name.slice(2).toLowerCase(), value);
      } else if (URL_ATTRIBUTES.has(name)) {
        const url = safeUrl(value, { image: tag === "img" && name === "src" });
        if (url !== null) el.setAttribute(name, url);
      } else if (name === "class") {
        el.className = Array.isArray(value) ? value.filter(Boolean).join(" ") : value;
      } else if (name === "style" && typeof value === "object") {
        Object.assign(el.style, value);
      } else if (name === "dataset") {
        Object.assign(el.dataset, value);
      } else if (name === "value" || name === "checked" || name === "selected" || name === "indeterminate") {
        el[name] = value;
      } else {
        el.setAttribute(name, value === true ? "" : String(value));
      }
    }
  }
  if (el.hasAttribute("srcdoc")) el.setAttribute("sandbox", "");
  append(el, children);
  return el;
}

/** Append children (strings, numbers, nodes, nested arrays; falsy ones skipped). */
export function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false || child === true) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
  return parent;
}

/** Replace all children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** Debounce: call `fn` once `ms` after the last call. */
export function debounce(fn, ms) {
  let timer = null;
  const wrapped = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}

export { colorFor } from "./palette.js";

/** A CSS variable's current value, for canvas drawing that must follow the theme. */
export function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

const ICONS = {
  folder: "M1.5 3.5h4.2l1.5 1.6h7.3v7.9H1.5z",
  file: "M3.5 1.5h5.8l3.2 3.2v9.8h-9z M9.3 1.5v3.2h3.2",
  pin: "M5.5 1.5h5 M6.5 1.5v4.5l-2.5 3h8l-2.5-3v-4.5 M8 9v5.5",
  eye: "M1 8c2-3.5 4.3-5 7-5s5 1.5 7 5c-2 3.5-4.3 5-7 5S3 11.5 1 8z M8 5.8a2.2 2.2 0 1 0 0 4.4a2.2 2.2 0 1 0 0-4.4z",
  eyeOff: "M1 8c2-3.5 4.3-5 7-5s5 1.5 7 5c-2 3.5-4.3 5-7 5S3 11.5 1 8z M2 14L14 2",
  left: "M10 3.5L5.5 8l4.5 4.5",
  right: "M6 3.5l4.5 4.5L6 12.5",
  resize: "M9.5 2.5h4v4 M13.5 2.5L9 7 M6.5 13.5h-4v-4 M2.5 13.5L7 9",
  close: "M4 4l8 8 M12 4l-8 8",
};

/** A small line icon as inline SVG (emoji fonts are missing on many Linux desktops). */
export function icon(name) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 16 16");
  svg.setAttribute("class", `icon icon-${name}`);
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", ICONS[name]);
  svg.appendChild(path);
  return svg;
}
