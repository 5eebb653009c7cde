// NumPy .npy files (format versions 1.0, 2.0 and 3.0), read and written without NumPy.
//
// Layout. A Tensor holds Julia's column-major bytes. We write `fortran_order: True` with
// shape = Julia `size`, so the data section is the tensor's bytes unchanged (and equals XLA's
// row-major layout of the reversed dimensions): `np.load` and Julia's NPZ.jl both see the same
// array. A C-order file of NumPy shape S is the array of Julia size S with the same element at
// every index; reading it permutes the elements into column-major order (a general N-d transpose).
//
// Element types. Little-endian descriptors: Float16 '<f2', Float32 '<f4', Float64 '<f8',
// Int8 '|i1' ... UInt64 '<u8', Bool '|b1'. BFloat16 is written as '<V2' (two raw bytes): that is
// exactly what `np.save` writes for an ml_dtypes.bfloat16 array, plain NumPy loads it (as void) and
// `np.load(f).view(ml_dtypes.bfloat16)` recovers the values. A '<V2' file carries no type of its own,
// so it is read as BFloat16 only where BFloat16 is declared; a 'bfloat16' descriptor is accepted too.
// Big-endian ('>') files are byte-swapped on reading.

import { randomBytes } from "node:crypto";
import { rename, rm, writeFile, type FileHandle } from "node:fs/promises";
import type { ElementType, Tensor } from "../plugins/api.js";
import { openRegularFile } from "./workspace.js";
import { ELEMENT_TYPES, ELTYPES } from "../compiler/eltypes.js";

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
const ALIGN = 64; // numpy aligns the data section to 64 bytes

/** Bytes per element. */
export const ELEMENT_SIZE = Object.fromEntries(ELEMENT_TYPES.map((t) => [t, ELTYPES[t].bytes])) as Record<ElementType, number>;

/** The descriptor we write for each element type. */
export const NPY_DESCR = Object.fromEntries(ELEMENT_TYPES.map((t) => [t, ELTYPES[t].npy])) as Record<ElementType, string>;

// Type codes we read: each type's own (without the byte order), except BFloat16's '<V2', which is
// raw bytes and resolved by the declared type (eltypeOfDescr); plus NumPy's '?' for bool and the
// 'bfloat16' name ml_dtypes may write.
const BY_CODE: Record<string, ElementType> = {
  ...Object.fromEntries(ELEMENT_TYPES.filter((t) => t !== "BFloat16").map((t) => [ELTYPES[t].npy.slice(1), t])),
  "?": "Bool", bfloat16: "BFloat16",
};

/** The header of a .npy file. */
export interface NpyHeader {
  version: [number, number];
  descr: string;
  fortranOrder: boolean;
  /** NumPy shape; equals the Julia size of the array it holds, whatever the memory order. */
  shape: number[];
  /** Byte offset of the data section. */
  dataOffset: number;
}

/** `missing`: the file does not exist (the manifest suggests a near name then). */
export type NpyResult<T> = { ok: true; value: T } | { ok: false; message: string; missing?: boolean };

/**
 * The element type a descriptor stands for. `declared` resolves '<V2' (raw 2-byte values) to
 * BFloat16 when BFloat16 is what the reader expects; otherwise a void type has no element type.
 */
export function eltypeOfDescr(descr: string, declared?: ElementType): { eltype: ElementType; bigEndian: boolean } | undefined {
  let order = "";
  let code = descr;
  if (/^[<>|=]/.test(descr)) {
    order = descr[0]!;
    code = descr.slice(1);
  }
  // '=' is the writer's native order; every platform NumPy runs on in practice is little-endian.
  const bigEndian = order === ">";
  if (code === "V2" && declared === "BFloat16") return { eltype: "BFloat16", bigEndian: false };
  const eltype = BY_CODE[code];
  return eltype ? { eltype, bigEndian } : undefined;
}

/** A NumPy-style name for messages: "float32 ('<f4')". */
export function describeDescr(descr: string): string {
  const t = eltypeOfDescr(descr);
  if (!t) return `'${descr}'`;
  const names: Record<ElementType, string> = {
    Float16: "float16", BFloat16: "bfloat16", Float32: "float32", Float64: "float64",
    Int8: "int8", Int16: "int16", Int32: "int32", Int64: "int64",
    UInt8: "uint8", UInt16: "uint16", UInt32: "uint32", UInt64: "uint64", Bool: "bool",
  };
  return `${names[t.eltype]} ('${descr}')`;
}

// --- header ---------------------------------------------------------------------------------

/** Parses the Python dict literal numpy writes, e.g. {'descr': '<f4', 'fortran_order': True, 'shape': (3, 4), }. */
function parseHeaderDict(text: string): NpyResult<Record<string, unknown>> {
  let i = 0;
  const fail = (what: string): { ok: false; message: string } => ({ ok: false, message: `malformed .npy header (${what}): ${text.trim()}` });
  const space = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  type Lit = { v: unknown } | undefined;
  const literal = (): Lit => {
    space();
    const c = text[i];
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) return undefined;
      const s = text.slice(i + 1, end);
      i = end + 1;
      return { v: s };
    }
    if (text.startsWith("True", i)) return (i += 4), { v: true };
    if (text.startsWith("False", i)) return (i += 5), { v: false };
    if (c === "(" || c === "[") {
      const close = c === "(" ? ")" : "]";
      i++;
      const items: unknown[] = [];
      for (;;) {
        space();
        if (text[i] === close) return i++, { v: items };
        const item = literal();
        if (!item) return undefined;
        items.push(item.v);
        space();
        if (text[i] === ",") i++;
        else if (text[i] !== close) return undefined;
      }
    }
    const m = /^-?\d+L?/.exec(text.slice(i));
    if (m) {
      i += m[0].length;
      return { v: Number(m[0].replace("L", "")) };
    }
    return undefined;
  };
  space();
  if (text[i] !== "{") return fail("expected '{'");
  i++;
  const out: Record<string, unknown> = {};
  for (;;) {
    space();
    if (text[i] === "}") break;
    const key = literal();
    if (!key || typeof key.v !== "string") return fail("expected a key");
    space();
    if (text[i] !== ":") return fail("expected ':'");
    i++;
    const value = literal();
    if (!value) return fail(`bad value of '${key.v}'`);
    out[key.v] = value.v;
    space();
    if (text[i] === ",") i++;
    else if (text[i] !== "}") return fail("expected ',' or '}'");
  }
  return { ok: true, value: out };
}

/** Reads the header of a .npy file from its first bytes (at least the whole header). */
export function parseNpyHeader(bytes: Uint8Array): NpyResult<NpyHeader> {
  if (bytes.length < 10 || MAGIC.some((b, k) => bytes[k] !== b)) return { ok: false, message: "not a .npy file (no \\x93NUMPY magic string)" };
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (major < 1 || major > 3) return { ok: false, message: `unsupported .npy format version ${major}.${minor} (1.0, 2.0 and 3.0 are supported)` };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenSize = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenSize) return { ok: false, message: "truncated .npy header" };
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataOffset = 8 + lenSize + headerLen;
  if (bytes.length < dataOffset) return { ok: false, message: "truncated .npy header" };
  const raw = bytes.subarray(8 + lenSize, dataOffset);
  const text = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(raw);
  const dict = parseHeaderDict(text);
  if (!dict.ok) return dict;
  const { descr, fortran_order: fortranOrder, shape } = dict.value;
  if (typeof descr !== "string") return { ok: false, message: "structured (record) dtypes are not supported in .npy files" };
  if (typeof fortranOrder !== "boolean") return { ok: false, message: "malformed .npy header (no fortran_order)" };
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === "number" && Number.isSafeInteger(d) && d >= 0))
    return { ok: false, message: "malformed .npy header (bad shape)" };
  return { ok: true, value: { version: [major, minor], descr, fortranOrder, shape: shape as number[], dataOffset } };
}

/** Formats a NumPy shape as Python prints it: (), (3,), (3, 4). */
export function formatNpyShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}

function encodeHeader(descr: string, fortranOrder: boolean, shape: readonly number[]): Uint8Array {
  const dict = `{'descr': '${descr}', 'fortran_order': ${fortranOrder ? "True" : "False"}, 'shape': ${formatNpyShape(shape)}, }`;
  for (const major of [1, 2]) {
    const prefix = 8 + (major === 1 ? 2 : 4);
    const unpadded = prefix + dict.length + 1; // + "\n"
    const total = Math.ceil(unpadded / ALIGN) * ALIGN;
    const headerLen = total - prefix;
    if (major === 1 && headerLen > 0xffff) continue;
    const out = new Uint8Array(total);
    out.set(MAGIC, 0);
    out[6] = major;
    out[7] = 0;
    const view = new DataView(out.buffer);
    if (major === 1) view.setUint16(8, headerLen, true);
    else view.setUint32(8, headerLen, true);
    const body = dict + " ".repeat(total - unpadded) + "\n";
    for (let k = 0; k < body.length; k++) out[prefix + k] = body.charCodeAt(k);
    return out;
  }
  throw new Error("unreachable: a .npy 2.0 header always fits");
}

// --- encode / decode ------------------------------------------------------------------------

export function elementCount(size: readonly number[]): number {
  return size.reduce((a, b) => a * b, 1);
}

/**
 * The .npy file of a tensor as its two parts: the header (`fortran_order: True`, shape = Julia size)
 * and the column-major data unchanged (the tensor's own bytes, not a copy).
 */
export function npyParts(t: Tensor): [Uint8Array, Uint8Array] {
  const expected = elementCount(t.size) * ELEMENT_SIZE[t.eltype];
  if (t.data.length !== expected)
    throw new Error(`internal error: a ${t.eltype} tensor of size (${t.size.join(", ")}) needs ${expected} bytes, got ${t.data.length}`);
  return [encodeHeader(NPY_DESCR[t.eltype], true, t.size), t.data];
}

/** The .npy bytes of a tensor in one array (a copy; large outputs are written from npyParts). */
export function encodeNpy(t: Tensor): Uint8Array {
  const [header, data] = npyParts(t);
  const out = new Uint8Array(header.length + data.length);
  out.set(header, 0);
  out.set(data, header.length);
  return out;
}

function byteSwap(data: Uint8Array, width: number): void {
  for (let p = 0; p < data.length; p += width) data.subarray(p, p + width).reverse();
}

/**
 * Permutes a C-order (row-major) array of NumPy shape `shape` into Julia's column-major order:
 * the element at index (i1, ..., iN) lands at offset i1 + s1*(i2 + s2*(...)).
 */
export function cOrderToColumnMajor(src: Uint8Array, shape: readonly number[], width: number): Uint8Array {
  const n = shape.length;
  const count = elementCount(shape);
  const dst = new Uint8Array(count * width);
  if (n <= 1 || count === 0) {
    dst.set(src.subarray(0, dst.length));
    return dst;
  }
  // Source strides (in elements) of C order: the last index varies fastest.
  const stride = new Array<number>(n);
  stride[n - 1] = 1;
  for (let k = n - 2; k >= 0; k--) stride[k] = stride[k + 1]! * shape[k + 1]!;
  const index = new Array<number>(n).fill(0);
  // Copy whole elements through a typed view of the element's width (two words for 8 bytes, so
  // NaN payloads are never touched by a float load).
  const words = width === 8 ? 2 : 1;
  const unit = width === 8 ? 4 : width;
  const make = (u: Uint8Array) =>
    unit === 1 ? u : unit === 2 ? new Uint16Array(u.buffer, u.byteOffset, u.length / 2) : new Uint32Array(u.buffer, u.byteOffset, u.length / 4);
  const srcCopy = src.byteOffset % 4 === 0 ? src : src.slice();
  const s = make(srcCopy);
  const d = make(dst);
  let from = 0;
  for (let j = 0; j < count; j++) {
    for (let w = 0; w < words; w++) d[j * words + w] = s[from * words + w]!;
    // Advance the column-major odometer: the first index varies fastest.
    for (let k = 0; k < n; k++) {
      index[k]!++;
      from += stride[k]!;
      if (index[k]! < shape[k]!) break;
      from -= stride[k]! * shape[k]!;
      index[k] = 0;
    }
  }
  return dst;
}

/**
 * Decodes .npy bytes into a Tensor of Julia size = the file's shape, in column-major order.
 * `declared` is the element type the caller expects (needed to read '<V2' as BFloat16).
 */
export function decodeNpy(bytes: Uint8Array, declared?: ElementType): NpyResult<Tensor> {
  const h = parseNpyHeader(bytes);
  if (!h.ok) return h;
  const layout = dataLayout(h.value, declared, bytes.length);
  if (!layout.ok) return layout;
  const { dataOffset } = h.value;
  return { ok: true, value: tensorOf(h.value, layout.value, bytes.slice(dataOffset, dataOffset + layout.value.length)) };
}

interface DataLayout {
  eltype: ElementType;
  bigEndian: boolean;
  width: number;
  /** Bytes of data after the header. */
  length: number;
}

/** What a header's data is, checked against the `fileSize` bytes there are (header included). */
function dataLayout(h: NpyHeader, declared: ElementType | undefined, fileSize: number): NpyResult<DataLayout> {
  const t = eltypeOfDescr(h.descr, declared);
  if (!t) return { ok: false, message: `unsupported .npy dtype ${describeDescr(h.descr)}` };
  const width = ELEMENT_SIZE[t.eltype];
  const length = elementCount(h.shape) * width;
  if (fileSize < h.dataOffset + length)
    return { ok: false, message: `truncated .npy file: shape ${formatNpyShape(h.shape)} of ${describeDescr(h.descr)} needs ${length} data bytes, found ${fileSize - h.dataOffset}` };
  return { ok: true, value: { ...t, width, length } };
}

/** The tensor of a file's data bytes (`data`, which becomes its own: swapped in place to little-endian, reordered if C order). */
function tensorOf(h: NpyHeader, layout: DataLayout, data: Uint8Array): Tensor {
  if (layout.bigEndian && layout.width > 1) byteSwap(data, layout.width);
  return { eltype: layout.eltype, size: [...h.shape], data: h.fortranOrder ? data : cOrderToColumnMajor(data, h.shape, layout.width) };
}

/** The header of an open .npy file of `size` bytes (read alone, not the data). */
async function readHeaderOf(handle: FileHandle, size: number): Promise<NpyResult<NpyHeader>> {
  const first = new Uint8Array(12);
  const { bytesRead } = await handle.read(first, 0, 12, 0);
  if (bytesRead < 10 || MAGIC.some((b, k) => first[k] !== b)) return { ok: false, message: "not a .npy file (no \\x93NUMPY magic string)" };
  const major = first[6];
  const headerEnd = 8 + (major === 1 ? 2 + (first[8]! | (first[9]! << 8)) : 4 + new DataView(first.buffer).getUint32(8, true));
  const head = new Uint8Array(Math.min(headerEnd, size));
  await handle.read(head, 0, head.length, 0);
  return parseNpyHeader(head);
}

/** Reads only the header of a .npy file (no data), plus the file's size in bytes. Only a regular file is read (never a FIFO). */
export async function readNpyHeader(path: string, shown = path): Promise<NpyResult<NpyHeader & { fileSize: number }>> {
  const opened = await openRegularFile(path, shown);
  if (!opened.ok) return { ok: false, message: opened.message, missing: opened.code === "not-found" };
  const { handle, size } = opened;
  try {
    const h = await readHeaderOf(handle, size);
    return h.ok ? { ok: true, value: { ...h.value, fileSize: size } } : h;
  } finally {
    await handle.close();
  }
}

/** Bytes per read of a .npy file's data: the file is never read whole into a second buffer. */
const READ_SLICE_BYTES = 64 << 20;

/**
 * Reads a .npy file into a Tensor (as decodeNpy does). Only a regular file is read (never a FIFO).
 * The data is read in slices straight into the tensor's array, so a Fortran-order file costs its
 * size in memory once, at any size one array holds (reading the file whole stops at 2 GiB).
 */
export async function readNpy(path: string, declared?: ElementType, shown = path): Promise<NpyResult<Tensor>> {
  const opened = await openRegularFile(path, shown);
  if (!opened.ok) return { ok: false, message: opened.message, missing: opened.code === "not-found" };
  const { handle, size } = opened;
  try {
    const h = await readHeaderOf(handle, size);
    if (!h.ok) return h;
    const layout = dataLayout(h.value, declared, size);
    if (!layout.ok) return layout;
    const { length } = layout.value;
    const data = new Uint8Array(length);
    for (let offset = 0; offset < length; ) {
      const n = (await handle.read(data, offset, Math.min(READ_SLICE_BYTES, length - offset), h.value.dataOffset + offset)).bytesRead;
      if (n === 0) return { ok: false, message: `truncated .npy file: it ended after ${offset} of ${length} data bytes` };
      offset += n;
    }
    return { ok: true, value: tensorOf(h.value, layout.value, data) };
  } finally {
    await handle.close();
  }
}

/** Writes a tensor as .npy atomically: a temporary file in the same directory, then a rename. */
export async function writeNpy(path: string, t: Tensor): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString("hex")}`;
  try {
    await writeFile(tmp, npyParts(t)); // the header, then the tensor's own bytes: no copy of them
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
