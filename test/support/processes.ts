// Stopping a process in a test, for real: SIGSTOP is delivered asynchronously, so a busy server
// can still answer a request sent right after the kill(). Tests that need it stopped wait here until
// every one of its threads is in state T.

import { readdirSync, readFileSync } from "node:fs";

/** The state letter (`T`: stopped) of each thread of a process, from /proc/<pid>/task/<tid>/stat. */
export function threadStates(pid: number): string[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  });
}

/** Sends SIGSTOP and resolves once every thread of `pid` is stopped (rejects after `timeoutMs`). */
export async function stopProcess(pid: number, timeoutMs = 30_000): Promise<void> {
  process.kill(pid, "SIGSTOP");
  const end = Date.now() + timeoutMs;
  while (!threadStates(pid).every((state) => state === "T")) {
    if (Date.now() > end) throw new Error(`process ${pid} did not stop within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
