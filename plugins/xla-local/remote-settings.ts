// The "remote" target's settings (`targets.<name>` with `"kind": "remote"`; RemoteTarget in the
// schema): checked when the manifest is loaded, so a misspelt key or a token written into the
// manifest is a located manifest error (exit 2), never a surprise at run time. Kept apart from
// remote-target.ts so that checking a manifest does not load the gRPC client.

import { PLATFORMS } from "../api.js";
import type { CompileOptions, Platform, SettingProblem } from "../api.js";
import type { RemoteTarget } from "../../schema/manifest.js";
import { checkCompileSettings, COMPILE_SETTING_KEYS, compileOptionsOf } from "../compile-settings.js";

/** The settings as the plugin receives them: the manifest's, without `kind` (which chose the plugin). */
export type RemoteTargetSettings = Omit<RemoteTarget, "kind">;

export const REMOTE_SETTING_KEYS = ["address", "hosts", "platform", "tls", "token", "timeoutSeconds", ...COMPILE_SETTING_KEYS] as const;
/** How long the server may stay silent by default (RemoteTarget.timeoutSeconds in the schema). */
export const DEFAULT_TIMEOUT_SECONDS = 20;
const TLS_KEYS = ["ca", "serverName", "cert", "key"] as const;
const ADDRESS = /^(\[[0-9A-Fa-f:.]+\]|[^/:\s]+):[0-9]{1,5}$/;
const SECRET_FORMS = `{"env": "NAME"} (an environment variable) or {"file": "path"} (a file, relative to the manifest)`;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const nonEmpty = (v: unknown) => typeof v === "string" && v !== "";

/** Every problem with the settings; none means `narrowRemoteSettings` accepts them. */
export function checkRemoteSettings(settings: Record<string, unknown>): SettingProblem[] {
  const problems: SettingProblem[] = [];
  for (const key of Object.keys(settings)) {
    if ((REMOTE_SETTING_KEYS as readonly string[]).includes(key)) continue;
    problems.push({ key, unknownKey: [...REMOTE_SETTING_KEYS], message: `unknown setting ${JSON.stringify(key.slice(0, 60))} of a remote target; its settings are kind, ${REMOTE_SETTING_KEYS.join(", ")}` });
  }
  const s = settings;
  if (s.address === undefined && s.hosts === undefined) problems.push({ message: `a remote target needs "address": the runtime server's host:port (or "hosts": several that act as one)` });
  else if (s.address !== undefined && s.hosts !== undefined) problems.push({ key: "hosts", message: `give "address" (one runtime server) or "hosts" (several that act as one), not both` });
  else if (s.address !== undefined && (typeof s.address !== "string" || !ADDRESS.test(s.address))) problems.push({ key: "address", message: `"address" must be the runtime server's host:port (e.g. "10.128.0.7:7000"), got ${JSON.stringify(s.address)?.slice(0, 80)}` });
  else if (s.hosts !== undefined && (!Array.isArray(s.hosts) || s.hosts.length < 2 || !s.hosts.every((h) => typeof h === "string" && ADDRESS.test(h)) || new Set(s.hosts).size !== s.hosts.length))
    problems.push({ key: "hosts", message: `"hosts" must list two or more distinct host:port addresses of runtime servers started with --coordinator (e.g. ["10.128.0.7:7000", "10.128.0.8:7000"]), got ${JSON.stringify(s.hosts)?.slice(0, 80)}` });
  if (s.platform !== undefined && !(PLATFORMS as readonly unknown[]).includes(s.platform)) {
    problems.push({ key: "platform", message: `"platform" must be one of ${PLATFORMS.map((p) => JSON.stringify(p)).join(", ")}, got ${JSON.stringify(s.platform)?.slice(0, 80)}` });
  }
  if (s.tls !== undefined) {
    if (!isObject(s.tls)) problems.push({ key: "tls", message: `"tls" must be an object with "ca", "serverName", "cert" and "key" (each optional), got ${JSON.stringify(s.tls)?.slice(0, 80)}` });
    else {
      for (const [k, v] of Object.entries(s.tls)) {
        if (!(TLS_KEYS as readonly string[]).includes(k)) problems.push({ key: "tls", message: `unknown key ${JSON.stringify(k.slice(0, 60))} in "tls"; its keys are ${TLS_KEYS.join(", ")}` });
        else if (!nonEmpty(v)) problems.push({ key: "tls", message: `tls.${k} must be a non-empty string (${k === "serverName" ? "a host name" : "a PEM file, relative to the manifest"})` });
      }
      if ((s.tls.cert === undefined) !== (s.tls.key === undefined)) problems.push({ key: "tls", message: `"tls" needs both "cert" and "key" for mutual TLS, or neither` });
    }
  }
  if (s.timeoutSeconds !== undefined && !(typeof s.timeoutSeconds === "number" && s.timeoutSeconds > 0 && s.timeoutSeconds <= 3600)) {
    problems.push({ key: "timeoutSeconds", message: `"timeoutSeconds" must be a number of seconds above 0 and at most 3600, got ${JSON.stringify(s.timeoutSeconds)?.slice(0, 80)}` });
  }
  if (s.token === undefined) problems.push({ message: `a remote target needs "token": where its bearer token is read from, ${SECRET_FORMS}` });
  else if (typeof s.token === "string") problems.push({ key: "token", message: `a token written in the manifest is refused (manifests are committed): give ${SECRET_FORMS}` });
  else if (!(isObject(s.token) && Object.keys(s.token).length === 1 && (nonEmpty(s.token.env) || nonEmpty(s.token.file)))) problems.push({ key: "token", message: `"token" must be ${SECRET_FORMS}, got ${JSON.stringify(s.token)?.slice(0, 80)}` });
  problems.push(...checkCompileSettings(s));
  return problems;
}

/** What entries that run on a remote target are compiled for: its declared platform (none: no capability checks) and settings. */
export function remoteCompileOptions(settings: Record<string, unknown>): CompileOptions {
  const platform = (PLATFORMS as readonly unknown[]).includes(settings.platform) ? (settings.platform as Platform) : undefined;
  return compileOptionsOf(platform, settings);
}

/** The checked settings; throws on the first problem (a caller that skipped the manifest check). */
export function narrowRemoteSettings(settings: Record<string, unknown> | undefined): RemoteTargetSettings {
  const s = settings ?? {};
  const problem = checkRemoteSettings(s)[0];
  if (problem) throw new Error(`remote target: ${problem.message}`);
  return s as unknown as RemoteTargetSettings;
}
