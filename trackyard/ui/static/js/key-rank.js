// Which metric and param keys matter most across a set of runs, for default table columns,
// compare charts and parallel coordinates alike: the keys most runs have first, losses before
// other metrics, validation before training, and system/* metrics (logged by some runs
// only, and read as a separate concern) last; names break ties.

const EVALUATION = /^(val|valid|validation|eval|test)([/_.-]|$)/i;

const isSystem = (key) => key.startsWith("system/");

/** `keys` (any iterable) in order of importance; `counts` maps a key to how many runs have it. */
export function rankKeys(keys, counts) {
  const facts = (key) => [
    isSystem(key) ? 1 : 0,
    -(counts.get(key) || 0),
    /loss/i.test(key) ? 0 : 1,
    EVALUATION.test(key) ? 0 : 1,
  ];
  return [...keys].sort((a, b) => {
    const fa = facts(a);
    const fb = facts(b);
    for (let i = 0; i < fa.length; i++) if (fa[i] !== fb[i]) return fa[i] - fb[i];
    return a.localeCompare(b);
  });
}

/** How many of `items` have each key of their `field` object (metrics, params...). */
export function countKeys(items, field) {
  const counts = new Map();
  for (const item of items) for (const key in item[field]) counts.set(key, (counts.get(key) || 0) + 1);
  return counts;
}
