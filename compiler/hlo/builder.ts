// Builds an HloModule instruction by instruction. Every emission goes through an op rule from the
// op table, which checks operand shapes and computes the result shape. Pure instructions are
// deduplicated on the way in (hash-consing is common-subexpression elimination for free), and
// `finish` drops what the root does not reach (dead-code elimination).

import type { ArrayShape, HloComputation, HloInstruction, HloModule, InstructionAttributes, Literal, PrimitiveType, Shape, SourceMetadata } from "./ir.js";
import { arrayShape } from "./ir.js";
import type { OpRule } from "./ops.js";
import * as ops from "./ops.js";

/** Module-wide choices of one compilation (the target's), applied to every instruction as it is emitted. */
export interface ModuleOptions {
  /** XLA's operand_precision for every op that takes a precision_config (0 DEFAULT, 1 HIGH, 2 HIGHEST); 0 or absent: none is written, XLA's default. */
  operandPrecision?: number;
  /**
   * Sees every instruction the module gains, with its rule and its operands' shapes, before it joins
   * a computation, and may refuse it by throwing. An emission that CSE answers with an earlier twin
   * gains nothing and is not seen (the twin was, with the same opcode, operands and shape). The
   * compiler checks what the target platform can compute and charges the compile budget here.
   */
  onInstruction?: (instr: HloInstruction, rule: OpRule<unknown>, operands: Shape[]) => void;
}

export class HloModuleBuilder {
  private nextId = 1;
  readonly computations: HloComputation[] = [];
  /** Scalar reducer computations keyed by "add:f32" so each is built once. */
  private readonly reducers = new Map<string, number>();
  constructor(readonly name: string, readonly options: ModuleOptions = {}) {}

  id(): number {
    return this.nextId++;
  }

  computation(name: string): ComputationBuilder {
    return new ComputationBuilder(this, name);
  }

  /** Adds a finished computation; callees must be added before their callers. */
  add(computation: HloComputation): number {
    this.computations.push(computation);
    return computation.id;
  }

  /** A two-argument scalar computation applying `rule` (for reduce and reduce-window). */
  reducer(rule: OpRule<void>, element: PrimitiveType): number {
    const key = `${rule.opcode}:${element}`;
    const cached = this.reducers.get(key);
    if (cached !== undefined) return cached;
    const c = this.computation(`${rule.opcode}_${element}`);
    const scalar = arrayShape(element, []);
    const a = c.parameter(0, scalar, "lhs");
    const b = c.parameter(1, scalar, "rhs");
    const id = this.add(c.finish(c.emit(rule, [a, b], undefined)));
    this.reducers.set(key, id);
    return id;
  }

  finish(entry: HloComputation): HloModule {
    this.computations.push(entry);
    return { name: this.name, computations: this.computations, entryComputationId: entry.id };
  }
}

export class ComputationBuilder {
  readonly id: number;
  readonly name: string;
  private readonly instructions: HloInstruction[] = [];
  private readonly byId = new Map<number, HloInstruction>();
  /** Pure instructions by opcode, operands and shape (and literal), with their attributes: CSE. */
  private readonly interned = new Map<string, { attributes: InstructionAttributes; id: number }[]>();
  /** Attached to every instruction emitted while set (the Julia source location and call chain). */
  metadata: SourceMetadata | undefined;
  /**
   * For a computation nested in another (a while body, a branch): makes an instruction of an
   * enclosing computation available here (as a get-tuple-element of this computation's parameter)
   * and returns its local id. Values flow in only through parameters in HLO.
   */
  capture: ((outerId: number) => number) | undefined;
  private readonly imported = new Map<number, number>();

  constructor(readonly module: HloModuleBuilder, name: string) {
    this.id = module.id();
    this.name = `${name}.${this.id}`;
  }

  /** Whether `id` is an instruction of this computation (not one captured from outside). */
  owns(id: number): boolean {
    return this.byId.has(id);
  }

  /** The local id of `id`: itself when it is ours, else its capture. */
  resolve(id: number): number {
    if (this.byId.has(id)) return id;
    const known = this.imported.get(id);
    if (known !== undefined) return known;
    if (!this.capture) throw new Error(`internal: instruction ${id} is not in computation ${this.name}`);
    const local = this.capture(id);
    this.imported.set(id, local);
    return local;
  }

  shapeOf(id: number): Shape {
    const instr = this.byId.get(this.byId.has(id) ? id : this.resolve(id));
    if (!instr) throw new Error(`internal: instruction ${id} is not in computation ${this.name}`);
    return instr.shape;
  }

  arrayShapeOf(id: number): ArrayShape {
    const s = this.shapeOf(id);
    if (s.kind !== "array") throw new Error(`internal: instruction ${id} is not an array`);
    return s;
  }

  /** The id of parameter `number` (which must exist). */
  parameterId(number: number): number {
    const p = this.instructions.find((i) => i.opcode === "parameter" && i.attributes.parameterNumber === number);
    if (!p) throw new Error(`internal: computation ${this.name} has no parameter ${number}`);
    return p.id;
  }

  parameter(number: number, shape: Shape, name?: string): number {
    return this.push(ops.parameter, [], { number, shape }, name ?? `p${number}`);
  }

  emit<P>(rule: OpRule<P>, operandIds: number[], params: P): number {
    const operands = operandIds.map((o) => this.resolve(o));
    const operandShapes = operands.map((o) => this.shapeOf(o));
    const shape = rule.shape(operandShapes, params);
    let attributes = rule.attributes(params);
    const precision = this.module.options.operandPrecision;
    if (rule.precisionConfig && precision) attributes = { ...attributes, operandPrecision: operands.map(() => precision) };
    if (rule.pure) {
      // Most instructions have no twin, so attributes (a convolution's are large) are compared
      // only against instructions with the same opcode, operands and shape; a literal is part of
      // the key itself, since constants have no operands to tell them apart.
      const literal = attributes.literal !== undefined ? `|${JSON.stringify(attributes.literal, internKey)}` : "";
      const key = `${rule.opcode}|${operands.join(",")}|${shapeKey(shape)}${literal}`;
      let twins = this.interned.get(key);
      const twin = twins?.find((t) => sameData(t.attributes, attributes));
      if (twin) return twin.id;
      const id = this.push(rule, operands, params, rule.opcode, shape, attributes);
      if (!twins) this.interned.set(key, (twins = []));
      twins.push({ attributes, id });
      return id;
    }
    return this.push(rule, operands, params, rule.opcode, shape, attributes);
  }

  constant(literal: Literal): number {
    return this.emit(ops.constant, [], { literal });
  }

  scalarConstant(element: PrimitiveType, value: number | bigint | boolean): number {
    const values = element === "pred" ? [Boolean(value)] : element === "s64" || element === "u64" ? [typeof value === "bigint" ? value : BigInt(Math.trunc(Number(value)))] : [Number(value)];
    return this.constant({ shape: arrayShape(element, []), values: values as number[] | bigint[] | boolean[] });
  }

  private push<P>(rule: OpRule<P>, operands: number[], params: P, base: string, known?: Shape, knownAttributes?: InstructionAttributes): number {
    const shape = known ?? rule.shape(operands.map((o) => this.shapeOf(o)), params);
    const id = this.module.id();
    const instr: HloInstruction = {
      id,
      name: `${base}.${id}`,
      opcode: rule.opcode,
      shape,
      operands,
      attributes: knownAttributes ?? rule.attributes(params),
      metadata: this.metadata,
    };
    this.module.options.onInstruction?.(instr, rule as OpRule<unknown>, operands.map((o) => this.shapeOf(o)));
    this.instructions.push(instr);
    this.byId.set(id, instr);
    return id;
  }

  /** Finishes the computation with `root`, keeping only parameters and what the root reaches. */
  finish(root: number): HloComputation {
    const live = new Set<number>();
    const stack = [root];
    while (stack.length) {
      const id = stack.pop()!;
      if (live.has(id)) continue;
      live.add(id);
      stack.push(...this.byId.get(id)!.operands);
    }
    const instructions = this.instructions.filter((i) => live.has(i.id) || i.opcode === "parameter");
    return { id: this.id, name: this.name, instructions, rootId: root };
  }
}

// CSE keys: opcode, operands and shape, keyed by hand; a literal goes through JSON.

function shapeKey(shape: Shape): string {
  switch (shape.kind) {
    case "array":
      return `${shape.element}[${shape.dims.join(",")}]`;
    case "tuple":
      return `(${shape.elements.map(shapeKey).join(",")})`;
    case "token":
      return "token";
  }
}

/** Structural equality of attribute data (arrays, plain objects, numbers, strings, booleans); absent and undefined fields are alike. */
function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) {
    // Literal values: NaN is its own twin, -0 and 0 are not (as in internKey).
    return typeof a === "number" && typeof b === "number" ? Object.is(a, b) : false;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameData(a[i], b[i])) return false;
    return true;
  }
  const x = a as Record<string, unknown>, y = b as Record<string, unknown>;
  for (const k in x) if (x[k] !== undefined && !sameData(x[k], y[k])) return false;
  for (const k in y) if (y[k] !== undefined && x[k] === undefined) return false;
  return true;
}

/** JSON keys for CSE that keep apart what JSON.stringify would merge: ±Infinity, NaN, -0 and bigints. */
function internKey(_key: string, v: unknown): unknown {
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "number" && (!Number.isFinite(v) || Object.is(v, -0))) return Object.is(v, -0) ? "-0" : String(v);
  return v;
}
