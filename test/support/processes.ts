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

/** CPU time a process has used so far (user + system), in clock ticks (from /proc/<pid>/stat). */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime: fields 14 and 15 of stat(5), 12 and 13 after the name.
  return Number(fields[11]) + Number(fields[12]);
}

/** Resolves once `pid` has used `ticks` more clock ticks of CPU than `from` (it is computing); rejects after `timeoutMs`. */
export async function busyFor(pid: number, from: number, ticks: number, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (cpuTicks(pid) - from < ticks) {
    if (Date.now() > end) throw new Error(`process ${pid} used less than ${ticks} clock ticks of CPU within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A process's peak resident set (VmHWM in /proc/<pid>/status), in bytes; undefined once it has exited. */
export function peakResidentBytes(pid: number): number | undefined {
  try {
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024; // none for a zombie
  } catch {
    return undefined;
  }
}
