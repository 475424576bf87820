// The artifact browser: a lazily loaded folder tree on the left, a preview on the right.
// It works on any "source" with list(dir) and url(path), so runs (listed by run id) and
// logged models (behind the artifact proxy) share it.

import { artifacts } from "./api.js";
import { renderPreview } from "./artifact-previews.js";
import { h, icon, replace } from "./dom.js";
import { formatBytes } from "./format.js";
import { errorBox } from "./widgets.js";

export const runSource = (runId) => ({
  list: (path) => artifacts.list(runId, path),
  url: (path) => artifacts.runFileUrl(runId, path),
});

export const proxySource = (root) => ({
  list: (path) => artifacts.proxyList(root, path),
  url: (path) => artifacts.proxyFileUrl(root, path),
});

/** `mlflow-artifacts:/1/models/m-x/artifacts` → `1/models/m-x/artifacts` (null if not proxied). */
export function proxyRoot(uri) {
  const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(uri || "");
  return m ? m[1].replace(/\/+$/, "") : null;
}

const byName = (a, b) => (a.is_dir === b.is_dir ? a.path.localeCompare(b.path) : a.is_dir ? -1 : 1);
const baseName = (path) => path.split("/").pop();

/**
 * Build the browser. `selected`: the path to open first (from the URL); `onSelect(path)`
 * is told about every selection so the caller can keep it in the URL.
 */
export function artifactBrowser({ source, selected = "", onSelect = () => {}, signal }) {
  const pending = new Map(); // dir path -> Promise of its files (each folder listed once)
  const listings = new Map(); // dir path -> files, once listed
  const expanded = new Set();
  let current = selected;
  let previewController = null;
  const tree = h("div", { class: "tree", role: "tree", "data-role": "artifact-tree" });
  const preview = h("div", { class: "preview panel", "data-role": "artifact-preview" });
  const root = h("div", { class: "artifacts" }, h("div", { class: "panel" }, tree), preview);

  async function listing(dir) {
    if (!pending.has(dir)) {
      pending.set(
        dir,
        source.list(dir).then(
          (files) => {
            const sorted = files.slice().sort(byName);
            listings.set(dir, sorted);
            return sorted;
          },
          (error) => {
            pending.delete(dir); // let a later click retry
            throw error;
          },
        ),
      );
    }
    return pending.get(dir);
  }

  async function init() {
    try {
      const top = await listing("");
      if (!top.length) {
        replace(tree, h("div", { class: "muted pad" }, "No artifacts."));
        replace(preview, h("div", { class: "empty" }, "This run has no artifacts yet."));
        return;
      }
      // Open the folders leading to the selected path.
      const parts = current.split("/").filter(Boolean);
      for (let i = 1; i < parts.length; i++) {
        const dir = parts.slice(0, i).join("/");
        expanded.add(dir);
        await listing(dir).catch(() => []);
      }
      await drawTree();
      if (current) select(current, isDir(current));
      else {
        const first = top.find((f) => !f.is_dir) || top[0];
        select(first.path, first.is_dir, false);
      }
    } catch (error) {
      replace(tree, errorBox(error, "Could not list artifacts"));
      replace(preview, h("div"));
    }
  }

  function isDir(path) {
    const hit = fileInfo(path);
    return hit ? Boolean(hit.is_dir) : expanded.has(path);
  }

  async function drawTree() {
    const items = [];
    const walk = async (dir, depth) => {
      let files;
      try {
        files = await listing(dir);
      } catch (error) {
        items.push(h("div", { class: "tree-item muted", style: `padding-left:${8 + depth * 14}px` }, error.message));
        return;
      }
      for (const file of files) {
        const open = expanded.has(file.path);
        items.push(
          h(
            "div",
            {
              class: ["tree-item", file.path === current && "selected"],
              role: "treeitem",
              "aria-level": String(depth + 1),
              "aria-selected": String(file.path === current),
              "aria-expanded": file.is_dir ? String(open) : null,
              tabindex: "-1",
              style: `padding-left:${8 + depth * 14}px`,
              title: file.path,
              dataset: { path: file.path, dir: file.is_dir ? "1" : "" },
            },
            h("span", { class: "twisty" }, file.is_dir ? (open ? "▾" : "▸") : ""),
            icon(file.is_dir ? "folder" : "file"),
            h("span", { class: "name" }, baseName(file.path)),
            file.is_dir ? null : h("span", { class: "size" }, formatBytes(file.file_size)),
          ),
        );
        if (file.is_dir && open) await walk(file.path, depth + 1);
      }
    };
    await walk("", 0);
    const focused = tree.contains(document.activeElement) ? document.activeElement.dataset.path : null;
    replace(tree, items);
    // One item takes the Tab stop (the focused one, else the selected, else the first).
    const find = (path) => treeItems().find((el) => el.dataset.path === path);
    const stop = find(focused) || find(current) || treeItems()[0];
    if (!stop) return;
    stop.tabIndex = 0;
    if (focused !== null) stop.focus();
  }

  async function setOpen(path, open) {
    if (open) expanded.add(path);
    else expanded.delete(path);
    await drawTree();
  }

  const treeItems = () => [...tree.querySelectorAll(".tree-item[data-path]")];

  async function activate(item) {
    const path = item.dataset.path;
    const dir = item.dataset.dir === "1";
    if (dir) {
      if (expanded.has(path) && current === path) expanded.delete(path);
      else expanded.add(path);
    }
    select(path, dir);
    await drawTree();
  }

  tree.addEventListener("click", async (event) => {
    const item = event.target.closest(".tree-item[data-path]");
    if (item) await activate(item);
  });

  // The keyboard, as ARIA's tree pattern has it: Up/Down/Home/End move, Right opens a
  // folder, Left closes it, Enter or Space opens the item.
  tree.addEventListener("keydown", async (event) => {
    const item = event.target.closest(".tree-item[data-path]");
    if (!item) return;
    const items = treeItems();
    const index = items.indexOf(item);
    const move = (next) => {
      if (!next) return;
      for (const el of items) el.tabIndex = -1;
      next.tabIndex = 0;
      next.focus();
    };
    const isDirItem = item.dataset.dir === "1";
    const isOpen = expanded.has(item.dataset.path);
    const keys = {
      ArrowDown: () => move(items[index + 1]),
      ArrowUp: () => move(items[index - 1]),
      Home: () => move(items[0]),
      End: () => move(items.at(-1)),
      ArrowRight: () => (isDirItem && !isOpen ? setOpen(item.dataset.path, true) : move(items[index + 1])),
      ArrowLeft: () => (isDirItem && isOpen ? setOpen(item.dataset.path, false) : null),
      Enter: () => activate(item),
      " ": () => activate(item),
    };
    if (!keys[event.key]) return;
    event.preventDefault();
    await keys[event.key]();
  });

  function fileInfo(path) {
    const parent = path.split("/").slice(0, -1).join("/");
    const files = listings.get(parent);
    return files ? files.find((f) => f.path === path) : null;
  }

  async function select(path, dir, notify = true) {
    current = path;
    if (notify) onSelect(path);
    for (const el of tree.querySelectorAll(".tree-item.selected")) el.classList.remove("selected");
    const el = [...tree.querySelectorAll(".tree-item")].find((node) => node.dataset.path === path);
    if (el) el.classList.add("selected");
    if (previewController) previewController.abort();
    previewController = new AbortController();
    if (signal) signal.addEventListener("abort", () => previewController.abort(), { once: true });
    // The parent's listing gives the file's size.
    await listing(path.split("/").slice(0, -1).join("/")).catch(() => {});
    const info = fileInfo(path);
    const url = source.url(path);
    const body = h("div", { class: "preview-body" });
    replace(
      preview,
      h(
        "div",
        { class: "preview-head" },
        h("span", { class: "path", "data-role": "preview-path" }, path),
        info && !dir ? h("span", { class: "muted small" }, formatBytes(info.file_size)) : null,
        dir ? null : h("a", { class: "button", href: url, download: baseName(path) }, "Download"),
      ),
      body,
    );
    if (dir) return folderPreview(body, path);
    await renderPreview(body, { path, size: info ? info.file_size : null, url }, previewController.signal);
  }

  async function folderPreview(body, path) {
    try {
      const files = await listing(path);
      const mlmodel = files.find((f) => baseName(f.path) === "MLmodel");
      replace(
        body,
        h(
          "div",
          { class: "muted small", style: "margin-bottom: 8px" },
          `${files.length} item${files.length === 1 ? "" : "s"}`,
        ),
        mlmodel
          ? h(
              "div",
              { class: "col", style: "margin-bottom: 12px" },
              h("h3", null, "Model"),
              h("div", { "data-role": "model-summary" }),
            )
          : null,
        h(
          "table",
          { class: "data" },
          h(
            "tbody",
            null,
            files.map((f) =>
              h(
                "tr",
                null,
                h(
                  "td",
                  null,
                  h("span", { class: "row", style: "gap: 6px" }, icon(f.is_dir ? "folder" : "file"), baseName(f.path)),
                ),
                h("td", { class: "muted" }, f.is_dir ? "" : formatBytes(f.file_size)),
              ),
            ),
          ),
        ),
      );
      if (mlmodel) {
        await renderPreview(
          body.querySelector("[data-role=model-summary]"),
          { path: mlmodel.path, size: mlmodel.file_size, url: source.url(mlmodel.path) },
          previewController.signal,
        );
      }
    } catch (error) {
      replace(body, errorBox(error, "Could not list the folder"));
    }
  }

  init();
  return root;
}
