// Mutated manifests: a seed manifest (the repository's tpu.config.json, the test fixtures) changed
// the way a careless user or an attacker would: keys deleted, duplicated, misspelt or unknown, wrong
// JSON types anywhere, huge/negative/fractional numbers, very long strings, deep nesting, many
// entries, long `from` chains, hostile paths and target settings, then sometimes truncated or
// byte-flipped text. Each case says which mutations made it (for the failure report).

import type { Prng } from "./prng.js";

/** JSON text written verbatim (numbers JavaScript cannot hold: 1e400, 2^64). */
class RawJson {
  constructor(readonly text: string) {}
}

type Json = null | boolean | number | string | RawJson | Json[] | { [key: string]: Json };

/** Objects that get one of their keys written twice. */
type Duplicates = Map<object, string>;

interface Node {
  /** The container and the key or index under which the node sits (none for the root). */
  parent?: Json[] | { [key: string]: Json };
  key?: string | number;
  value: Json;
}

function nodes(root: Json): Node[] {
  const out: Node[] = [];
  const stack: Node[] = [{ value: root }];
  while (stack.length) {
    const n = stack.pop()!;
    out.push(n);
    const v = n.value;
    if (Array.isArray(v)) v.forEach((x, i) => stack.push({ parent: v, key: i, value: x }));
    else if (v !== null && typeof v === "object" && !(v instanceof RawJson)) for (const [k, x] of Object.entries(v)) stack.push({ parent: v, key: k, value: x });
  }
  return out;
}

const isObject = (v: Json): v is { [key: string]: Json } => v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof RawJson);

function replace(n: Node, value: Json): void {
  if (!n.parent || n.key === undefined) return;
  (n.parent as Record<string | number, Json>)[n.key] = value;
}

function serialize(v: Json, duplicates: Duplicates, indent: string | undefined, depth = 0): string {
  // Iterative over deep values would be nicer; the generator's own nesting is bounded (≤ 60,000
  // levels are produced as text directly by `deep`), so plain recursion is fine here.
  const nl = indent === undefined ? "" : "\n" + indent.repeat(depth + 1);
  const end = indent === undefined ? "" : "\n" + indent.repeat(depth);
  const sep = indent === undefined ? ":" : ": ";
  if (v instanceof RawJson) return v.text;
  if (Array.isArray(v)) return v.length === 0 ? "[]" : `[${v.map((x) => nl + serialize(x, duplicates, indent, depth + 1)).join(",")}${end}]`;
  if (isObject(v)) {
    const members = Object.entries(v).map(([k, x]) => `${nl}${JSON.stringify(k)}${sep}${serialize(x, duplicates, indent, depth + 1)}`);
    const dup = duplicates.get(v);
    if (dup !== undefined && dup in v) members.push(`${nl}${JSON.stringify(dup)}${sep}${serialize(v[dup]!, duplicates, indent, depth + 1)}`);
    return members.length === 0 ? "{}" : `{${members.join(",")}${end}}`;
  }
  return JSON.stringify(v);
}

/** An array or object nested `depth` levels, as text (too deep for any recursive serializer). */
function deep(depth: number, kind: "array" | "object"): RawJson {
  return kind === "array" ? new RawJson("[".repeat(depth) + "]".repeat(depth)) : new RawJson('{"a":'.repeat(depth) + "1" + "}".repeat(depth));
}

const OTHER_VALUES: Json[] = [null, true, false, 0, -1, 1.5, "", "text", [], {}, [1, 2], { a: 1 }, "Float32", "local"];
const NUMBERS: Json[] = [0, -1, -0.5, 0.5, 1.5, 65, 1e9, 1e15, 2 ** 53 + 2, 1e308, 5e-324, new RawJson("1e400"), new RawJson("18446744073709551616"), new RawJson("-9223372036854775809"), new RawJson("1" + "0".repeat(400))];
const PATHS = ["/proc/self/environ", "/etc/passwd", "../../../../etc/passwd", "/dev/zero", "examples", ".", "fifo.jl", "fifo.npy", "nope.jl", "examples/data/x.npy", "examples/mlp.jl", "escape.jl", "a".repeat(5000), "dir/../../outside.jl"];
const SETTINGS: Record<string, Json[]> = {
  cpuDevices: [1e9, -1, 0, 1.5, "8", 2, 100000, null],
  device: [-1, 1e9, 0.5, "0", 7],
  xlaFlags: ["--xla_dump_to=/tmp/tpu-build-fuzz-dump", "--xla_dump_to=../outside", "--xla_dump_to=dump", "-x", 42, "--xla_backend_optimization_level=0", "--xla_dump_to", " ".repeat(3)],
  transport: ["tcp", "udp", 1, ""],
  cacheDir: ["/etc", "../..", 5, "", "cache"],
  float64: ["float32", "Float32", "error", 64, null],
  matmulPrecision: ["highest", "max", "HIGH", 2, ""],
  platform: ["tpu", "cpu", "ipu", 1],
  devices: [2],
  cpuDevicez: [2],
};
const KEY_NAMES = ["entries", "file", "function", "args", "run", "target", "targets", "eltype", "size", "value", "npy", "random", "seed", "fill", "from", "const", "out", "watch", "expect", "rtol", "atol", "finite", "shape", "$schema", "zz", "__proto__", "constructor"];

function misspell(key: string, rng: Prng): string {
  if (key.length < 2) return key + "x";
  const i = rng.int(key.length - 1);
  switch (rng.int(4)) {
    case 0: return key.slice(0, i) + key[i + 1] + key[i] + key.slice(i + 2);
    case 1: return key.slice(0, i) + key.slice(i + 1);
    case 2: return key.toUpperCase();
    default: return key.slice(0, i) + "_" + key.slice(i);
  }
}

type Mutation = (root: Json, rng: Prng, duplicates: Duplicates) => string | undefined;

/** Each mutation changes the tree in place and returns its description (undefined: nothing to do). */
const MUTATIONS: Record<string, Mutation> = {
  deleteKey(root, rng) {
    const objects = nodes(root).filter((n) => isObject(n.value) && Object.keys(n.value).length > 0);
    if (!objects.length) return undefined;
    const o = rng.pick(objects).value as { [key: string]: Json };
    const k = rng.pick(Object.keys(o));
    delete o[k];
    return `delete key ${JSON.stringify(k)}`;
  },
  duplicateKey(root, rng, duplicates) {
    const objects = nodes(root).filter((n) => isObject(n.value) && Object.keys(n.value).length > 0);
    if (!objects.length) return undefined;
    const o = rng.pick(objects).value as { [key: string]: Json };
    const k = rng.pick(Object.keys(o));
    duplicates.set(o, k);
    return `duplicate key ${JSON.stringify(k)}`;
  },
  wrongType(root, rng) {
    const n = rng.pick(nodes(root).filter((x) => x.parent));
    const v = rng.pick(OTHER_VALUES.filter((x) => typeof x !== typeof n.value || Array.isArray(x) !== Array.isArray(n.value)));
    replace(n, structuredClone(v));
    return `${String(n.key)} := ${JSON.stringify(v)}`;
  },
  number(root, rng) {
    const numbers = nodes(root).filter((x) => x.parent && typeof x.value === "number");
    const n = rng.pick(numbers.length && rng.chance(0.8) ? numbers : nodes(root).filter((x) => x.parent));
    const v = rng.pick(NUMBERS);
    replace(n, v);
    return `${String(n.key)} := ${v instanceof RawJson ? v.text.slice(0, 40) : String(v)}`;
  },
  longString(root, rng) {
    const strings = nodes(root).filter((x) => x.parent && typeof x.value === "string");
    if (!strings.length) return undefined;
    const n = rng.pick(strings);
    const length = rng.pick([1000, 100_000, 2_000_000]);
    replace(n, rng.chance(0.5) ? "x".repeat(length) : "a/".repeat(length / 2));
    return `${String(n.key)} := a string of ${length} characters`;
  },
  deepNesting(root, rng) {
    const n = rng.pick(nodes(root).filter((x) => x.parent));
    const depth = rng.pick([10, 100, 127, 129, 1000, 60_000]);
    replace(n, deep(depth, rng.chance(0.5) ? "array" : "object"));
    return `${String(n.key)} := nested ${depth} deep`;
  },
  unknownKey(root, rng) {
    const objects = nodes(root).filter((n) => isObject(n.value));
    const o = rng.pick(objects).value as { [key: string]: Json };
    const k = rng.chance(0.5) ? rng.pick(KEY_NAMES) : `k${rng.int(1000)}`;
    Object.defineProperty(o, k, { value: rng.pick(OTHER_VALUES), enumerable: true, writable: true, configurable: true });
    return `add key ${JSON.stringify(k)}`;
  },
  manyUnknownKeys(root, rng) {
    const objects = nodes(root).filter((n) => isObject(n.value));
    const o = rng.pick(objects).value as { [key: string]: Json };
    const count = rng.pick([100, 5000, 50_000]);
    for (let i = 0; i < count; i++) o[`unknown${i}`] = i;
    return `add ${count} unknown keys`;
  },
  misspeltKey(root, rng) {
    const objects = nodes(root).filter((n) => isObject(n.value) && Object.keys(n.value).length > 0);
    if (!objects.length) return undefined;
    const o = rng.pick(objects).value as { [key: string]: Json };
    const k = rng.pick(Object.keys(o));
    const m = misspell(k, rng);
    const v = o[k]!;
    delete o[k];
    o[m] = v;
    return `rename key ${JSON.stringify(k)} to ${JSON.stringify(m)}`;
  },
  manyEntries(root, rng) {
    if (!isObject(root) || !isObject(root.entries ?? null)) return undefined;
    const entries = root.entries as { [key: string]: Json };
    const names = Object.keys(entries);
    if (!names.length) return undefined;
    const count = rng.pick([100, 1000, 5000]);
    for (let i = 0; i < count; i++) entries[`copy${i}`] = structuredClone(entries[rng.pick(names)]!);
    return `copy entries ${count} times`;
  },
  longFromChain(root, rng) {
    if (!isObject(root) || !isObject(root.entries ?? null)) return undefined;
    const entries = root.entries as { [key: string]: Json };
    const names = Object.keys(entries);
    if (!names.length) return undefined;
    const first = entries[rng.pick(names)];
    if (!isObject(first ?? null)) return undefined;
    const count = rng.pick([100, 2000, 20_001]);
    let previous = rng.pick(names);
    for (let i = 0; i < count; i++) {
      entries[`chain${i}`] = { file: (first as { file?: Json }).file ?? "x.jl", function: "f", args: [{ from: previous }], run: rng.chance(0.5) };
      previous = `chain${i}`;
    }
    if (rng.chance(0.3)) (entries[`chain0`] as { args: Json[] }).args.push({ from: previous }); // a cycle
    return `a from chain of ${count} entries`;
  },
  hostilePath(root, rng) {
    const paths = nodes(root).filter((n) => n.parent && (n.key === "file" || n.key === "npy" || n.key === "out") && typeof n.value === "string");
    if (!paths.length) return undefined;
    const n = rng.pick(paths);
    const v = rng.pick(PATHS);
    replace(n, v);
    return `${String(n.key)} := ${JSON.stringify(v.slice(0, 40))}`;
  },
  targetSettings(root, rng) {
    if (!isObject(root)) return undefined;
    const settings: { [key: string]: Json } = {};
    for (const key of Object.keys(SETTINGS)) if (rng.chance(0.3)) settings[key] = rng.pick(SETTINGS[key]!);
    const where = rng.chance(0.7) ? "targets" : "watch";
    if (where === "targets") root.targets = { [rng.pick(["local", "local", "lokal", "tpu"])]: rng.chance(0.9) ? settings : rng.pick(OTHER_VALUES) };
    else root.watch = { targets: { local: settings } };
    return `${where} settings ${JSON.stringify(settings).slice(0, 120)}`;
  },
  sharding(root, rng) {
    // An array argument split over a (maybe missing, maybe odd) mesh: unknown, repeated and
    // non-dividing axes, wrong ranks, shards on scalars, mesh sizes out of range.
    const args = nodes(root).filter((n) => isObject(n.value) && "eltype" in n.value);
    if (!args.length) return undefined;
    const arg = rng.pick(args).value as { [key: string]: Json };
    const shard: Json = rng.pick<Json>([[null, "data"], ["data"], ["data", "data"], ["model", null], [], "data", [1], [null, null, null, "data"]]);
    arg.shard = shard;
    const entries = nodes(root).filter((n) => isObject(n.value) && "function" in n.value);
    const mesh: Json = rng.pick<Json>([{ data: 2 }, { data: 3 }, { data: 0 }, { data: 1e9 }, { data: 2, model: 2 }, {}, { "bad name": 2 }, [2], { data: "2" }]);
    if (entries.length && rng.chance(0.8)) (rng.pick(entries).value as { [key: string]: Json }).run = { target: "local", mesh };
    return `shard := ${JSON.stringify(shard)}, mesh := ${JSON.stringify(mesh)}`;
  },
  layers(root, rng) {
    if (!isObject(root)) return undefined;
    // extends: missing, not a regular file, the manifest itself (a cycle), wrong types; cache.maxSize.
    if (rng.chance(0.6)) root.extends = rng.pick<Json>(["missing.json", "/dev/zero", "/proc/self/environ", "./tpu.config.json", ".", "", 5, null, ["a.json"]]);
    if (rng.chance(0.5)) root.cache = { maxSize: rng.pick<Json>(["2GB", "lots", "-1MB", "1e3", 1.5, -1, 2 ** 60, "9".repeat(400), true]) };
    if (rng.chance(0.5)) root.profiles = rng.pick<Json>([{ ci: { targets: { local: { cpuDevices: 0 } } } }, { ci: { entries: {} } }, { ci: 5 }, [], { "": {} }]);
    return `extends ${JSON.stringify(root.extends ?? null).slice(0, 40)}, cache ${JSON.stringify(root.cache ?? null).slice(0, 60)}, profiles ${JSON.stringify(root.profiles ?? null).slice(0, 60)}`;
  },
  expectations(root, rng) {
    const entries = nodes(root).filter((n) => isObject(n.value) && "function" in (n.value as object));
    if (!entries.length) return undefined;
    const entry = rng.pick(entries).value as { [key: string]: Json };
    const leaf = rng.pick<Json>([{ npy: rng.pick(PATHS) }, { npy: "examples/data/x.npy", rtol: rng.pick(NUMBERS), atol: rng.pick(NUMBERS) }, { finite: rng.pick(OTHER_VALUES) }, { shape: rng.pick<Json>([[-1], [1e9, 1e9], "4", []]) }, { rtol: 0.1 }, {}, rng.pick(OTHER_VALUES)]);
    entry.expect = rng.chance(0.8) ? { [rng.pick(["result", "0", "result.loss", "", "a".repeat(3000)])]: leaf } : rng.pick(OTHER_VALUES);
    return `expect ${JSON.stringify(entry.expect).slice(0, 120)}`;
  },
  size(root, rng) {
    const sizes = nodes(root).filter((n) => n.key === "size" && Array.isArray(n.value));
    if (!sizes.length) return undefined;
    const n = rng.pick(sizes);
    const v: Json = rng.pick<Json>([
      Array.from({ length: rng.pick([65, 1000, 100_000]) }, () => 1),
      [100000, 100000, 100000],
      [1e6, 1e6, 1e6],
      [-1, 2],
      [1.5, 2],
      [2 ** 31, 2],
      [new RawJson("1e400")],
      [],
    ]);
    replace(n, v);
    return `size := ${JSON.stringify(v).slice(0, 60)}`;
  },
};

const TEXT_MUTATIONS: Record<string, (text: string, rng: Prng) => { text: string; what: string }> = {
  truncate: (text, rng) => {
    const at = rng.int(text.length);
    return { text: text.slice(0, at), what: `truncate at ${at}` };
  },
  byteFlip: (text, rng) => {
    const chars = [...text.slice(0, 200_000)];
    const count = rng.between(1, 4);
    for (let k = 0; k < count; k++) chars[rng.int(chars.length)] = String.fromCharCode(rng.int(256));
    return { text: chars.join("") + text.slice(200_000), what: `flip ${count} characters` };
  },
};

export interface MutatedManifest {
  text: string;
  mutations: string[];
}

/**
 * Generated manifests stay under this size: copies of an entry holding a 2 MB string would not fit
 * a JavaScript string, and loading is linear but not free (a 40 MB manifest of 2.5 million unknown
 * keys takes ~20 s), which a per-case deadline on a loaded machine would count as a hang.
 */
const MAX_TEXT = 16 * 1024 * 1024;

/** One mutated manifest from a seed manifest's text. */
export function mutateManifest(seed: string, rng: Prng): MutatedManifest {
  for (;;) {
    const root = JSON.parse(seed) as Json;
    const duplicates: Duplicates = new Map();
    const mutations: string[] = [];
    const names = Object.keys(MUTATIONS);
    const count = rng.between(1, 3);
    for (let k = 0; k < count; k++) {
      const name = rng.pick(names);
      const what = MUTATIONS[name]!(root, rng, duplicates);
      if (what !== undefined) mutations.push(`${name}: ${what}`);
    }
    let text: string;
    try {
      text = serialize(root, duplicates, rng.chance(0.5) ? "  " : undefined);
    } catch (e) {
      if (e instanceof RangeError) continue; // too large: draw other mutations (the stream goes on, so this stays reproducible)
      throw e;
    }
    if (text.length > MAX_TEXT) continue;
    if (rng.chance(0.2)) {
      const name = rng.pick(Object.keys(TEXT_MUTATIONS));
      const r = TEXT_MUTATIONS[name]!(text, rng);
      text = r.text;
      mutations.push(`${name}: ${r.what}`);
    }
    return { text, mutations };
  }
}
