// Mutated Julia sources: a seed program (examples/*.jl, the conformance programs of test/julia)
// changed token by token the way an editor in mid-keystroke or an attacker would: tokens deleted,
// duplicated or swapped, the text truncated, random brackets/operators/keywords inserted,
// expressions nested very deeply, huge literals, odd unicode. Each case says which mutations made it.

import type { Prng } from "./prng.js";

/** Julia-ish tokens, enough to mutate at token boundaries (not a lexer: whitespace and comments are tokens too). */
const TOKEN = /\s+|#=[\s\S]*?=#|#[^\n]*|"(?:[^"\\\n]|\\.)*"|[\p{L}_][\p{L}\p{N}_!′]*|\d[\d_]*(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\.\.|::|->|=>|==|!=|<=|>=|&&|\|\||\.[+\-*/^]|[^\s]/gu;

export function juliaTokens(text: string): string[] {
  return text.match(TOKEN) ?? [];
}

const BRACKETS = ["(", ")", "[", "]", "{", "}"];
const OPERATORS = ["+", "-", "*", "/", "^", ".+", ".*", "=", "==", "=>", "->", "::", "...", "'", ":", ";", ",", ".", "$", "@", "&", "|", "÷", "<:", "|>", "∘", "#=", "=#", "\"", "`", "\\"];
const KEYWORDS = ["end", "function", "if", "else", "elseif", "for", "while", "begin", "let", "struct", "return", "do", "where", "const", "module", "using", "import", "try", "catch", "quote", "macro", "mutable", "abstract type", "in", "break", "continue", "global", "local", "nothing", "include(\"main.jl\")"];
const UNICODE = ["\u0000", "\u200b", "\ufeff", "é", "∑", "𝑥", "\ud800", "\u0301", "😀", "\u202e", "\u00a0", "\u2028", "x̄", "√", "∇", "α₁"];
const HUGE_LITERALS = ["9".repeat(30), "1e400", "18446744073709551616", "0x" + "f".repeat(40), "1_000_000_000_000", "9223372036854775807", "-9223372036854775808", "1" + "0".repeat(2000), "0.1e-400", "2^64"];

const meaningful = (t: string) => !/^\s/.test(t) && !t.startsWith("#");

type Mutation = (tokens: string[], rng: Prng) => string | undefined;

const indexOfMeaningful = (tokens: string[], rng: Prng): number | undefined => {
  const candidates = tokens.map((t, i) => (meaningful(t) ? i : -1)).filter((i) => i >= 0);
  return candidates.length ? rng.pick(candidates) : undefined;
};

const MUTATIONS: Record<string, Mutation> = {
  deleteToken(tokens, rng) {
    const i = indexOfMeaningful(tokens, rng);
    if (i === undefined) return undefined;
    const [t] = tokens.splice(i, 1);
    return `delete ${JSON.stringify(t)}`;
  },
  duplicateToken(tokens, rng) {
    const i = indexOfMeaningful(tokens, rng);
    if (i === undefined) return undefined;
    tokens.splice(i, 0, tokens[i]!);
    return `duplicate ${JSON.stringify(tokens[i])}`;
  },
  swapTokens(tokens, rng) {
    const i = indexOfMeaningful(tokens, rng);
    const j = indexOfMeaningful(tokens, rng);
    if (i === undefined || j === undefined) return undefined;
    [tokens[i], tokens[j]] = [tokens[j]!, tokens[i]!];
    return `swap ${JSON.stringify(tokens[j])} and ${JSON.stringify(tokens[i])}`;
  },
  truncate(tokens, rng) {
    const at = rng.int(tokens.length);
    tokens.length = at;
    return `truncate after ${at} tokens`;
  },
  insertBracket(tokens, rng) {
    const t = rng.pick(BRACKETS);
    tokens.splice(rng.int(tokens.length + 1), 0, t);
    return `insert ${t}`;
  },
  insertOperator(tokens, rng) {
    const t = rng.pick(OPERATORS);
    tokens.splice(rng.int(tokens.length + 1), 0, t);
    return `insert ${t}`;
  },
  insertKeyword(tokens, rng) {
    const t = rng.pick(KEYWORDS);
    tokens.splice(rng.int(tokens.length + 1), 0, " ", t, " ");
    return `insert ${t}`;
  },
  replaceIdentifier(tokens, rng) {
    const idents = tokens.map((t, i) => (/^[\p{L}_]/u.test(t) ? i : -1)).filter((i) => i >= 0);
    if (idents.length < 2) return undefined;
    const i = rng.pick(idents);
    const other = tokens[rng.pick(idents)]!;
    const was = tokens[i];
    tokens[i] = other;
    return `${was} -> ${other}`;
  },
  deepNesting(tokens, rng) {
    const i = indexOfMeaningful(tokens, rng);
    if (i === undefined) return undefined;
    const depth = rng.pick([20, 100, 250, 1000, 5000]);
    const kind = rng.int(4);
    const t = tokens[i]!;
    if (kind === 0) tokens[i] = "(".repeat(depth) + t + ")".repeat(depth);
    else if (kind === 1) tokens[i] = "identity(".repeat(depth) + t + ")".repeat(depth);
    else if (kind === 2) tokens[i] = "[".repeat(depth) + t + "]".repeat(depth);
    else tokens[i] = Array.from({ length: depth }, () => t).join(" + ");
    return `nest ${JSON.stringify(t)} ${depth} deep (${["parentheses", "calls", "brackets", "a sum"][kind]})`;
  },
  hugeLiteral(tokens, rng) {
    const numbers = tokens.map((t, i) => (/^\d/.test(t) ? i : -1)).filter((i) => i >= 0);
    const i = numbers.length ? rng.pick(numbers) : rng.int(tokens.length + 1);
    const v = rng.pick(HUGE_LITERALS);
    if (numbers.length) tokens[i] = v;
    else tokens.splice(i, 0, v);
    return `literal ${v.slice(0, 30)}`;
  },
  unicode(tokens, rng) {
    const c = rng.pick(UNICODE);
    tokens.splice(rng.int(tokens.length + 1), 0, c);
    return `insert U+${c.codePointAt(0)!.toString(16).padStart(4, "0")}`;
  },
};

/** The mutations a case may use: "hugeLiteral" and "deepNesting" reach classes excluded in the CI run (see fuzz.test.ts). */
export const JULIA_MUTATIONS = Object.keys(MUTATIONS);

export interface MutatedJulia {
  text: string;
  mutations: string[];
  /** Names of the mutation kinds applied. */
  kinds: string[];
}

/** One mutated program from a seed program's text. */
export function mutateJulia(seed: string, rng: Prng, allowed: readonly string[] = JULIA_MUTATIONS): MutatedJulia {
  const tokens = juliaTokens(seed);
  const mutations: string[] = [];
  const kinds: string[] = [];
  const count = rng.between(1, 3);
  for (let k = 0; k < count; k++) {
    const name = rng.pick(allowed);
    const what = MUTATIONS[name]!(tokens, rng);
    if (what !== undefined) mutations.push(`${name}: ${what}`), kinds.push(name);
  }
  return { text: tokens.join(""), mutations, kinds };
}
