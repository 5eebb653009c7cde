// How an array is split over a device mesh, as XLA's OpSharding says it (xla_data.proto), for
// SPMD modules: the entry's parameters and results and the Sharding custom call carry one, and
// XLA's SPMD partitioner inserts the collectives. Dimensions here are XLA's; the mesh's devices are
// the partitions 0..n-1 laid out row-major over the mesh axes (as JAX lays out a Mesh's devices).

import type { HloSharding } from "./ir.js";

/**
 * The sharding of an array whose XLA dimension d is split over mesh axis `dimAxes[d]` (-1: not
 * split); mesh axes that split no dimension hold copies. Same layout as JAX's NamedSharding: the
 * tile assignment is the mesh's device grid with the splitting axes first (in dimension order) and
 * the replicating ones last, folded into one trailing dimension (replicate_on_last_tile_dim).
 */
export function meshSharding(meshShape: number[], dimAxes: number[]): HloSharding {
  const used = dimAxes.filter((a) => a >= 0);
  if (new Set(used).size !== used.length) throw new Error(`internal: a mesh axis splits two dimensions (${dimAxes.join(",")})`);
  if (used.length === 0) return { kind: "replicated" };
  const unused = meshShape.map((_, a) => a).filter((a) => !used.includes(a));
  const order = [...used, ...unused];
  const tileAssignmentDimensions = dimAxes.map((a) => (a >= 0 ? meshShape[a]! : 1));
  const copies = unused.reduce((n, a) => n * meshShape[a]!, 1);
  if (copies > 1) tileAssignmentDimensions.push(copies);
  return { kind: "tiled", tileAssignmentDimensions, tileAssignmentDevices: transposedIota(meshShape, order), replicateOnLastTileDim: copies > 1 };
}

/** The device ids 0..n-1 on a row-major grid of `shape`, read out with its axes in `order`. */
function transposedIota(shape: number[], order: number[]): number[] {
  const strides = shape.map((_, a) => shape.slice(a + 1).reduce((n, d) => n * d, 1));
  const out: number[] = [];
  const index = order.map(() => 0);
  const total = shape.reduce((n, d) => n * d, 1);
  for (let k = 0; k < total; k++) {
    out.push(order.reduce((id, axis, i) => id + index[i]! * strides[axis]!, 0));
    for (let i = order.length - 1; i >= 0; i--) {
      if (++index[i]! < shape[order[i]!]!) break;
      index[i] = 0;
    }
  }
  return out;
}
