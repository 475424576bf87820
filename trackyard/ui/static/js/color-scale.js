// A continuous colour scale for colouring plot lines by a value (parallel coordinates'
// "Colour by"). One scale per theme, each ordered by lightness and keeping every colour at
// 3:1 or more against the theme's panel, so the lowest and highest values both stay visible.

/** Light theme: dark blue through purple and magenta to coral (plasma's darker part). */
const LIGHT = ["#0d0887", "#5b02a3", "#9a179b", "#cb4679", "#e16462"];
/** Dark theme: blue-green through green to yellow (viridis' lighter part). */
const DARK = ["#2a788e", "#21918c", "#22a884", "#5ec962", "#bddf26", "#fde725"];

/** The scale's stops for a theme, low to high. */
export function scaleStops(dark) {
  return dark ? DARK : LIGHT;
}

const channels = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));

/** The colour at `t` (0 = lowest, 1 = highest; clamped) as #rrggbb, between the two nearest stops. */
export function scaleColor(t, dark = false) {
  const stops = scaleStops(dark);
  const at = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(at));
  const low = channels(stops[i]);
  const high = channels(stops[i + 1]);
  const mix = low.map((c, k) => Math.round(c + (high[k] - c) * (at - i)));
  return `#${mix.map((c) => c.toString(16).padStart(2, "0")).join("")}`;
}

/** The scale as a CSS gradient, left (low) to right (high), for its colour bar. */
export function scaleGradient(dark = false) {
  return `linear-gradient(to right, ${scaleStops(dark).join(", ")})`;
}

/**
 * Whether values spread over three or more powers of ten, all positive (learning rates):
 * on a linear scale all but the largest would share one colour, so they are coloured by log10.
 */
export function wantsLogScale(values) {
  const numbers = values.filter((v) => v !== undefined && v !== null && v !== "").map(Number);
  if (!numbers.length || !numbers.every((n) => Number.isFinite(n) && n > 0)) return false;
  return Math.max(...numbers) / Math.min(...numbers) >= 1000;
}
