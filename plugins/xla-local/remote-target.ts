// The "remote" target: a runtime server on another machine (a Cloud TPU VM, a GPU host), reached
// with the same RuntimeClient and driven by the same LocalSession as the local target; only how the
// server is found differs (an address, TLS, a token read from where the manifest says).
//
// The server's platform is checked before anything is uploaded: a manifest that says "tpu" and a
// server that runs on the CPU would otherwise give the CPU's numbers without a word.

import { resolve } from "node:path";
import { connect as connectTls } from "node:tls";
import type { CompileOptions, SettingProblem, TargetPlugin } from "../api.js";
import { readSecret } from "../secret.js";
import { LocalSession } from "./local-target.js";
import { dataConnectOptions } from "./data-channel.js";
import { checkRemoteSettings, DEFAULT_TIMEOUT_SECONDS, narrowRemoteSettings, remoteCompileOptions } from "./remote-settings.js";
import { MultiHostSession } from "./multi-host-session.js";
import { RuntimeClient, RuntimeError, readRuntimeTls, type RuntimeClientOptions, type RuntimeDeviceInfo, type RuntimeTls } from "./runtime-client.js";

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

  compileOptions(settings: Record<string, unknown>): CompileOptions {
    return remoteCompileOptions(settings);
  }

  async open(options: { workspace: string; settings?: Record<string, unknown> }): Promise<LocalSession<RemoteConnection> | MultiHostSession> {
    const s = narrowRemoteSettings(options.settings);
    const token = readSecret(s.token, options.workspace, this.options.env ?? process.env, "token");
    if ("problem" in token) throw new Error(`the runtime server at ${(s.hosts ?? [s.address!]).join(", ")} cannot be reached: ${token.problem}`);
    const at = (file: string | undefined) => (file === undefined ? undefined : resolve(options.workspace, file));
    const tls = s.tls ? readRuntimeTls({ ca: at(s.tls.ca), serverName: s.tls.serverName, cert: at(s.tls.cert), key: at(s.tls.key) }) : undefined;
    const tokenSource = "env" in s.token ? `from $${s.token.env}` : `from ${resolve(options.workspace, s.token.file)}`;
    const connect = (address: string) => this.connect(address, { platform: s.platform, seconds: s.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS, token: token.value, tokenSource, tls });
    if (!s.hosts) {
      const { client, info } = await connect(s.address!);
      if (info.processCount > 1) {
        client.close();
        // Alone, it would wait forever in the programs' collectives for the hosts nobody drives.
        throw new Error(`the runtime server at ${s.address} is process ${info.processIndex} of ${info.processCount} acting as one; list all of them in the target's "hosts" instead of "address"`);
      }
      return new LocalSession(new RemoteConnection(client), 0, this.options.warn);
    }
    const connected = await Promise.allSettled(s.hosts.map(connect));
    const failed = connected.find((c): c is PromiseRejectedResult => c.status === "rejected");
    const hosts = connected.flatMap((c) => (c.status === "fulfilled" ? [c.value] : []));
    try {
      if (failed) throw failed.reason;
      return new MultiHostSession(
        orderedHosts(hosts).map((h) => ({ address: h.address, session: new LocalSession(new RemoteConnection(h.client), 0, this.options.warn) })),
      );
    } catch (e) {
      for (const h of hosts) h.client.close();
      throw e;
    }
  }

  /** A client of the server at `address` that answers with the token and runs on the target's platform. */
  private async connect(address: string, o: { platform?: string; seconds: number; token: string; tokenSource: string; tls?: RuntimeTls }): Promise<ConnectedHost> {
    const where = `the runtime server at ${address}`;
    const { seconds, tls } = o;
    const silentMs = seconds * 1000;
    // A server silent for `timeoutSeconds` fails the run: small calls by their deadline, a long
    // Compile or Execute (which may rightly take minutes) by an unanswered keepalive ping.
    const client = new RuntimeClient(address, { callTimeoutMs: silentMs, keepaliveMs: silentMs / 2, dataIdleTimeoutMs: silentMs, ...this.options.client, token: o.token, tls });
    try {
      // A server that is restarting (a service's Restart=on-failure) is waited for, that long too.
      await client.waitForReady(silentMs).catch(async () => {
        const refusal = tls ? await tlsRefusal(address, tls, Math.min(silentMs, 3000)) : undefined;
        throw new Error(`${where} cannot be reached: ${refusal ?? `no connection within ${seconds} s (is it running and answering, and its port open or tunnelled?)`}`);
      });
      const info = await client.deviceInfo();
      const platform = serverPlatform(info.platform, info.platformVersion);
      if (o.platform !== undefined && platform !== o.platform)
        throw new Error(`the target says "platform": "${o.platform}", but ${where} runs on "${platform}" (${info.devices[0]?.kind ?? "no device"}); nothing was uploaded`);
      return { address, client, info };
    } catch (e) {
      client.close();
      if (e instanceof RuntimeError && e.code === "UNAUTHENTICATED") throw new Error(`${where} refused the token (${o.tokenSource}): ${e.details}`);
      if (e instanceof RuntimeError) throw new Error(`${where} cannot be reached: ${e.code}: ${e.details}`);
      throw e;
    }
  }
}

interface ConnectedHost {
  address: string;
  client: RuntimeClient;
  info: RuntimeDeviceInfo;
}

/** The servers of a multi-host target by process index, after checking they are one distributed runtime of exactly them. */
function orderedHosts(hosts: ConnectedHost[]): ConnectedHost[] {
  const listed = hosts.map((h) => `${h.address} (process ${h.info.processIndex} of ${h.info.processCount})`).join(", ");
  const alone = hosts.find((h) => h.info.processCount !== hosts.length);
  if (alone)
    throw new Error(
      `the target lists ${hosts.length} hosts, but the runtime server at ${alone.address} is ${alone.info.processCount === 1 ? "not part of a distributed runtime (start every host with --coordinator ADDR --num-processes N --process-id K)" : `one of ${alone.info.processCount} processes`}: ${listed}`,
    );
  const ordered = [...hosts].sort((a, b) => a.info.processIndex - b.info.processIndex);
  if (ordered.some((h, k) => h.info.processIndex !== k)) throw new Error(`the target's hosts must be the processes 0..${hosts.length - 1} of one distributed runtime, each once: ${listed}`);
  return ordered;
}

/** Certificate checks whose failure means the client does not trust the server's CA. */
const UNTRUSTED = new Set(["UNABLE_TO_VERIFY_LEAF_SIGNATURE", "SELF_SIGNED_CERT_IN_CHAIN", "DEPTH_ZERO_SELF_SIGNED_CERT", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "UNABLE_TO_GET_ISSUER_CERT"]);

/**
 * Why a TLS connection to `address` fails, from a handshake of our own: gRPC only says that it
 * could not connect. Undefined when the handshake succeeds and the server keeps the connection, or
 * nothing answers within `timeoutMs` (a stopped server).
 */
function tlsRefusal(address: string, tls: RuntimeTls, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const at = dataConnectOptions(address, address) as { host: string; port: number };
    const socket = connectTls({ host: at.host, port: at.port, ca: tls.ca, cert: tls.cert, key: tls.key, ...(tls.serverName ? { servername: tls.serverName } : {}), ALPNProtocols: ["h2"], minVersion: "TLSv1.2" });
    let handshaken = false;
    let settled = false;
    const done = (why: string | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(why);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.on("error", (e: NodeJS.ErrnoException) => {
      if (e.syscall) return done(undefined); // refused, unreachable: not a TLS problem
      if (handshaken) return done(`the server ended the TLS connection: ${e.message}`);
      const hint = e.code && UNTRUSTED.has(e.code) ? ` (does tls.ca name the CA that signed the server's certificate?)` : "";
      done(`the TLS handshake failed: ${e.message}${hint}`);
    });
    socket.on("secureConnect", () => {
      handshaken = true;
      // With TLS 1.3 a server that refuses the client's certificate says so after the handshake,
      // by closing: give it a moment (an HTTP/2 preface, as gRPC would send, prompts it).
      socket.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
      setTimeout(() => done(undefined), Math.min(timeoutMs, 1000));
    });
    socket.on("close", () =>
      done(
        handshaken
          ? tls.cert
            ? "the server closed the connection after the TLS handshake: it does not accept the client certificate (tls.cert; is it signed by the CA of the server's --client-ca?)"
            : "the server closed the connection after the TLS handshake: it asks for a client certificate (mutual TLS: give tls.cert and tls.key)"
          : undefined,
      ),
    );
  });
}

/** The server's platform as the manifest names it: some jaxlib builds call both GPU platforms "gpu", telling them apart in the version. */
export function serverPlatform(platform: string, version: string): string {
  return platform === "gpu" ? (/rocm/i.test(version) ? "rocm" : "cuda") : platform;
}

/** The "remote" target plugin: `targets.<name>` with `"kind": "remote"`. */
export const remoteTarget = new RemoteTarget();
