// Value trees, as jax.tree_util treats pytrees: tuples, NamedTuples, vectors and struct instances are the
// nodes; which other values are leaves is the caller's choice (tensors by default); everything
// else (functions, symbols, `nothing`, known fields) is static and kept in the tree definition.
// Flattening is depth-first, left to right, and this order is part of the compiler's output: HLO
// parameters, loop-carried tuples and entry results all list leaves in it.

import type { NamedTupleValue, StructValue, Tensor, TupleValue, Value, VectorValue } from "./values.js";
import { NOTHING, tuple } from "./values.js";
import { datatype } from "./types.js";

export type TreeNode = TupleValue | NamedTupleValue | StructValue | VectorValue;

/** One step from a node to a child: a tuple position (0-based), a NamedTuple name or a struct field. */
export type TreeKey = { kind: "index"; index: number } | { kind: "name"; name: string } | { kind: "field"; name: string };
export type TreePath = readonly TreeKey[];

/** A tree's structure without its leaves: what `treeUnflatten` needs to rebuild it. */
export type TreeDef = { kind: "leaf" } | { kind: "static"; value: Value } | { kind: "node"; node: TreeNode; children: TreeDef[] };

export type IsLeaf = (v: Value, path: TreePath) => boolean;

export const isTensor = (v: Value): v is Tensor => v.kind === "tensor";

/** A node's children, or undefined for a value that is not a node. */
export function treeChildren(v: Value): Value[] | undefined {
  return v.kind === "tuple" || v.kind === "namedtuple" || v.kind === "vector" ? v.elements : v.kind === "struct" ? v.fields : undefined;
}

/** The key of a node's `i`th child. */
export function childKey(node: TreeNode, i: number): TreeKey {
  return node.kind === "tuple" || node.kind === "vector" ? { kind: "index", index: i } : node.kind === "namedtuple" ? { kind: "name", name: node.names[i]! } : { kind: "field", name: node.type.fieldNames[i]! };
}

/** A path as Julia writes the access: `[2]` for a tuple position, `.w` for a name or field. */
export function keyText(key: TreeKey): string {
  return key.kind === "index" ? `[${key.index + 1}]` : `.${key.name}`;
}

export function pathText(root: string, path: TreePath): string {
  return root + path.map(keyText).join("");
}

/** Whether the path passes through a struct field (values inside a struct may stay known). */
export function insideStruct(path: TreePath): boolean {
  return path.some((k) => k.kind === "field");
}

export interface Flattened {
  leaves: Value[];
  /** Each leaf's path from the root, in leaf order. */
  paths: TreePath[];
  def: TreeDef;
}

export function treeFlatten(v: Value, isLeaf: IsLeaf = isTensor): Flattened {
  const leaves: Value[] = [];
  const paths: TreePath[] = [];
  const walk = (x: Value, path: TreeKey[]): TreeDef => {
    if (isLeaf(x, path)) {
      leaves.push(x);
      paths.push(path);
      return { kind: "leaf" };
    }
    const sub = treeChildren(x);
    if (!sub) return { kind: "static", value: x };
    const node = x as TreeNode;
    return { kind: "node", node, children: sub.map((c, i) => walk(c, [...path, childKey(node, i)])) };
  };
  const def = walk(v, []);
  return { leaves, paths, def };
}

/** The tree `def` describes with its leaves taken from `leaves`, in order. */
export function treeUnflatten(def: TreeDef, leaves: readonly Value[]): Value {
  let next = 0;
  const build = (d: TreeDef): Value => {
    switch (d.kind) {
      case "leaf":
        return leaves[next++]!;
      case "static":
        return d.value;
      case "node": {
        const sub = d.children.map(build);
        const n = d.node;
        return n.kind === "tuple" ? tuple(sub) : n.kind === "namedtuple" || n.kind === "vector" ? { ...n, elements: sub } : { ...n, fields: sub };
      }
    }
  };
  return build(def);
}

/** The tree with each leaf replaced by `f(leaf, path)`, called in leaf order. */
export function treeMap(v: Value, f: (leaf: Value, path: TreePath) => Value, isLeaf: IsLeaf = isTensor): Value {
  const { leaves, paths, def } = treeFlatten(v, isLeaf);
  return treeUnflatten(def, leaves.map((x, i) => f(x, paths[i]!)));
}

export function tensorLeaves(v: Value): Tensor[] {
  return treeFlatten(v).leaves as Tensor[];
}

/**
 * Zygote's and Optimisers.jl's structural form of a tree: structs become NamedTuples of their
 * fields, every non-node value becomes `leaf(value)`, and a node whose children are all `nothing`
 * is `nothing` itself (the gradient of a tree with no differentiable leaves).
 */
export function structuralMap(v: Value, leaf: (x: Value) => Value): Value {
  const sub = treeChildren(v);
  if (!sub) return leaf(v);
  const elements = sub.map((c) => structuralMap(c, leaf));
  if (elements.every((e) => e.kind === "nothing")) return NOTHING;
  if (v.kind === "tuple") return tuple(elements);
  if (v.kind === "vector") return { kind: "vector", eltype: datatype("Any"), elements };
  return { kind: "namedtuple", names: v.kind === "namedtuple" ? v.names : (v as StructValue).type.fieldNames, elements };
}
