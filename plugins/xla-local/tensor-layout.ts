// Julia tensors <-> the runtime's XLA shapes.
//
// A Julia array of size (d1, ..., dN) is stored column-major; XLA's default layout is row-major.
// The same bytes are therefore the XLA array [dN, ..., d1]: crossing the boundary reverses the
// dimensions and never moves a byte (DESIGN.md §3).

import type { ElementType, MeshSpec, Tensor, TensorLayout } from "../api.js";
import { meshSize } from "../api.js";
import type { XlaPlacement } from "./runtime-client.js";
import { ELEMENT_TYPES, ELTYPES } from "../../compiler/eltypes.js";
import type { PrimitiveType__Output as PrimitiveTypeName } from "./generated/tpubuild/runtime/PrimitiveType.js";

export type { PrimitiveTypeName };

/** An array shape in XLA order, as the runtime speaks it. */
export interface XlaShape {
  elementType: PrimitiveTypeName;
  dims: number[];
}

const PRIMITIVE_TYPE = Object.fromEntries(ELEMENT_TYPES.map((t) => [t, ELTYPES[t].xlaName])) as Record<ElementType, PrimitiveTypeName>;

const ELEMENT_TYPE = new Map<PrimitiveTypeName, ElementType>(Object.entries(PRIMITIVE_TYPE).map(([julia, xla]) => [xla, julia as ElementType]));

/** Bytes per element: the element types' own, and the runtime's complex types, which Julia tensors do not use here. */
const BYTES: Record<PrimitiveTypeName, number> = {
  ...(Object.fromEntries(ELEMENT_TYPES.map((t) => [ELTYPES[t].xlaName, ELTYPES[t].bytes])) as Record<PrimitiveTypeName, number>),
  PRIMITIVE_TYPE_INVALID: 0,
  C64: 8,
  C128: 16,
};

/** The devices (ordinals) of a mesh, in its row-major order: the target's first ones. */
export function meshDevices(mesh: MeshSpec): number[] {
  return Array.from({ length: meshSize(mesh) }, (_, k) => k);
}

/**
 * A tensor's placement over a mesh as the runtime speaks it: the mesh's devices are the first ones
 * (ordinals 0..n-1, row-major over the axes) and each XLA dimension names the axis splitting it.
 */
export function xlaPlacement(layout: TensorLayout, rank: number): XlaPlacement {
  const { mesh, shard } = layout;
  const devices = meshDevices(mesh);
  const juliaAxes = shard ?? new Array<string | null>(rank).fill(null);
  return { devices, meshShape: mesh.axes.map((a) => a.size), dimAxes: [...juliaAxes].reverse().map((name) => (name === null ? -1 : mesh.axes.findIndex((a) => a.name === name))) };
}

/** A block of a Julia array: where it starts and its size, both in Julia order. */
export interface ArrayBlock {
  start: number[];
  size: number[];
}

/**
 * The smallest block of an array of Julia size `size`, laid out as `layout` says, that holds the
 * shards of the given mesh devices (ordinals, which are mesh positions): on a pod slice, what one
 * host's devices need. Each host holds consecutive ordinals, so this is exactly their shards for
 * the usual meshes (the batch split over all hosts' devices), and never less than them.
 */
export function shardBlock(layout: TensorLayout, size: readonly number[], devices: readonly number[]): ArrayBlock {
  const sizes = layout.mesh.axes.map((a) => a.size);
  const indexOn = (device: number, axis: number) => Math.floor(device / sizes.slice(axis + 1).reduce((n, s) => n * s, 1)) % sizes[axis]!;
  const start: number[] = [];
  const length: number[] = [];
  size.forEach((d, i) => {
    const name = layout.shard?.[i] ?? null;
    const axis = name === null ? -1 : layout.mesh.axes.findIndex((a) => a.name === name);
    if (axis < 0 || devices.length === 0) {
      start.push(0);
      length.push(d);
      return;
    }
    const chunk = d / sizes[axis]!;
    const indices = devices.map((p) => indexOn(p, axis));
    const [lo, hi] = [Math.min(...indices), Math.max(...indices)];
    start.push(lo * chunk);
    length.push((hi - lo + 1) * chunk);
  });
  return { start, size: length };
}

/** The bytes of a block of a column-major Julia tensor, column-major too. */
export function sliceBlock(tensor: Tensor, block: ArrayBlock): Tensor {
  const element = bytesPerElement(primitiveTypeOf(tensor.eltype));
  const rank = tensor.size.length;
  const out = new Uint8Array(block.size.reduce((n, d) => n * d, 1) * element);
  if (out.byteLength === 0) return { eltype: tensor.eltype, size: [...block.size], data: out };
  // Column-major: the first dimension's run of a block row is contiguous; walk the others.
  const run = (rank ? block.size[0]! : 1) * element;
  const strides: number[] = []; // bytes between neighbours along each dimension
  for (let i = 0, stride = element; i < rank; stride *= tensor.size[i]!, i++) strides.push(stride);
  const index = new Array<number>(rank).fill(0);
  const source = tensor.data;
  for (let written = 0; written < out.byteLength; written += run) {
    let offset = 0;
    for (let i = 0; i < rank; i++) offset += (block.start[i]! + (i === 0 ? 0 : index[i]!)) * strides[i]!;
    out.set(source.subarray(offset, offset + run), written);
    for (let i = 1; i < rank && ++index[i]! === block.size[i]; i++) index[i] = 0;
  }
  return { eltype: tensor.eltype, size: [...block.size], data: out };
}

export function primitiveTypeOf(eltype: ElementType): PrimitiveTypeName {
  const t = PRIMITIVE_TYPE[eltype];
  if (!t) throw new Error(`unknown element type ${JSON.stringify(eltype)}`);
  return t;
}

/** The Julia element type of an XLA one, or undefined for types Julia tensors do not use here (complex). */
export function elementTypeOf(type: PrimitiveTypeName): ElementType | undefined {
  return ELEMENT_TYPE.get(type);
}

export function bytesPerElement(type: PrimitiveTypeName): number {
  return BYTES[type];
}

export function byteSize(shape: XlaShape): number {
  return shape.dims.reduce((n, d) => n * d, 1) * bytesPerElement(shape.elementType);
}

/** Julia size (column-major) -> XLA dims (row-major), same bytes. */
export function xlaShapeOf(eltype: ElementType, size: readonly number[]): XlaShape {
  return { elementType: primitiveTypeOf(eltype), dims: [...size].reverse() };
}

/** XLA dims -> Julia size. */
export function juliaSizeOf(dims: readonly number[]): number[] {
  return [...dims].reverse();
}

export function tensorByteSize(t: Pick<Tensor, "eltype" | "size">): number {
  return byteSize(xlaShapeOf(t.eltype, t.size));
}

/** How a Julia type and size read in messages: `Float32 3×4`, `Float64 scalar`. */
export function describeJulia(eltype: ElementType, size: readonly number[]): string {
  return size.length === 0 ? `${eltype} scalar` : `${eltype} ${size.join("×")}`;
}

/** How an XLA shape reads in HLO text: `f32[4,3]`. */
export function describeXla(shape: XlaShape): string {
  return `${shape.elementType.toLowerCase()}[${shape.dims.join(",")}]`;
}
