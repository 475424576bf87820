// Series colours, shared by every chart and the runs page's swatches.

/** Distinct on light and dark backgrounds, as #rrggbb (what <input type=color> takes). */
export const PALETTE = [
  "#3b82f6",
  "#ef4444",
  "#10b981",
  "#f59e0b",
  "#8b5cf6",
  "#ec4899",
  "#14b8a6",
  "#f97316",
  "#6366f1",
  "#84cc16",
  "#06b6d4",
  "#e11d48",
  "#a855f7",
  "#22c55e",
  "#eab308",
  "#0ea5e9",
  "#d946ef",
  "#65a30d",
  "#dc2626",
  "#0d9488",
];

/** A colour for the i-th series: the palette, then golden-angle hues, stable per index. */
export function colorFor(index) {
  if (index < PALETTE.length) return PALETTE[index];
  const hue = (index * 137.508) % 360;
  return `hsl(${hue.toFixed(0)} 70% 55%)`;
}
