// The "remote" target: a runtime server on another machine (a Cloud TPU VM, a GPU host), reached
// with the same RuntimeClient and driven by the same LocalSession as the local target; only how the
// server is found differs (an address, TLS, a token read from where the manifest says).
//
// The server's platform is checked before anything is uploaded: a manifest that says "tpu" and a
// server that runs on the CPU would otherwise give the CPU's numbers without a word.

import { resolve } from "node:path";
import type { SettingProblem, TargetPlugin } from "../api.js";
import { readSecret } from "../secret.js";
import { LocalSession } from "./local-target.js";
import { checkRemoteSettings, narrowRemoteSettings } from "./remote-settings.js";
import { RuntimeClient, RuntimeError, readRuntimeTls, type RuntimeClientOptions } from "./runtime-client.js";

/** How long opening a session waits for the server to accept connections. */
const CONNECT_GRACE_MS = 10_000;

/** A server connection as a LocalSession holds it: the client, and closing frees this client's session there. */
class RemoteConnection {
  constructor(readonly client: RuntimeClient) {}

  async close(): Promise<void> {
    await this.client.closeSession().catch(() => undefined);
    this.client.close();
  }
}

export interface RemoteTargetOptions {
  /** Client options applied to every session (tests shorten the deadlines). */
  client?: Omit<RuntimeClientOptions, "token" | "tls">;
  /** Where the runtime's warnings go (default: stderr). */
  warn?: (message: string) => void;
  /** Where `{"env": …}` tokens are read (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

export class RemoteTarget implements TargetPlugin {
  readonly name = "remote";

  constructor(private readonly options: RemoteTargetOptions = {}) {}

  checkSettings(settings: Record<string, unknown>): SettingProblem[] {
    return checkRemoteSettings(settings);
  }

  async open(options: { workspace: string; settings?: Record<string, unknown> }): Promise<LocalSession<RemoteConnection>> {
    const s = narrowRemoteSettings(options.settings);
    const where = `the runtime server at ${s.address}`;
    const token = readSecret(s.token, options.workspace, this.options.env ?? process.env, "token");
    if ("problem" in token) throw new Error(`${where} cannot be reached: ${token.problem}`);
    const at = (file: string | undefined) => (file === undefined ? undefined : resolve(options.workspace, file));
    const tls = s.tls ? readRuntimeTls({ ca: at(s.tls.ca), serverName: s.tls.serverName, cert: at(s.tls.cert), key: at(s.tls.key) }) : undefined;
    const client = new RuntimeClient(s.address, { ...this.options.client, token: token.value, tls });
    try {
      // A server that is restarting (a service's Restart=on-failure) is waited for, briefly.
      await client.waitForReady(CONNECT_GRACE_MS).catch(() => {
        throw new Error(`${where} cannot be reached: no connection within ${CONNECT_GRACE_MS / 1000} s (is it running, and its port open or tunnelled?)`);
      });
      const info = await client.deviceInfo();
      const platform = serverPlatform(info.platform, info.platformVersion);
      if (s.platform !== undefined && platform !== s.platform)
        throw new Error(`the target says "platform": "${s.platform}", but ${where} runs on "${platform}" (${info.devices[0]?.kind ?? "no device"}); nothing was uploaded`);
    } catch (e) {
      client.close();
      if (e instanceof RuntimeError && e.code === "UNAUTHENTICATED") throw new Error(`${where} refused the token (${"env" in s.token ? `from $${s.token.env}` : `from ${resolve(options.workspace, s.token.file)}`}): ${e.details}`);
      if (e instanceof RuntimeError) throw new Error(`${where} cannot be reached: ${e.code}: ${e.details}`);
      throw e;
    }
    return new LocalSession(new RemoteConnection(client), 0, this.options.warn);
  }
}

/** The server's platform as the manifest names it: some jaxlib builds call both GPU platforms "gpu", telling them apart in the version. */
function serverPlatform(platform: string, version: string): string {
  return platform === "gpu" ? (/rocm/i.test(version) ? "rocm" : "cuda") : platform;
}

/** The "remote" target plugin: `targets.<name>` with `"kind": "remote"`. */
export const remoteTarget = new RemoteTarget();
