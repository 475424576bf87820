// Images logged per step (`mlflow.log_image(image, key=..., step=...)`). MLflow 3's client
// stores each one under the run's images/ folder as
// `<key>+step+<step>+timestamp+<ms>+<uuid>.png`, with a smaller `...+compressed.webp` beside
// it; a "/" in the key is written "~", and older clients used "%" where "+" is. Pure: file
// listings in, series out, unit-tested in Node.

export const IMAGES_DIR = "images";
export const LOGGED_IMAGES_TAG = "mlflow.loggedImages";

const NAME = /^(.+?)([+%])step\2(\d+)\2timestamp\2(\d+)\2([^+%]+?)(\2compressed)?\.([A-Za-z0-9]+)$/;

/** The `step` query parameter: a whole number, else null (show the last step). */
export function parseStep(raw) {
  return /^\d{1,15}$/.test(raw || "") ? Number(raw) : null;
}

/** A logged image's parts from its artifact path, or null for any other file. */
export function parseImageName(path) {
  const match = NAME.exec(String(path).split("/").pop());
  if (!match) return null;
  const [, key, , step, timestamp, id, compressed] = match;
  return {
    key: key.replaceAll("~", "/"),
    step: Number(step),
    timestamp: Number(timestamp),
    id,
    compressed: Boolean(compressed),
  };
}

/**
 * A run's images/ listing as series: Map key -> [{step, timestamp, path, thumbnail}] by
 * step. The thumbnail is the compressed copy (the full image when there is none); at a step
 * logged more than once, the latest image wins. Keys in name order.
 */
export function imageSeries(files) {
  const images = new Map(); // key, step, timestamp and id -> the image and its thumbnail
  for (const file of files) {
    if (file.is_dir) continue;
    const parsed = parseImageName(file.path);
    if (!parsed) continue;
    const stem = [parsed.key, parsed.step, parsed.timestamp, parsed.id].join("\u0000");
    const image = images.get(stem) || { key: parsed.key, step: parsed.step, timestamp: parsed.timestamp };
    image[parsed.compressed ? "thumbnail" : "path"] = file.path;
    images.set(stem, image);
  }
  const latest = new Map(); // key -> step -> image
  for (const image of images.values()) {
    if (!image.path) continue; // a thumbnail without its image
    if (!latest.has(image.key)) latest.set(image.key, new Map());
    const steps = latest.get(image.key);
    const before = steps.get(image.step);
    if (!before || before.timestamp <= image.timestamp) steps.set(image.step, image);
  }
  const keys = [...latest.keys()].sort();
  return new Map(
    keys.map((key) => [
      key,
      [...latest.get(key).values()]
        .sort((a, b) => a.step - b.step)
        .map(({ step, timestamp, path, thumbnail }) => ({ step, timestamp, path, thumbnail: thumbnail || path })),
    ]),
  );
}

/** Every step any of the series has an image at, ascending: the shared slider's stops. */
export function unionSteps(seriesList) {
  const steps = new Set();
  for (const series of seriesList) for (const image of series) steps.add(image.step);
  return [...steps].sort((a, b) => a - b);
}

/** The series' image at `step`, or else the last one before it (null before its first). */
export function imageAt(series, step) {
  let found = null;
  for (const image of series) {
    if (image.step > step) break;
    found = image;
  }
  return found;
}
