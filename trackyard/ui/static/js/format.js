// Formatting of values the API returns: epoch-ms times, durations, metric numbers, sizes.

/** Metric values arrive as numbers, or as "NaN" / "Infinity" / "-Infinity" strings. */
export function toNumber(value) {
  if (typeof value === "number") return value;
  if (value === undefined || value === null || value === "") return NaN;
  return Number(value);
}

const pad = (n) => String(n).padStart(2, "0");

export function formatTime(ms) {
  if (ms === undefined || ms === null || ms === "") return "";
  const d = new Date(Number(ms));
  if (Number.isNaN(d.getTime())) return "";
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

export function formatRelative(ms) {
  if (!ms) return "";
  const seconds = (Date.now() - Number(ms)) / 1000;
  if (seconds < 0) return formatTime(ms);
  if (seconds < 60) return "just now";
  const units = [
    ["minute", 60],
    ["hour", 3600],
    ["day", 86400],
    ["month", 2592000],
    ["year", 31536000],
  ];
  let chosen = units[0];
  for (const unit of units) if (seconds >= unit[1]) chosen = unit;
  const count = Math.floor(seconds / chosen[1]);
  return `${count} ${chosen[0]}${count === 1 ? "" : "s"} ago`;
}

export function formatDuration(ms) {
  if (ms === undefined || ms === null || Number.isNaN(ms) || ms < 0) return "";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${Math.round(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.round((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.round((s % 86400) / 3600)}h`;
}

/** Run duration: end - start, or "running for" now - start while it runs. */
export function runDuration(info) {
  if (!info.start_time) return "";
  const end = info.end_time ? Number(info.end_time) : info.status === "RUNNING" ? Date.now() : null;
  return end === null ? "" : formatDuration(end - Number(info.start_time));
}

/** Numbers with up to 6 significant digits; exact integers as they are. */
export function formatNumber(value) {
  const n = toNumber(value);
  if (Number.isNaN(n)) return typeof value === "string" && value !== "NaN" ? value : "NaN";
  if (n === Infinity) return "∞";
  if (n === -Infinity) return "-∞";
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return String(n);
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e9)) return n.toExponential(4);
  return String(Number(n.toPrecision(6)));
}

export function formatBytes(bytes) {
  if (bytes === undefined || bytes === null || bytes === "") return "";
  const n = Number(bytes);
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = n;
  let unit = -1;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** Tags arrive as [{key, value}]; most views want a plain object. */
export function toMap(items) {
  const map = Object.create(null);
  for (const item of items || []) map[item.key] = item.value;
  return map;
}

export function plural(count, word) {
  return `${count.toLocaleString()} ${word}${count === 1 ? "" : "s"}`;
}

/**
 * Labels for ticks of elapsed seconds, all in the one form the span calls for: "0s, 20s,
 * 40s" under two minutes, "0:00, 1:40, 3:20" (m:ss) under two hours, "1:00, 1:30" (h:mm)
 * under two days, then days; never "0ms" beside "1m 40s".
 */
export function elapsedTicks(splits) {
  const finite = splits.filter((s) => s !== null && s !== undefined);
  const span = Math.max(0, ...finite.map(Math.abs));
  const clock = (big, small) => `${Math.floor(big)}:${pad(Math.round(small))}`;
  const label = (s) => {
    if (span < 120) return `${Number(s.toPrecision(4))}s`;
    if (span < 7200) return clock(s / 60, s % 60);
    if (span < 2 * 86400) return clock(s / 3600, (s % 3600) / 60);
    return `${Number((s / 86400).toPrecision(3))}d`;
  };
  return splits.map((s) => (s === null || s === undefined ? "" : label(s)));
}
