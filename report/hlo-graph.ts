// An HLO module as a picture (`tpu-build inspect --svg`): one node per instruction (its name,
// opcode and XLA shape), an edge from each operand to its user, one cluster per computation, and a
// dashed edge from an instruction to the root of each computation it calls (a while's body, a
// reduce's reducer). Read from the HloModuleProto bytes, so it shows what XLA is given.

import type { DecodedShape } from "../compiler/hlo/encode.js";
import { decodeHloModule } from "../compiler/hlo/encode.js";
import { dotString } from "./graphviz.js";

/** XLA's own spelling of a shape: `f32[10,32]`, `(f32[10], s64[])`. */
function shapeText(s: DecodedShape | undefined): string {
  if (!s) return "";
  if (s.elementType === "TUPLE") return `(${s.tupleShapes.map(shapeText).join(", ")})`;
  return `${(s.elementType ?? "?").toLowerCase()}[${s.dimensions.join(",")}]`;
}

const SHAPE_OF_OPCODE: Record<string, string> = { parameter: "ellipse", constant: "plain", tuple: "house" };

export function hloGraphDot(module: Uint8Array): string {
  const decoded = decodeHloModule(module);
  const node = (computation: number | undefined, instruction: number | undefined) => dotString(`c${computation ?? 0}.i${instruction ?? 0}`);
  const roots = new Map(decoded.computations.map((c) => [c.id, node(c.id, c.rootId)]));
  const lines = [`digraph ${dotString(decoded.name ?? "module")} {`, '  node [shape=box, fontname="Helvetica", fontsize=10];', '  edge [color="#555555"];'];
  const edges: string[] = [];
  for (const c of decoded.computations) {
    const isEntry = c.id === decoded.entryComputationId;
    lines.push(`  subgraph cluster_${c.id ?? 0} {`, `    label=${dotString(`${isEntry ? "ENTRY " : ""}${c.name ?? ""}`)}; style="rounded"; color="${isEntry ? "#3366aa" : "#aaaaaa"}"; fontname="Helvetica";`);
    for (const i of c.instructions) {
      const opcode = i.opcode ?? "?";
      const attrs = [`label=${dotString(`${i.name ?? ""}\n${opcode} ${shapeText(i.shape)}`)}`];
      const shape = SHAPE_OF_OPCODE[opcode];
      if (shape) attrs.push(`shape=${shape}`);
      if (i.id === c.rootId) attrs.push("penwidth=2");
      lines.push(`    ${node(c.id, i.id)} [${attrs.join(", ")}];`);
      for (const operand of i.operandIds) edges.push(`  ${node(c.id, operand)} -> ${node(c.id, i.id)};`);
      for (const called of i.calledComputationIds) {
        const root = roots.get(called);
        if (root) edges.push(`  ${root} -> ${node(c.id, i.id)} [style=dashed, color="#8888aa"];`);
      }
    }
    lines.push("  }");
  }
  lines.push(...edges, "}");
  return `${lines.join("\n")}\n`;
}
