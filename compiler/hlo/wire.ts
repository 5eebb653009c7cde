// The protocol-buffer wire format, as much of it as HloModuleProto needs (encode.ts writes the
// messages field by field with it). Written by hand because building protobufjs message objects
// for every instruction, shape and layout, and then encoding them, was the larger part of a warm
// VGG19 compile's encoding time.
//
// The bytes are those protobufjs writes for the same fields (test/hlo-encode.test.ts compares them):
// varints are minimal, a negative int32 or int64 is ten bytes of two's complement, an int64 number
// is converted as protobufjs' LongBits.fromNumber does (truncated toward zero, wrapped at 2^64), a
// float goes through a Float32Array store, strings are UTF-8, and a nested message or packed field
// is its length and then its bytes.

/** Wire types (the low three bits of a field's key). */
const VARINT = 0;
const LENGTH_DELIMITED = 2;

const TWO_32 = 4294967296;

export class WireWriter {
  private buf: Uint8Array;
  private pos = 0;
  // protobufjs writes floats by storing them in a Float32Array and copying its bytes (a NaN keeps
  // whatever bits that store gives it); the same store here.
  private readonly f32 = new Float32Array(1);
  private readonly f32Bytes = new Uint8Array(this.f32.buffer);
  private readonly f64 = new Float64Array(1);
  private readonly f64Bytes = new Uint8Array(this.f64.buffer);

  constructor(capacity = 1 << 16) {
    this.buf = new Uint8Array(capacity);
  }

  /** The bytes written so far, copied out; the writer starts again empty. */
  finish(): Uint8Array {
    const out = this.buf.slice(0, this.pos);
    this.pos = 0;
    return out;
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
  }

  /** An unsigned 32-bit varint (`v` already in 0 .. 2^32-1). */
  private varint32(v: number): void {
    this.reserve(5);
    const buf = this.buf;
    let p = this.pos;
    while (v > 127) {
      buf[p++] = (v & 127) | 128;
      v >>>= 7;
    }
    buf[p++] = v;
    this.pos = p;
  }

  /** A 64-bit varint from its two 32-bit halves. */
  private varint64(lo: number, hi: number): void {
    this.reserve(10);
    const buf = this.buf;
    let p = this.pos;
    while (hi) {
      buf[p++] = (lo & 127) | 128;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    while (lo > 127) {
      buf[p++] = (lo & 127) | 128;
      lo >>>= 7;
    }
    buf[p++] = lo;
    this.pos = p;
  }

  private key(field: number, wireType: number): void {
    this.varint32(((field << 3) | wireType) >>> 0);
  }

  // ---- values (no key) -------------------------------------------------------------------------

  uint32Value(v: number): void {
    this.varint32(v >>> 0);
  }

  int32Value(v: number): void {
    if (v < 0) this.int64Value(v);
    else this.varint32(v >>> 0);
  }

  /** An int64 (or uint64) given as a number: protobufjs' LongBits.fromNumber. */
  int64Value(v: number): void {
    if (v >>> 0 === v) return this.varint32(v);
    if (v === 0) return this.varint32(0);
    const negative = v < 0;
    if (negative) v = -v;
    let lo = v >>> 0;
    let hi = ((v - lo) / TWO_32) >>> 0;
    if (negative) {
      hi = ~hi >>> 0;
      lo = ~lo >>> 0;
      if (++lo > 0xffffffff) {
        lo = 0;
        if (++hi > 0xffffffff) hi = 0;
      }
    }
    this.varint64(lo, hi);
  }

  /** An int64 or uint64 given exactly, as a bigint: its 64 low bits. */
  int64BigValue(v: bigint): void {
    const bits = BigInt.asUintN(64, v);
    this.varint64(Number(bits & 0xffffffffn), Number(bits >> 32n));
  }

  boolValue(v: boolean): void {
    this.reserve(1);
    this.buf[this.pos++] = v ? 1 : 0;
  }

  floatValue(v: number): void {
    this.reserve(4);
    this.f32[0] = v;
    this.buf.set(this.f32Bytes, this.pos);
    this.pos += 4;
  }

  doubleValue(v: number): void {
    this.reserve(8);
    this.f64[0] = v;
    this.buf.set(this.f64Bytes, this.pos);
    this.pos += 8;
  }

  // ---- fields ----------------------------------------------------------------------------------

  int64(field: number, v: number): void {
    this.key(field, VARINT);
    this.int64Value(v);
  }

  int32(field: number, v: number): void {
    this.key(field, VARINT);
    this.int32Value(v);
  }

  bool(field: number, v: boolean): void {
    this.key(field, VARINT);
    this.boolValue(v);
  }

  string(field: number, s: string): void {
    this.key(field, LENGTH_DELIMITED);
    const n = s.length;
    // Most strings (names, opcodes, op names) are ASCII: their length is known and each character
    // is its byte. Any other goes through UTF-8 encoding.
    this.reserve(n + 5);
    const start = this.pos;
    this.varint32(n);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        this.pos = start;
        return this.utf8(s);
      }
      buf[p++] = c;
    }
    this.pos = p;
  }

  private utf8(s: string): void {
    const bytes = Buffer.from(s, "utf8");
    this.varint32(bytes.length);
    this.reserve(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  bytes(field: number, b: Uint8Array): void {
    this.key(field, LENGTH_DELIMITED);
    this.varint32(b.length);
    this.reserve(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** A packed repeated int64 field; nothing when empty (as proto3 writes it). */
  packedInt64(field: number, values: readonly number[]): void {
    if (values.length === 0) return;
    const start = this.begin(field);
    for (let i = 0; i < values.length; i++) this.int64Value(values[i]!);
    this.end(start);
  }

  /**
   * Starts a length-delimited field (a nested message, a packed repeated field) whose length is
   * known only once it is written: one byte is set aside for the length, the usual case; `end`
   * moves the bytes along when it needs more.
   */
  begin(field: number): number {
    this.key(field, LENGTH_DELIMITED);
    this.reserve(1);
    return this.pos++;
  }

  end(start: number): void {
    const length = this.pos - start - 1;
    if (length < 128) {
      this.buf[start] = length;
      return;
    }
    let size = 1;
    for (let v = length; v > 127; v >>>= 7) size++;
    this.reserve(size - 1);
    this.buf.copyWithin(start + size, start + 1, this.pos);
    const end = this.pos + size - 1;
    this.pos = start;
    this.varint32(length);
    this.pos = end;
  }
}
