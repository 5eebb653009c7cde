// Sharding annotations inside Julia code, for entries that run on a device mesh (the manifest's
// `run.mesh`): `with_sharding_constraint(x, (nothing, :data))` asks XLA's SPMD partitioner to have
// x split that way at this point (JAX's function of the same name; Julia dimension order, a mesh
// axis name or `nothing` per dimension). Without a mesh, or on a mesh of one device, it is x itself.

import type { ShardSpec } from "../../plugins/api.js";
import { nearestNames } from "../diagnostics.js";
import { describeValue } from "../semantics/describe.js";
import { xlaSharding } from "../semantics/arrays.js";
import type { Value } from "../semantics/values.js";
import type { IntrinsicLibrary } from "./intrinsics.js";

export function defineSharding(lib: IntrinsicLibrary): void {
  const { define, arity, fail, arrays, interp } = lib;

  define("with_sharding_constraint", (args) => {
    arity(args, "with_sharding_constraint", 2);
    lib.keywords(args, "with_sharding_constraint");
    const [x, spec] = args.positional as [Value, Value];
    const specSpan = args.argSpans[1] ?? args.span;
    if (x.kind !== "tensor") throw lib.methodError("with_sharding_constraint", args, "the first argument must be an array");
    const dims = x.scalar ? 0 : x.size.length;
    if (spec.kind !== "tuple" || spec.elements.some((e) => e.kind !== "symbol" && e.kind !== "nothing"))
      throw fail("invalid-sharding", `with_sharding_constraint: the sharding must be a tuple with a mesh axis (a Symbol such as :data) or nothing per dimension, got ${describeValue(spec)}`, specSpan);
    if (spec.elements.length !== dims)
      throw fail("invalid-sharding", `with_sharding_constraint: the sharding names ${spec.elements.length} dimension(s), the array has ${dims}`, specSpan);
    const shard: ShardSpec = spec.elements.map((e) => (e.kind === "symbol" ? e.name : null));
    const mesh = interp.mesh;
    if (!mesh) return x;
    const names = mesh.axes.map((a) => a.name);
    for (const axis of shard) {
      if (axis === null) continue;
      if (!names.includes(axis)) {
        const near = nearestNames(axis, names);
        throw fail("unknown-mesh-axis", `with_sharding_constraint: the entry's mesh has no axis :${axis} (its axes: ${names.map((n) => `:${n}`).join(", ")})`, specSpan, near.length ? [`did you mean :${near[0]}?`] : undefined);
      }
      if (shard.indexOf(axis) !== shard.lastIndexOf(axis)) throw fail("invalid-sharding", `with_sharding_constraint: mesh axis :${axis} splits two dimensions`, specSpan);
    }
    if (mesh.axes.reduce((n, a) => n * a.size, 1) === 1) return x;
    return arrays.shardingConstraint(x, xlaSharding(mesh, shard));
  });
}
