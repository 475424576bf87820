// Popovers: a small dialog under the button that opened it (the runs table's Columns, the
// charts' Panels).

/**
 * Show `popover` (a `.popover` element, role=dialog) under the button `anchor` that opened
 * it: the button's aria-expanded follows, Escape closes it and gives the focus back to the
 * button, a click outside closes it, and `onCleanup` (the view's) removes it with the view.
 */
export function openPopover(popover, anchor, onCleanup) {
  const box = anchor.getBoundingClientRect();
  popover.style.top = `${box.bottom + window.scrollY + 4}px`;
  popover.style.left = `${Math.max(8, Math.min(box.left, window.innerWidth - 360))}px`;
  popover.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    event.preventDefault();
    popover.remove();
    anchor.focus();
  });
  anchor.setAttribute("aria-expanded", "true");
  const observer = new MutationObserver(() => {
    if (popover.isConnected) return;
    anchor.setAttribute("aria-expanded", "false");
    observer.disconnect();
  });
  observer.observe(document.body, { childList: true });
  document.body.appendChild(popover);
  const outside = (event) => {
    if (!popover.isConnected) return document.removeEventListener("mousedown", outside);
    if (!popover.contains(event.target) && !anchor.contains(event.target)) {
      popover.remove();
      document.removeEventListener("mousedown", outside);
    }
  };
  document.addEventListener("mousedown", outside);
  onCleanup(() => popover.remove());
}
