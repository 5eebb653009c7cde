// VGG19's backward pass compiles to one HLO module (the paper's second claim). Its size is reported
// beside the forward pass's, for the small (32×32, 10 classes) and the paper's (224×224, batch 100,
// 1000 classes) configurations of examples/vgg19.jl.

import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import type { ArgSpec } from "../../plugins/api.js";
import { compileEntry } from "../../compiler/compile.js";
import { juliaCompiler } from "../../plugins/julia/index.js";

const VGG = readFileSync(new URL("../../examples/vgg19.jl", import.meta.url), "utf8");
const SOURCE = `${VGG}
using Flux
function vgg19_gradient(seed, imsize, nclasses, x, y)
    model = vgg19(seed, imsize, nclasses)
    l, g = Flux.withgradient(m -> Flux.logitcrossentropy(m(x), y), model)
    return l, g[1]
end
function vgg19_forward_loss(seed, imsize, nclasses, x, y)
    model = vgg19(seed, imsize, nclasses)
    return Flux.logitcrossentropy(model(x), y)
end
`;

const test = suite("VGG19 backward pass");

const compile = (fn: string, imsize: number, batch: number, classes: number) => {
  const read = (p: string) => (p === "vgg.jl" ? SOURCE : undefined);
  const args: ArgSpec[] = [
    { kind: "const", value: 19 },
    { kind: "const", value: imsize },
    { kind: "const", value: classes },
    { kind: "runtime", type: { kind: "array", eltype: "Float32", size: [imsize, imsize, 3, batch] } },
    { kind: "runtime", type: { kind: "array", eltype: "Float32", size: [classes, batch] } },
  ];
  const r = compileEntry({ entry: fn, file: "vgg.jl", function: fn, args, readSource: read });
  if (!r.ok) throw new Error(r.diagnostics.map((d) => juliaCompiler.render(d, read)).join("\n"));
  return r;
};

for (const [label, imsize, batch, classes] of [["32×32, batch 2, 10 classes", 32, 2, 10], ["224×224, batch 100, 1000 classes (the paper's)", 224, 100, 1000]] as const) {
  test(`VGG19 (${label}): the whole backward pass is one module; sizes beside the forward's`, () => {
    const fwd = compile("vgg19_forward_loss", imsize, batch, classes);
    const bwd = compile("vgg19_gradient", imsize, batch, classes);
    assert.ok(fwd.ok && bwd.ok);
    if (!fwd.ok || !bwd.ok) return;
    const entry = (text: string) => {
      const body = text.slice(text.indexOf("ENTRY"));
      return body.split("\n").filter((l) => l.trim() && !l.startsWith("ENTRY") && l.trim() !== "}").length;
    };
    console.log(`  VGG19 ${label}: forward+loss ${fwd.stats.instructions} instructions (${entry(fwd.text)} in the entry) in ${fwd.stats.computations} computations; ` +
      `loss+gradient ${bwd.stats.instructions} instructions (${entry(bwd.text)} in the entry) in ${bwd.stats.computations} computations`);
    // 16 convolution kernels + 16 biases + 3 dense weights + 3 biases: 38 gradient results and the loss.
    assert.is(bwd.signature.results.length, 39);
    assert.ok((bwd.text.match(/ convolution\(/g) ?? []).length >= 16 * 3 - 1, "forward, input and kernel convolutions");
  });
}

test.run();
