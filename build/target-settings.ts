// The manifest's targets checked against the registered target plugins before anything runs (issue
// 16.6): an entry's `run.target` and every `targets.<name>` / `watch.targets.<name>` must name a
// registered target, and each plugin that can check its settings (TargetPlugin.checkSettings) says
// what is wrong with them. Every problem is a manifest error at its place (exit 2), never a run error.

import type { TargetPlugin } from "../plugins/api.js";
import { escapePointerToken } from "./json-locations.js";
import { entryPointer, manifestDiagnosticAt, nearestName, quoted, type ManifestDiagnostic, type ResolvedManifest } from "./manifest.js";

export function targetDiagnostics(manifest: ResolvedManifest, targetOf: (name: string) => TargetPlugin | undefined, registered: string[]): ManifestDiagnostic[] {
  const out: ManifestDiagnostic[] = [];
  for (const name of manifest.order) {
    const run = manifest.entries[name]!.run;
    if (run && !targetOf(run.target))
      out.push(manifestDiagnosticAt(manifest, entryPointer(name, "run"), "unknown-target", `unknown target ${quoted(run.target)}`, { suggestion: nearestName(run.target, registered), notes: [`available targets: ${registered.join(", ")}`] }));
  }
  const declared: [string, string, Record<string, unknown>][] = [
    ...Object.entries(manifest.targets).map(([name, s]): [string, string, Record<string, unknown>] => [`/targets/${escapePointerToken(name)}`, name, s]),
    ...Object.entries(manifest.watchTargets).map(([name, s]): [string, string, Record<string, unknown>] => [`/watch/targets/${escapePointerToken(name)}`, name, s]),
  ];
  for (const [pointer, name, settings] of declared) {
    const target = targetOf(name);
    if (!target) {
      out.push(manifestDiagnosticAt(manifest, pointer, "unknown-target", `settings for an unknown target ${quoted(name)}`, { at: "key", suggestion: nearestName(name, registered), notes: [`available targets: ${registered.join(", ")}`] }));
      continue;
    }
    for (const p of target.checkSettings?.(settings, { workspace: manifest.dir }) ?? []) {
      const at = p.key === undefined ? pointer : `${pointer}/${escapePointerToken(p.key)}`;
      const suggestion = p.suggestion ?? (p.unknownKey && p.key !== undefined ? nearestName(p.key, p.unknownKey) : undefined);
      out.push(manifestDiagnosticAt(manifest, at, p.unknownKey ? "unknown-setting" : "invalid-setting", p.message, { at: p.unknownKey ? "key" : "value", suggestion }));
    }
  }
  return out;
}
