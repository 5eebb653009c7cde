// The remote cache as the engine sees it: compile artifacts, executables and run results in and out, as plain
// data. The engine asks it after its local cache and before compiling or running, and hands it what
// it compiled or ran; everything about REAPI stays behind this interface (remote-cache.ts).
//
// Artifact entry files: module.hlo.pb, module.hlo.txt, signature.json, info.json (the compile
// stats and sources kept in meta.json). Executable entry file: executable.entry, the runtime's
// self-checking entry (runtime/executable_cache.py), keyed by the runtime's executable digest (which
// covers the module, the devices, and the jax/jaxlib/libtpu, platform and XLA_FLAGS it is valid for,
// so another runtime's executable is a miss). Run entry files: <k>.npy per result leaf, in order.

import type { ArtifactFiles } from "../cache.js";
import { decodeNpy, npyParts } from "../npy.js";
import type { ExecutableStore, Signature, Tensor } from "../../plugins/api.js";
import type { RemoteCacheConfig } from "./config.js";
import { RemoteCache, type RemoteCacheReporter, type RemoteCacheStats } from "./remote-cache.js";

export interface RemoteLayer {
  readonly address: string;
  readonly stats: RemoteCacheStats;
  /** The artifact under `key`, or undefined on a miss. */
  getArtifact(key: string, entry: string): Promise<{ files: ArtifactFiles; bytes: number } | undefined>;
  /** Queues the artifact's upload. */
  putArtifact(key: string, entry: string, files: ArtifactFiles): void;
  /** Compiled executables, by the runtime's executable digest. */
  readonly executables: ExecutableStore;
  /** The results of a run with this fingerprint, checked against the module's signature, or undefined on a miss. */
  getRun(fingerprint: string, entry: string, signature: Signature): Promise<{ tensors: Tensor[]; bytes: number } | undefined>;
  /** Queues the upload of a run's results. */
  putRun(fingerprint: string, entry: string, tensors: Tensor[]): void;
  /**
   * Whether the remote cache holds an entry, asked of its ActionCache alone (no blob is read), for
   * `plan`: an artifact's answer is its module's SHA-256 (the file digest its record lists), or
   * null when it is not there. Undefined: the server did not answer (the layer is off, warned once).
   */
  peekArtifact(key: string, entry: string): Promise<{ hash: string } | null | undefined>;
  has(kind: "executable" | "run", key: string, entry: string): Promise<boolean | undefined>;
  /** Waits for the queued uploads. */
  flush(): Promise<void>;
  /** Waits for the queued uploads, then closes the connection. */
  close(): Promise<void>;
}

const EXECUTABLE_FILE = "executable.entry";
const ARTIFACT = { module: "module.hlo.pb", text: "module.hlo.txt", signature: "signature.json", info: "info.json" } as const;

export function openRemoteLayer(config: RemoteCacheConfig, reporter: RemoteCacheReporter): RemoteLayer {
  const options = config.signingKey ? { endpoint: config.endpoint, write: config.write, signingKey: config.signingKey } : { endpoint: config.endpoint, write: config.write };
  const cache = new RemoteCache(options, reporter);
  const unusable = (what: string, entry: string, why: string): undefined => {
    reporter.warn(`remote cache: the ${what} of ${entry} is not usable (${why}); not used`);
    return undefined;
  };
  return {
    address: cache.address,
    stats: cache.stats,
    async getArtifact(key, entry) {
      const got = await cache.get("artifact", key, entry);
      if (!got) return undefined;
      const module = got.files.get(ARTIFACT.module);
      const text = got.files.get(ARTIFACT.text);
      const signatureText = got.files.get(ARTIFACT.signature);
      if (!module || text === undefined || !signatureText) return unusable("artifact", entry, "a file is missing");
      try {
        const files: ArtifactFiles = { module: new Uint8Array(module), text: text.toString("utf8"), signature: JSON.parse(signatureText.toString("utf8")) as Signature };
        const info = got.files.get(ARTIFACT.info);
        if (info) files.info = JSON.parse(info.toString("utf8")) as Record<string, unknown>;
        return { files, bytes: got.bytes };
      } catch (e) {
        return unusable("artifact", entry, (e as Error).message);
      }
    },
    putArtifact(key, entry, files) {
      const out: { path: string; data: Uint8Array }[] = [
        { path: ARTIFACT.module, data: files.module },
        { path: ARTIFACT.text, data: Buffer.from(files.text, "utf8") },
        { path: ARTIFACT.signature, data: Buffer.from(JSON.stringify(files.signature, null, 2) + "\n", "utf8") },
      ];
      if (files.info !== undefined) out.push({ path: ARTIFACT.info, data: Buffer.from(JSON.stringify(files.info), "utf8") });
      cache.put("artifact", key, entry, out);
    },
    executables: {
      async get(digest, entry) {
        const got = await cache.get("executable", digest, entry);
        if (!got) return undefined;
        const file = got.files.get(EXECUTABLE_FILE);
        if (!file || got.files.size !== 1) return unusable("executable", entry, `it holds ${[...got.files.keys()].join(", ") || "no file"}, not ${EXECUTABLE_FILE}`);
        return { entry: new Uint8Array(file), bytes: got.bytes };
      },
      put(digest, entry, data) {
        cache.put("executable", digest, entry, [{ path: EXECUTABLE_FILE, data }]);
      },
    },
    async getRun(fingerprint, entry, signature) {
      const got = await cache.get("run", fingerprint, entry);
      if (!got) return undefined;
      const tensors: Tensor[] = [];
      for (const [k, leaf] of signature.results.entries()) {
        const bytes = got.files.get(`${k}.npy`);
        if (!bytes) return unusable("run results", entry, `result ${k} is missing`);
        const decoded = decodeNpy(bytes, leaf.eltype);
        if (!decoded.ok) return unusable("run results", entry, decoded.message);
        const t = decoded.value;
        if (t.eltype !== leaf.eltype || t.size.length !== leaf.size.length || t.size.some((d, i) => d !== leaf.size[i]))
          return unusable("run results", entry, `result ${k} is ${t.eltype}[${t.size.join(", ")}], the module returns ${leaf.eltype}[${leaf.size.join(", ")}]`);
        tensors.push(t);
      }
      if (got.files.size !== tensors.length) return unusable("run results", entry, `${got.files.size} files for ${tensors.length} results`);
      return { tensors, bytes: got.bytes };
    },
    putRun(fingerprint, entry, tensors) {
      // The header and the tensor's own bytes: a large result is not copied to be uploaded.
      cache.put("run", fingerprint, entry, tensors.map((t, k) => ({ path: `${k}.npy`, data: npyParts(t) })));
    },
    async peekArtifact(key, entry) {
      const module = (await cache.lookup("artifact", key, entry))?.find((f) => f.path === ARTIFACT.module);
      return module ? { hash: module.digest.hash } : cache.available ? null : undefined;
    },
    async has(kind, key, entry) {
      return (await cache.lookup(kind, key, entry)) !== undefined ? true : cache.available ? false : undefined;
    },
    flush: () => cache.flush(),
    close: () => cache.close(),
  };
}
