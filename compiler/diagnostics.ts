// Diagnostics are values: a code, a span, a message, related notes and the Julia call chain.
// They are collected by the compiler and rendered in one place (`renderDiagnostic`).

/** A half-open byte range [start, end) in one source file (offsets into the UTF-16 string). */
export interface Span {
  file: string;
  start: number;
  end: number;
}

/** A source file's text with a line index, so spans can be turned into line:col. */
export class SourceFile {
  readonly lineStarts: number[];
  constructor(readonly path: string, readonly text: string) {
    this.lineStarts = [0];
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }
  /** 1-based line and column (columns count UTF-16 code units, like editors' LSP default). */
  position(offset: number): { line: number; col: number } {
    let lo = 0, hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid; else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - this.lineStarts[lo]! + 1 };
  }
  lineText(line: number): string {
    const start = this.lineStarts[line - 1] ?? this.text.length;
    const next = this.lineStarts[line];
    return this.text.slice(start, next === undefined ? this.text.length : next - 1).replace(/\r$/, "");
  }
}

/** One frame of the Julia call chain: "in predict at models/mlp.jl:12". */
export interface CallFrame {
  function: string;
  span: Span;
  /** Consecutive identical frames (deep recursion) are shown once with their count. */
  repeated?: number;
}

export interface Diagnostic {
  /** Stable machine-readable code, e.g. "parse-error", "undefined-function", "dimension-mismatch". */
  code: string;
  severity: "error" | "warning";
  message: string;
  span?: Span;
  /** Extra lines shown after the caret ("did you mean `relu`?", candidate methods, ...). */
  notes?: string[];
  /** Innermost frame first. */
  callChain?: CallFrame[];
}

/** Thrown inside the compiler to abort the current entry with a user-facing diagnostic. */
export class CompileError extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
  }
}

export function error(code: string, message: string, span?: Span, notes?: string[]): CompileError {
  return new CompileError({ code, severity: "error", message, span, notes });
}

export type SourceLookup = (path: string) => SourceFile | undefined;

export function formatLocation(span: Span, lookup: SourceLookup): string {
  const file = lookup(span.file);
  if (!file) return span.file;
  const { line, col } = file.position(span.start);
  return `${span.file}:${line}:${col}`;
}

/** Characters of a source line shown under an error: a 10 MB single-line file echoes an excerpt, not 10 MB. */
export const MAX_ECHOED_LINE = 160;

/** The part of a line shown around column `at` (0-based), with "…" where it is cut, and the caret's place in it. */
function lineExcerpt(line: string, at: number, width: number): { text: string; caret: number; underline: number } {
  if (line.length <= MAX_ECHOED_LINE) return { text: line, caret: at, underline: width };
  const start = Math.max(0, Math.min(at - 40, line.length - MAX_ECHOED_LINE));
  const end = start + MAX_ECHOED_LINE;
  const head = start > 0 ? "…" : "";
  const text = head + line.slice(start, end) + (end < line.length ? "…" : "");
  const caret = head.length + at - start;
  return { text, caret, underline: Math.max(1, Math.min(width, end - at)) };
}

/** Characters of a message or note shown: a 10 MB identifier named in a message is shown in part. */
export const MAX_MESSAGE = 400;

export function boundedMessage(text: string): string {
  if (text.length <= MAX_MESSAGE) return text;
  const head = text.slice(0, MAX_MESSAGE - 100);
  return `${head}… (${(text.length - MAX_MESSAGE).toLocaleString("en-US")} characters left out) …${text.slice(-100)}`;
}

/** Renders `file:line:col: error: message`, the source line, a caret under the span, notes and the call chain. */
export function renderDiagnostic(d: Diagnostic, lookup: SourceLookup): string {
  const out: string[] = [];
  if (d.span) {
    const file = lookup(d.span.file);
    out.push(`${formatLocation(d.span, lookup)}: ${d.severity}: ${boundedMessage(d.message)}`);
    if (file) {
      const { line, col } = file.position(d.span.start);
      const end = file.position(Math.max(d.span.start, d.span.end - 1));
      const full = file.lineText(line);
      const width = end.line === line ? Math.max(1, end.col - col + 1) : Math.max(1, full.length - col + 1);
      const { text, caret, underline } = lineExcerpt(full, col - 1, width);
      const gutter = String(line).length;
      out.push(`${" ".repeat(gutter)} |`);
      out.push(`${line} | ${text}`);
      out.push(`${" ".repeat(gutter)} | ${" ".repeat(caret)}^${"~".repeat(underline - 1)}`);
    }
  } else {
    out.push(`${d.severity}: ${boundedMessage(d.message)}`);
  }
  for (const note of d.notes ?? []) out.push(`  note: ${boundedMessage(note)}`);
  for (const frame of d.callChain ?? []) out.push(`  in ${frame.function} at ${formatLocation(frame.span, lookup)}${frame.repeated ? ` (repeated ${frame.repeated} times)` : ""}`);
  return out.join("\n");
}

/**
 * Optimal string alignment distance (Damerau–Levenshtein with adjacent transpositions): how far a
 * misspelt name is from a known one, for the "did you mean" notes of the compiler and the manifest.
 */
export function editDistance(a: string, b: string): number {
  const m = a.length, n = b.length;
  const d: number[][] = Array.from({ length: m + 1 }, (_, i) => Array.from({ length: n + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= m; i++)
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  return d[m]![n]!;
}

/** Names within a small edit distance of `name`, closest first (for "did you mean"). */
export function nearestNames(name: string, candidates: Iterable<string>, limit = 2): string[] {
  const max = name.length <= 3 ? 1 : name.length <= 6 ? 2 : 3;
  return [...new Set(candidates)]
    // Names whose lengths differ by more than `max` are too far anyway (and a 10 MB identifier
    // must not cost an edit-distance table against every name).
    .filter((c) => Math.abs(c.length - name.length) <= max)
    .map((c) => ({ c, d: c.toLowerCase() === name.toLowerCase() ? 0.5 : editDistance(name, c) }))
    .filter((x) => x.d <= max && x.c !== name)
    .sort((x, y) => x.d - y.d || x.c.localeCompare(y.c))
    .slice(0, limit)
    .map((x) => x.c);
}
