// parsers.js: the CSV and small-YAML readers behind artifact previews.

import assert from "node:assert/strict";
import { test } from "node:test";

import { parseCsv, parseYaml } from "../../trackyard/ui/static/js/parsers.js";

test("parseCsv splits lines and fields", () => {
  assert.deepEqual(parseCsv("a,b\n1,2\n"), {
    rows: [
      ["a", "b"],
      ["1", "2"],
    ],
    truncated: false,
  });
});

test("parseCsv keeps a last line without a newline", () => {
  assert.deepEqual(parseCsv("a,b\n1,2").rows, [
    ["a", "b"],
    ["1", "2"],
  ]);
});

test("parseCsv keeps empty fields", () => {
  assert.deepEqual(parseCsv(",x,\n").rows, [["", "x", ""]]);
});

test("parseCsv reads a quoted field with the delimiter, a newline and doubled quotes", () => {
  assert.deepEqual(parseCsv('"a,b","line\nbreak","say ""hi"""\n').rows, [["a,b", "line\nbreak", 'say "hi"']]);
});

test("parseCsv treats a quote inside an unquoted field as text", () => {
  assert.deepEqual(parseCsv('5" screen,x\n').rows, [['5" screen', "x"]]);
});

test("parseCsv reads CRLF and lone CR line ends", () => {
  assert.deepEqual(parseCsv("a\r\nb\rc").rows, [["a"], ["b"], ["c"]]);
});

test("parseCsv takes another delimiter (TSV)", () => {
  assert.deepEqual(parseCsv("a\tb,c\n", { delimiter: "\t" }).rows, [["a", "b,c"]]);
});

test("parseCsv stops after maxRows and says the table is truncated", () => {
  const { rows, truncated } = parseCsv("1\n2\n3\n4\n", { maxRows: 2 });
  assert.deepEqual(rows, [["1"], ["2"]]);
  assert.equal(truncated, true);
});

test("parseCsv drops the cut last line of a partial text", () => {
  const { rows, truncated } = parseCsv("a,b\n1,2\n3,", { partial: true });
  assert.deepEqual(rows, [
    ["a", "b"],
    ["1", "2"],
  ]);
  assert.equal(truncated, true);
});

test("parseYaml reads an MLmodel file: nested mappings and a list of mappings", () => {
  const text = [
    "artifact_path: model",
    "flavors:",
    "  python_function:",
    "    env:",
    "      conda: conda.yaml",
    "    python_version: 3.11.4",
    "  sklearn:",
    "    pickled_model: model.pkl",
    "    serialization_format: cloudpickle",
    "signature:",
    '  inputs: \'[{"type": "double"}]\'',
    "model_uuid: 8a2b",
    "resources:",
    "  - name: a",
    "    size: 3",
    "  - name: b",
  ].join("\n");
  assert.deepEqual(parseYaml(text), {
    artifact_path: "model",
    flavors: {
      python_function: { env: { conda: "conda.yaml" }, python_version: "3.11.4" },
      sklearn: { pickled_model: "model.pkl", serialization_format: "cloudpickle" },
    },
    signature: { inputs: '[{"type": "double"}]' },
    model_uuid: "8a2b",
    resources: [{ name: "a", size: 3 }, { name: "b" }],
  });
});

test("parseYaml types plain scalars: numbers, booleans, null", () => {
  assert.deepEqual(parseYaml("a: 1\nb: -2.5e3\nc: true\nd: False\ne: null\nf: ~\ng: text"), {
    a: 1,
    b: -2500,
    c: true,
    d: false,
    e: null,
    f: null,
    g: "text",
  });
});

test("parseYaml keeps quoted scalars as strings and unescapes them", () => {
  assert.deepEqual(parseYaml(`a: '1'\nb: "x\\ny"\nc: 'it''s'`), { a: "1", b: "x\ny", c: "it's" });
});

test("parseYaml reads flow values as JSON", () => {
  assert.deepEqual(parseYaml('a: [1, 2]\nb: {"k": "v"}'), { a: [1, 2], b: { k: "v" } });
});

test("parseYaml reads a list of scalars, at the top and under a key", () => {
  assert.deepEqual(parseYaml("- a\n- 2"), ["a", 2]);
  assert.deepEqual(parseYaml("deps:\n- python=3.11\n- pip"), { deps: ["python=3.11", "pip"] });
});

test("parseYaml joins literal (|) and folded (>) block scalars", () => {
  assert.deepEqual(parseYaml("a: |\n  one\n  two\nb: >\n  three\n  four"), { a: "one\ntwo", b: "three four" });
});

test("parseYaml strips comments but keeps '#' inside quotes", () => {
  assert.deepEqual(parseYaml("# head\na: 1 # one\nb: 'x # y'"), { a: 1, b: "x # y" });
});

test("parseYaml reads CRLF text and skips a document marker", () => {
  assert.deepEqual(parseYaml("---\r\na: 1\r\nb: 2\r\n"), { a: 1, b: 2 });
});

test("parseYaml gives null for an empty text and for a key without a value", () => {
  assert.equal(parseYaml(""), null);
  assert.deepEqual(parseYaml("a:\nb: 1"), { a: null, b: 1 });
});

test("parseYaml throws on what it does not read, so callers show the raw text", () => {
  assert.throws(() => parseYaml("just words"), /not a mapping line/);
  assert.throws(() => parseYaml("a: 1\n    b: 2"), /bad indentation/);
});
