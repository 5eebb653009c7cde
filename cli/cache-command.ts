// `tpu-build cache ls|gc|clean`: the local caches (artifacts and the runtime's executables) as
// build/cache-upkeep.ts sees them. Safe while a build runs: removals are atomic, and a build that
// misses an entry compiles it again.

import { relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { EXIT } from "../build/events.js";
import type { CacheEntry } from "../build/cache-upkeep.js";
import { cacheCap, cacheLocations, cleanCache, collectGarbage, listCache } from "../build/cache-upkeep.js";
import { formatBytes, parseByteSize, SIZE_EXAMPLES } from "../build/limits.js";
import { loadManifest, renderManifestDiagnostic } from "../build/manifest.js";
import { withManifestPlugins } from "../build/manifest-plugins.js";
import { builtinRegistry } from "../plugins/builtin.js";

export const CACHE_USAGE = `Usage: tpu-build cache ls|gc|clean [--config FILE] [--profile NAME] [--json] [--max-size SIZE]

  ls     every artifact and compiled executable: size, entry, last use (most recent first)
  gc     remove temporaries left by crashed builds, then the least recently used entries
         until both caches hold at most the size cap: --max-size, else TPU_BUILD_CACHE_MAX,
         else the manifest's cache.maxSize (without a cap only temporaries go)
  clean  remove every entry

A build running meanwhile is safe: it compiles again what it misses.`;

export async function cacheCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { config: { type: "string" }, profile: { type: "string" }, json: { type: "boolean", default: false }, "max-size": { type: "string" }, help: { type: "boolean", short: "h", default: false } },
    });
  } catch (e) {
    process.stderr.write(`tpu-build cache: ${(e as Error).message}\n\n${CACHE_USAGE}\n`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  const action = positionals[0];
  if (values.help) {
    process.stdout.write(`${CACHE_USAGE}\n`);
    return EXIT.ok;
  }
  if (action !== "ls" && action !== "gc" && action !== "clean") {
    process.stderr.write(`tpu-build cache: ${action === undefined ? "needs" : `unknown action "${action}"; use`} ls, gc or clean\n\n${CACHE_USAGE}\n`);
    return EXIT.usage;
  }
  const loaded = await loadManifest(resolve(values.config ?? "tpu.config.json"), values.profile !== undefined ? { profile: values.profile } : {});
  if (!loaded.ok) {
    for (const d of loaded.diagnostics) process.stderr.write(`${renderManifestDiagnostic(d, loaded.text)}\n`);
    return EXIT.invalidManifest;
  }
  const plugins = await withManifestPlugins(loaded.manifest, builtinRegistry());
  if (!plugins.ok) {
    for (const d of plugins.diagnostics) process.stderr.write(`${renderManifestDiagnostic(d, loaded.manifest.text)}\n`);
    return EXIT.invalidManifest;
  }
  const locations = cacheLocations(loaded.manifest, plugins.registry);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const json = values.json ?? false;
  switch (action) {
    case "ls": {
      const entries = (await listCache(locations)).reverse();
      if (json) out(JSON.stringify(entries.map(entryJson), null, 2));
      else {
        for (const e of entries) out(`${e.kind.padEnd(10)} ${e.key.slice(0, 12)}  ${formatBytes(e.bytes).padStart(10)}  ${new Date(e.usedAt).toISOString()}  ${e.entry ?? relative(process.cwd(), e.path)}`);
        out(`${entries.length} ${entries.length === 1 ? "entry" : "entries"}, ${formatBytes(entries.reduce((sum, e) => sum + e.bytes, 0))}`);
      }
      return EXIT.ok;
    }
    case "gc": {
      let maxBytes: number | undefined;
      if (values["max-size"] !== undefined) {
        maxBytes = parseByteSize(values["max-size"]);
        if (maxBytes === undefined) {
          process.stderr.write(`tpu-build cache gc: --max-size ${JSON.stringify(values["max-size"])} is not a size: give ${SIZE_EXAMPLES}\n`);
          return EXIT.usage;
        }
      } else {
        const cap = cacheCap(loaded.manifest.cacheMaxBytes);
        if ("problem" in cap) {
          process.stderr.write(`tpu-build cache gc: ${cap.problem}\n`);
          return EXIT.usage;
        }
        maxBytes = cap.maxBytes;
      }
      const gc = await collectGarbage(locations, maxBytes);
      if (json) out(JSON.stringify({ ...gc, removed: gc.removed.map(entryJson), ...(maxBytes !== undefined ? { maxBytes } : {}) }, null, 2));
      else if (gc.skipped) out("another tpu-build cache gc is running; nothing done");
      else {
        const cap = maxBytes === undefined ? "no size cap (cache.maxSize or TPU_BUILD_CACHE_MAX)" : `cap ${formatBytes(maxBytes)}`;
        out(`removed ${gc.removed.length} ${gc.removed.length === 1 ? "entry" : "entries"} (${formatBytes(gc.freedBytes)}) and ${gc.staleTemporaries} stale temporaries; kept ${gc.keptEntries} (${formatBytes(gc.keptBytes)}), ${cap}`);
      }
      return EXIT.ok;
    }
    case "clean": {
      const cleaned = await cleanCache(locations);
      if (json) out(JSON.stringify({ removed: cleaned.removed.map(entryJson), freedBytes: cleaned.freedBytes }, null, 2));
      else out(`removed ${cleaned.removed.length} ${cleaned.removed.length === 1 ? "entry" : "entries"} (${formatBytes(cleaned.freedBytes)})`);
      return EXIT.ok;
    }
  }
}

function entryJson(e: CacheEntry): Record<string, unknown> {
  return { kind: e.kind, key: e.key, ...(e.entry !== undefined ? { entry: e.entry } : {}), path: e.path, bytes: e.bytes, usedAt: new Date(e.usedAt).toISOString() };
}
