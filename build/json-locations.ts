// A strict JSON parser (RFC 8259) that also records where every value and every object key sits in
// the text, by JSON pointer (RFC 6901), so manifest errors can point at a line and column.
// JSON.parse gives no locations, and its error messages differ between engines.
//
// Offsets are UTF-16 code unit indices into the text, like compiler/diagnostics.ts spans.

/** Where one value sits: its text range and, for an object member, the range of its key (quotes included). */
export interface JsonLocation {
  /** Start and end (exclusive) of the value. */
  start: number;
  end: number;
  /** The member's key, when the value is an object member. */
  key?: { start: number; end: number };
  /** A number's exact text (`1` and `1.0` parse to the same value but mean Int64 and Float64 in Julia). */
  raw?: string;
}

export interface JsonDuplicateKey {
  /** Pointer of the member that appears more than once. */
  pointer: string;
  /** The later occurrence's key range (the value of the later one wins, as with JSON.parse). */
  key: { start: number; end: number };
  /** The first occurrence's key range. */
  first: { start: number; end: number };
}

export interface JsonDocument {
  value: unknown;
  /** Every value's location by JSON pointer; "" is the root. */
  locations: Map<string, JsonLocation>;
  duplicateKeys: JsonDuplicateKey[];
}

export interface JsonSyntaxError {
  message: string;
  offset: number;
}

export type JsonParseResult = { ok: true; document: JsonDocument } | { ok: false; error: JsonSyntaxError };

/** Escapes one reference token of a JSON pointer (`~` → `~0`, `/` → `~1`). */
export function escapePointerToken(token: string | number): string {
  return String(token).replace(/~/g, "~0").replace(/\//g, "~1");
}

/** The JSON pointer of a path: ["entries", "mlp", "args", 0] → "/entries/mlp/args/0". */
export function jsonPointer(path: readonly (string | number)[]): string {
  return path.map((t) => "/" + escapePointerToken(t)).join("");
}

/** The reference tokens of a JSON pointer: "/entries/a~1b" → ["entries", "a/b"]. */
export function pointerTokens(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** A JSON number at `lastIndex` (sticky: no copy of the rest of the text per number). */
const NUMBER = /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;

class JsonSyntax extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

/**
 * Parses `text` as strict JSON (a leading byte-order mark is allowed) and records locations.
 * Longer than our usual function on purpose: a recursive-descent parser whose small inner functions
 * (value, object, array, string, number) share one cursor and the location tables by closure.
 */
export function parseJsonWithLocations(text: string, options: { maxDepth?: number } = {}): JsonParseResult {
  const maxDepth = options.maxDepth ?? Infinity;
  let depth = 0;
  const nest = (): void => {
    if (++depth > maxDepth) throw new JsonSyntax(`arrays and objects nested deeper than ${maxDepth}`, i);
  };
  const locations = new Map<string, JsonLocation>();
  const duplicateKeys: JsonDuplicateKey[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;

  const describe = (at: number): string => {
    if (at >= text.length) return "end of file";
    const c = text[at]!;
    if (c === "\n" || c === "\r") return "end of line";
    return `'${c}'`;
  };

  const skipSpace = (): void => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else if (c === 0x2f && (text[i + 1] === "/" || text[i + 1] === "*")) throw new JsonSyntax("comments are not allowed in JSON", i);
      else return;
    }
  };

  const parseString = (): string => {
    const start = i;
    i++; // opening quote
    let out = "";
    for (;;) {
      if (i >= text.length) throw new JsonSyntax("unterminated string", start);
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return out;
      }
      if (c === 0x0a || c === 0x0d) throw new JsonSyntax("unterminated string (a line break must be written \\n)", start);
      if (c < 0x20) throw new JsonSyntax("control character in string (escape it)", i);
      if (c === 0x5c) {
        const e = text[i + 1];
        const simple: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
        if (e !== undefined && e in simple) {
          out += simple[e];
          i += 2;
        } else if (e === "u") {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new JsonSyntax("invalid \\u escape (expected 4 hex digits)", i);
          out += String.fromCharCode(parseInt(hex, 16));
          i += 6;
        } else {
          throw new JsonSyntax(`invalid escape '\\${e ?? ""}' in string`, i);
        }
        continue;
      }
      // A run of plain characters at once (character by character, a long string costs a copy per character).
      let j = i + 1;
      for (let d = text.charCodeAt(j); j < text.length && d !== 0x22 && d !== 0x5c && d >= 0x20; d = text.charCodeAt(++j));
      out += text.slice(i, j);
      i = j;
    }
  };

  const parseNumber = (): { value: number; raw: string } => {
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m || m[0] === "-") throw new JsonSyntax("invalid number", i);
    const after = text[i + m[0].length];
    if (after !== undefined && /[0-9.eExX]/.test(after)) throw new JsonSyntax("invalid number (JSON has no leading zeros, hex or trailing '.')", i);
    i += m[0].length;
    return { value: Number(m[0]), raw: m[0] };
  };

  const parseValue = (path: string, key?: { start: number; end: number }): unknown => {
    skipSpace();
    const start = i;
    const c = text[i];
    let value: unknown;
    let raw: string | undefined;
    if (c === "{") (nest(), (value = parseObject(path)), depth--);
    else if (c === "[") (nest(), (value = parseArray(path)), depth--);
    else if (c === '"') value = parseString();
    else if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) ({ value, raw } = parseNumber());
    else if (text.startsWith("true", i)) (value = true), (i += 4);
    else if (text.startsWith("false", i)) (value = false), (i += 5);
    else if (text.startsWith("null", i)) (value = null), (i += 4);
    else if (c === "'") throw new JsonSyntax("strings must use double quotes in JSON", i);
    else throw new JsonSyntax(`unexpected ${describe(i)}; expected a value`, i);
    const loc: JsonLocation = { start, end: i };
    if (key) loc.key = key;
    if (raw !== undefined) loc.raw = raw;
    locations.set(path, loc);
    return value;
  };

  const parseObject = (path: string): Record<string, unknown> => {
    const obj: Record<string, unknown> = {};
    const keys = new Map<string, { start: number; end: number }>();
    i++; // {
    skipSpace();
    if (text[i] === "}") {
      i++;
      return obj;
    }
    for (;;) {
      skipSpace();
      if (text[i] !== '"') {
        if (text[i] === "}") throw new JsonSyntax("trailing comma is not allowed in JSON", i);
        throw new JsonSyntax(`unexpected ${describe(i)}; expected a property name in double quotes`, i);
      }
      const keyStart = i;
      const name = parseString();
      const keyRange = { start: keyStart, end: i };
      const memberPath = path + "/" + escapePointerToken(name);
      const first = keys.get(name);
      if (first) duplicateKeys.push({ pointer: memberPath, key: keyRange, first });
      else keys.set(name, keyRange);
      skipSpace();
      if (text[i] !== ":") throw new JsonSyntax(`unexpected ${describe(i)}; expected ':' after property name "${name}"`, i);
      i++;
      const value = parseValue(memberPath, keyRange);
      // defineProperty: a "__proto__" key is an ordinary member, as with JSON.parse (an assignment
      // would set the prototype); every other key by plain assignment, several times faster.
      if (name === "__proto__") Object.defineProperty(obj, name, { value, enumerable: true, writable: true, configurable: true });
      else obj[name] = value;
      skipSpace();
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === "}") {
        i++;
        return obj;
      }
      throw new JsonSyntax(`unexpected ${describe(i)}; expected ',' or '}' after the value of "${name}"`, i);
    }
  };

  const parseArray = (path: string): unknown[] => {
    const arr: unknown[] = [];
    i++; // [
    skipSpace();
    if (text[i] === "]") {
      i++;
      return arr;
    }
    for (;;) {
      skipSpace();
      if (text[i] === "]") throw new JsonSyntax("trailing comma is not allowed in JSON", i);
      arr.push(parseValue(`${path}/${arr.length}`));
      skipSpace();
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === "]") {
        i++;
        return arr;
      }
      throw new JsonSyntax(`unexpected ${describe(i)}; expected ',' or ']' after an array element`, i);
    }
  };

  try {
    const value = parseValue("");
    skipSpace();
    if (i < text.length) throw new JsonSyntax(`unexpected ${describe(i)} after the end of the JSON value`, i);
    return { ok: true, document: { value, locations, duplicateKeys } };
  } catch (e) {
    if (e instanceof JsonSyntax) return { ok: false, error: { message: e.message, offset: e.offset } };
    if (e instanceof RangeError) return { ok: false, error: { message: "JSON nested too deeply", offset: i } };
    throw e;
  }
}
