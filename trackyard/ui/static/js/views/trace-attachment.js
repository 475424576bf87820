// A trace's attachment where a span's value holds its reference: an image shown, audio and
// video with the browser's player, any other file as a download. The bytes come from this
// server (get-trace-artifact), loaded only when the span is opened.

import { attachmentFileName, attachmentKind, attachmentUrl, parseAttachment } from "../attachments.js";
import { h, replace } from "../dom.js";
import { formatBytes } from "../format.js";

// Larger images wait for a click, so opening a span never pulls megabytes unasked.
const AUTO_LOAD_BYTES = 8 * 1024 * 1024;

/**
 * What a span's JSON view calls for each string (see jsonView's `strings`): the attachment
 * a reference names, or null. Only references to this trace: the server looks an attachment
 * up under the trace named in the request, so another trace's would never load here.
 */
export function attachmentStrings(traceId) {
  return (text) => {
    const attachment = parseAttachment(text);
    return attachment && attachment.traceId === traceId ? attachmentView(attachment) : null;
  };
}

function attachmentView(attachment) {
  const url = attachmentUrl(attachment.traceId, attachment.id);
  const kind = attachmentKind(attachment.contentType);
  const size = attachment.size === null ? "" : ` · ${formatBytes(attachment.size)}`;
  const box = h("div", { class: "attachment", "data-role": "attachment", dataset: { kind } });
  const caption = h(
    "div",
    { class: "attachment-caption" },
    h("span", null, `${attachment.contentType}${size}`),
    h("a", { href: url, download: attachmentFileName(attachment) }, "Download"),
  );
  const media = kind === "file" ? null : h("div", { class: "attachment-media" });
  const load = () => replace(media, mediaElement(kind, url, attachment, media));
  if (media && kind === "image" && (attachment.size ?? 0) > AUTO_LOAD_BYTES) {
    replace(media, h("button", { type: "button", onclick: load }, `Show the image${size}`));
  } else if (media) {
    load();
  }
  return replace(box, media, caption);
}

function mediaElement(kind, url, attachment, host) {
  const label = `Attachment (${attachment.contentType})`;
  const failed = () =>
    replace(host, h("div", { class: "muted small", "data-role": "attachment-error" }, "The file could not be loaded."));
  if (kind === "image") return h("img", { src: url, alt: label, loading: "lazy", onerror: failed });
  // preload="none": a player fetches nothing until it is played.
  return h(kind, { src: url, controls: true, preload: "none", "aria-label": label, onerror: failed });
}
