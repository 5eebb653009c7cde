// The remote cache's settings for a build: the manifest's `remoteCache` section (already checked
// against the schema by the manifest loader), or TPU_BUILD_REMOTE_CACHE over it (for CI), with
// secrets read from where the section says (an environment variable or a file, never the manifest).
//
// TPU_BUILD_REMOTE_CACHE is "off" (no remote cache), an address (grpc://host:port or
// grpcs://host:port, replacing the section's address and keeping the rest), or a JSON object of the
// section's form (replacing it; paths in it are relative to the manifest's directory).
//
// A bad override is an error of the build's configuration (exit 2, like a bad manifest). A secret
// that cannot be read turns the remote cache off with a warning: without its signing key a build
// must not read unsigned entries, and the remote cache is never a dependency.

import type { ValidateFunction } from "ajv";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { readSecret } from "../../plugins/secret.js";
import type { RemoteCache as RemoteCacheSection } from "../../schema/manifest.js";
import * as generatedValidators from "../../schema/manifest-validate.js";
import type { ReapiEndpoint } from "./reapi-client.js";

export const REMOTE_CACHE_ENV = "TPU_BUILD_REMOTE_CACHE";

export interface RemoteCacheConfig {
  endpoint: ReapiEndpoint;
  signingKey?: Buffer;
  write: boolean;
  /** Where the settings came from, for messages. */
  source: "manifest" | typeof REMOTE_CACHE_ENV;
}

export type RemoteCacheConfigResult =
  /** `config` absent: no remote cache in this build. `warning`: it was configured but cannot be used. */
  | { ok: true; config?: RemoteCacheConfig; warning?: string }
  /** `pointer`: where in the manifest's `remoteCache` the problem is (absent: it is the environment's). */
  | { ok: false; message: string; pointer?: string };

const ADDRESS = /^grpcs?:\/\/(\[[0-9A-Fa-f:.]+\]|[^/:\s]+):[0-9]{1,5}\/?$/;

/** The section in force: the manifest's, or the environment's override of it. */
function effectiveSection(section: RemoteCacheSection | undefined, env: NodeJS.ProcessEnv): { ok: true; section?: RemoteCacheSection; source: RemoteCacheConfig["source"] } | { ok: false; message: string } {
  const override = env[REMOTE_CACHE_ENV]?.trim();
  if (!override) return { ok: true, section, source: "manifest" };
  if (override === "off") return { ok: true, source: REMOTE_CACHE_ENV };
  if (!override.startsWith("{")) {
    if (!ADDRESS.test(override)) return { ok: false, message: `${REMOTE_CACHE_ENV}=${JSON.stringify(override)}: expected "off", an address grpc://host:port or grpcs://host:port, or a JSON object like the manifest's "remoteCache"` };
    return { ok: true, section: { ...(section ?? {}), address: override }, source: REMOTE_CACHE_ENV };
  }
  let value: unknown;
  try {
    value = JSON.parse(override);
  } catch (e) {
    return { ok: false, message: `${REMOTE_CACHE_ENV}: invalid JSON (${(e as Error).message})` };
  }
  const validate = (generatedValidators as unknown as Record<string, ValidateFunction>).remoteCache!;
  if (!validate(value)) {
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? e.keyword}${e.keyword === "additionalProperties" ? ` (${String(e.params.additionalProperty)})` : ""}`);
    return { ok: false, message: `${REMOTE_CACHE_ENV} is not a valid "remoteCache" object: ${[...new Set(problems)].join("; ")}` };
  }
  return { ok: true, section: value as RemoteCacheSection, source: REMOTE_CACHE_ENV };
}

/** The remote cache for a build of the manifest in `dir`. Never throws. */
export function remoteCacheConfig(section: RemoteCacheSection | undefined, dir: string, env: NodeJS.ProcessEnv = process.env): RemoteCacheConfigResult {
  const effective = effectiveSection(section, env);
  if (!effective.ok) return effective;
  const s = effective.section;
  if (!s) return { ok: true };
  // A problem of the manifest's own section is located there; the environment's is not in the manifest.
  const at = (pointer: string) => (effective.source === "manifest" ? { pointer } : {});
  const off = (problem: string) => ({ ok: true as const, warning: `remote cache ${s.address} not used: ${problem}` });
  const endpoint: ReapiEndpoint = { address: s.address.replace(/\/$/, ""), instance: s.instance ?? "" };
  if (s.timeoutSeconds !== undefined) endpoint.timeoutMs = s.timeoutSeconds * 1000;
  for (const [field, what] of [["token", "token"], ["apiKey", "API key"]] as const) {
    const secret = s[field];
    if (!secret) continue;
    const read = readSecret(secret, dir, env, what);
    if ("problem" in read) return off(read.problem);
    endpoint[field] = read.value;
  }
  if (s.tls) {
    if (!s.address.startsWith("grpcs://")) return { ok: false, message: `remote cache ${s.address}: "tls" needs a grpcs:// address (from ${effective.source})`, ...at("/remoteCache/tls") };
    const tls: NonNullable<ReapiEndpoint["tls"]> = {};
    for (const field of ["ca", "cert", "key"] as const) {
      const file = s.tls[field];
      if (file === undefined) continue;
      try {
        tls[field] = readFileSync(resolve(dir, file));
      } catch (e) {
        return off(`its TLS ${field} file ${resolve(dir, file)} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
    }
    if ((tls.cert === undefined) !== (tls.key === undefined)) return { ok: false, message: `remote cache ${s.address}: "tls" needs both "cert" and "key" for mutual TLS, or neither (from ${effective.source})`, ...at("/remoteCache/tls") };
    if (s.tls.serverName) tls.serverName = s.tls.serverName;
    endpoint.tls = tls;
  }
  const config: RemoteCacheConfig = { endpoint, write: s.write ?? true, source: effective.source };
  if (s.signingKey) {
    const key = readSecret(s.signingKey, dir, env, "signing key");
    if ("problem" in key) return off(key.problem);
    config.signingKey = Buffer.from(key.value, "utf8");
  }
  return { ok: true, config };
}
