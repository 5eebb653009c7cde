// Graph pictures: DOT text laid out and drawn as SVG by Graphviz itself, compiled to WebAssembly
// (@viz-js/viz, MIT; its wasm is inside the package, so it works offline). We write DOT and never
// place a node ourselves. Loaded only by the commands that draw (~1 MB of wasm).

import type { Viz } from "@viz-js/viz";

let viz: Promise<Viz> | undefined;

/** DOT text as SVG; a DOT Graphviz rejects is an internal error (we wrote it), with Graphviz's words. */
export async function renderSvg(dot: string): Promise<string> {
  viz ??= import("@viz-js/viz").then((m) => m.instance());
  const result = (await viz).render(dot, { format: "svg" });
  if (result.status !== "success") throw new Error(`internal error: Graphviz could not draw the graph: ${result.errors.map((e) => e.message).join("; ")}`);
  return result.output;
}

/**
 * SVG for inside an HTML page: without the XML prolog, DOCTYPE and comments Graphviz writes for a
 * stand-alone file (the DOCTYPE names a URL; the page must name none).
 */
export function inlineSvg(svg: string): string {
  return svg
    .replace(/<\?xml[^>]*\?>\s*/, "")
    .replace(/<!DOCTYPE[^>]*>\s*/, "")
    .replace(/<!--[\s\S]*?-->\s*/g, "")
    .replace(/ xmlns(:xlink)?="[^"]*"/g, "");
}

/** A DOT string literal (a node name or label): `"` and `\` escaped, line breaks as DOT's centred `\n`. */
export function dotString(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\r?\n/g, "\\n")}"`;
}
