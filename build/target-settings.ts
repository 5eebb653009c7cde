// The manifest's targets checked against the registered target plugins before anything runs (issue
// 16.6): an entry's `run.target` must name a declared or registered target, every `targets.<name>`
// / `watch.targets.<name>` a registered plugin (by its `kind`, default its name), and each plugin
// that can check its settings (TargetPlugin.checkSettings) says what is wrong with them. Every
// problem is a manifest error at its place (exit 2), never a run error.

import type { TargetPlugin } from "../plugins/api.js";
import { escapePointerToken } from "./json-locations.js";
import { entryPointer, manifestDiagnosticAt, nearestName, quoted, reportedDiagnostics, targetKind, targetNames, targetSettings, type ManifestDiagnostic, type ManifestSections } from "./manifest.js";

/** `pluginOf` finds a plugin by its registered name (a target's kind); `registered` lists them. */
export function targetDiagnostics(manifest: ManifestSections, pluginOf: (kind: string) => TargetPlugin | undefined, registered: string[]): ManifestDiagnostic[] {
  const out: ManifestDiagnostic[] = [];
  const usable = targetNames(manifest, registered);
  for (const run of manifest.runs) {
    // A declared target with an unknown kind is reported once, at its kind.
    if (!Object.hasOwn(manifest.targets, run.target) && !pluginOf(run.target))
      out.push(manifestDiagnosticAt(manifest, entryPointer(run.entry, "run"), "unknown-target", `unknown target ${quoted(run.target)}`, { suggestion: nearestName(run.target, usable), notes: [`available targets: ${usable.join(", ")}`] }));
  }
  // Watch settings are checked merged over the declared ones (a remote target's `watch.targets`
  // need not repeat its address), and only their own keys are reported there.
  type Declared = [pointer: string, name: string, settings: Record<string, unknown>, own?: Record<string, unknown>];
  const declared: Declared[] = [
    ...Object.keys(manifest.targets).map((name): Declared => [`/targets/${escapePointerToken(name)}`, name, targetSettings(manifest, name, false)]),
    ...Object.entries(manifest.watchTargets).map(([name, s]): Declared => [`/watch/targets/${escapePointerToken(name)}`, name, targetSettings(manifest, name, true), s]),
  ];
  for (const [pointer, name, settings, own] of declared) {
    const kind = targetKind(manifest, name);
    const target = pluginOf(kind);
    if (!target) {
      if (kind !== name)
        out.push(manifestDiagnosticAt(manifest, `${pointer}/kind`, "unknown-target", `unknown target kind ${quoted(kind)}`, { suggestion: nearestName(kind, registered), notes: [`target kinds: ${registered.join(", ")}`] }));
      else
        out.push(manifestDiagnosticAt(manifest, pointer, "unknown-target", `settings for an unknown target ${quoted(name)}`, { at: "key", suggestion: nearestName(name, registered), notes: [`available targets: ${registered.join(", ")}; another name needs "kind" (e.g. "kind": "remote")`] }));
      continue;
    }
    for (const p of target.checkSettings?.(settings, { workspace: manifest.dir }) ?? []) {
      if (own && !(p.key !== undefined && Object.hasOwn(own, p.key))) continue;
      const at = p.key === undefined ? pointer : `${pointer}/${escapePointerToken(p.key)}`;
      const suggestion = p.suggestion ?? (p.unknownKey && p.key !== undefined ? nearestName(p.key, p.unknownKey) : undefined);
      out.push(manifestDiagnosticAt(manifest, at, p.unknownKey ? "unknown-setting" : "invalid-setting", p.message, { at: p.unknownKey ? "key" : "value", suggestion }));
    }
  }
  return reportedDiagnostics(out);
}
