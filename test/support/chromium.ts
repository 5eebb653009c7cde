// A page loaded in a real headless browser (Debian's chromium), driven over the DevTools protocol
// on a pipe (--remote-debugging-pipe: NUL-separated JSON on file descriptors 3 and 4). A pipe needs
// no port (nothing to collide with between parallel tests), no WebSocket client and no npm
// package, and the browser sees it close if the test dies. What the page computes (layout, boxes,
// text) is read with Runtime.evaluate; every request the page makes is recorded.

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";

export const CHROMIUM = "/usr/bin/chromium";

/** Why no headless browser can run here, or undefined when one can. */
export function chromiumUnavailable(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `no headless browser: ${CHROMIUM} is missing (Debian's chromium: \`apt-get install -y chromium\`; .ci/run installs it)`;
}

/** Deadline of one DevTools call (a cold browser start included). */
const CALL_MS = 60_000;

export interface LoadedPage {
  /** The value of a JavaScript expression in the page (JSON-serializable). */
  evaluate<T>(expression: string): Promise<T>;
  /** Every URL the page requested, itself first. */
  readonly requests: string[];
  close(): Promise<void>;
}

interface Message {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

/** Opens `url` in a fresh headless chromium and waits for its load event. */
export async function openPage(url: string): Promise<LoadedPage> {
  const profile = mkdtempSync(join(tmpdir(), "tpu-build-chromium-"));
  // --no-sandbox: tests run as root (CI does), where chromium's sandbox refuses to start; the page is our own file.
  const browser = spawn(CHROMIUM, ["--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe", `--user-data-dir=${profile}`, "--no-first-run", "--no-default-browser-check", "--disable-extensions", "about:blank"], {
    stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"],
  });
  let stderr = "";
  browser.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => browser.once("exit", () => resolve()));
  const toBrowser = browser.stdio[3] as Writable;
  const fromBrowser = browser.stdio[4] as Readable;
  const pending = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  const listeners: ((m: Message) => void)[] = [];
  let buffered = Buffer.alloc(0);
  fromBrowser.on("data", (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (let end = buffered.indexOf(0); end >= 0; end = buffered.indexOf(0)) {
      const message = JSON.parse(buffered.subarray(0, end).toString("utf8")) as Message;
      buffered = buffered.subarray(end + 1);
      const waiting = message.id === undefined ? undefined : pending.get(message.id);
      if (waiting) {
        pending.delete(message.id!);
        if (message.error) waiting.reject(new Error(`chromium: ${message.error.message}`));
        else waiting.resolve(message);
      } else for (const l of listeners) l(message);
    }
  });
  void exited.then(() => {
    for (const w of pending.values()) w.reject(new Error(`chromium exited: ${stderr}`));
    pending.clear();
  });
  let nextId = 0;
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const id = ++nextId;
      const timer = setTimeout(() => reject(new Error(`chromium did not answer ${method} within ${CALL_MS} ms: ${stderr}`)), CALL_MS);
      pending.set(id, { resolve: (m) => (clearTimeout(timer), resolve(m.result ?? {})), reject: (e) => (clearTimeout(timer), reject(e)) });
      toBrowser.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });
  const close = async () => {
    await send("Browser.close").catch(() => {});
    const killer = setTimeout(() => browser.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(killer);
    rmSync(profile, { recursive: true, force: true });
  };
  try {
    const { targetId } = (await send("Target.createTarget", { url: "about:blank" })) as { targetId: string };
    const { sessionId } = (await send("Target.attachToTarget", { targetId, flatten: true })) as { sessionId: string };
    const requests: string[] = [];
    let loaded!: () => void;
    const load = new Promise<void>((resolve) => (loaded = resolve));
    listeners.push((m) => {
      if (m.sessionId !== sessionId) return;
      if (m.method === "Network.requestWillBeSent") requests.push((m.params as { request: { url: string } }).request.url);
      if (m.method === "Page.loadEventFired") loaded();
    });
    await send("Network.enable", {}, sessionId);
    await send("Page.enable", {}, sessionId);
    await send("Page.navigate", { url }, sessionId);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([load, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`chromium did not load ${url} within ${CALL_MS} ms`)), CALL_MS)))]).finally(() => clearTimeout(timer));
    return {
      requests,
      close,
      evaluate: async <T>(expression: string) => {
        const r = (await send("Runtime.evaluate", { expression, returnByValue: true, awaitPromise: true }, sessionId)) as { result: { value?: T }; exceptionDetails?: { text: string; exception?: { description?: string } } };
        if (r.exceptionDetails) throw new Error(`in the page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
        return r.result.value as T;
      },
    };
  } catch (e) {
    await close();
    throw e;
  }
}
