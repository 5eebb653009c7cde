// Which entries a build or a plan covers: the ones named on the command line and, transitively,
// those whose results they take (`from`). No names: every entry.

import { boundedMessage, nearestNames } from "../compiler/diagnostics.js";
import type { EventDiagnostic } from "./events.js";
import { displayPathOf, type ResolvedManifest } from "./manifest.js";

/** How many entry names an unknown-name error lists when none is near. */
const LISTED = 12;

export type Selection = { ok: true; selected: Set<string> } | { ok: false; diagnostics: EventDiagnostic[] };

export function selectEntries(manifest: ResolvedManifest, names: readonly string[] | undefined): Selection {
  if (!names?.length) return { ok: true, selected: new Set(manifest.order) };
  const diagnostics = names.filter((n) => !manifest.entries[n]).map((n) => unknownEntry(manifest, n));
  if (diagnostics.length) return { ok: false, diagnostics };
  // Dependents come after their dependencies in `order`: one backward pass, no recursion.
  const selected = new Set(names);
  for (const name of [...manifest.order].reverse()) if (selected.has(name)) for (const d of manifest.entries[name]!.dependencies) selected.add(d);
  return { ok: true, selected };
}

function unknownEntry(manifest: ResolvedManifest, name: string): EventDiagnostic {
  // The name comes from the command line: quoted in part when it is long (issue 16.7).
  const message = boundedMessage(`no entry named ${JSON.stringify(name)} in ${displayPathOf(manifest.path)}`);
  const near = nearestNames(name, manifest.order, 3);
  const listed = manifest.order.slice(0, LISTED).join(", ") + (manifest.order.length > LISTED ? `, … (${manifest.order.length} in all)` : "");
  const note = near.length ? `did you mean ${near.map((n) => JSON.stringify(n)).join(", ")}?` : `entries: ${listed || "none"}`;
  return { code: "unknown-entry", message, rendered: `error: ${message}\n  note: ${note}` };
}
