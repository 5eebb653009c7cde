// Benchmark of tensor transfers to a remote target's server over TLS, beside the same transfers in
// plaintext, in the same run (reported in BENCHMARKS.md; never asserted in tests). Two runtime
// servers on loopback TCP, one plaintext and one with TLS (certificates made as the tests make
// them); their rounds alternate, and which goes first alternates, so a burst of load on this shared
// machine hits both sides of a ratio. Each round sends ARRAYS arrays with RuntimeClient.transferIn
// (the data channel, as a session uploads them) and brings them back with transferOut; the bytes
// that come back are compared with those sent. A small tensor's round trip (4 KiB up and back, as a
// session moves it: over the gRPC connection already open) stands for the per-run overhead; a
// 1 MiB one (a ticket and a data connection each way, under TLS a resumed session after the first)
// for that of a mid-sized tensor.
// Run with `npm run bench:remote-transfer` (BENCH_MB, BENCH_ROUNDS to change the sizes).

import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { RuntimeProcess, readRuntimeTls } from "../plugins/xla-local/index.js";
import { cpuTicks } from "../test/support/processes.js";
import { makeCertificates } from "../test/support/tls.js";
import { writeSection } from "./sections.js";

const TOTAL_MB = Number(process.env.BENCH_MB ?? 256);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const ARRAYS = 8;
const SMALL_TRIPS = 20;

const bytesEach = Math.floor((TOTAL_MB << 20) / ARRAYS);
const shape = { elementType: "U8" as const, dims: [bytesEach] };
const arrays = Array.from({ length: ARRAYS }, (_, i) => {
  const a = new Uint8Array(bytesEach);
  for (let k = 0; k < a.length; k += 4096) a[k] = (k / 4096 + i) & 255;
  return a;
});
const total = ARRAYS * bytesEach;
const small = { shape: { elementType: "U8" as const, dims: [4096] }, data: new Uint8Array(4096).fill(7) };
const medium = { shape: { elementType: "U8" as const, dims: [1 << 20] }, data: new Uint8Array(1 << 20).fill(9) };

interface Round {
  up: number;
  down: number;
  /** CPU seconds per GB moved, this process's and the server's together. */
  upCpu: number;
  downCpu: number;
  smallMs: number;
  mediumMs: number;
}

/** CPU seconds this process and `server` have used so far. */
function cpuSeconds(server: RuntimeProcess): number {
  const own = process.cpuUsage();
  return (own.user + own.system) / 1e6 + cpuTicks(server.pid) / 100;
}

/** One round on `server`: GB/s each way (10⁹ bytes/s), CPU s/GB, and the small tensor's round trip (median, ms). */
async function round(server: RuntimeProcess): Promise<Round> {
  const client = server.client;
  const start = { ...client.route.counts };
  let t = performance.now();
  let cpu = cpuSeconds(server);
  const handles: string[] = [];
  for (const a of arrays) handles.push((await client.transferIn(shape, a)).handle);
  const up = total / 1e9 / ((performance.now() - t) / 1000);
  const upCpu = (cpuSeconds(server) - cpu) / (total / 1e9);
  t = performance.now();
  cpu = cpuSeconds(server);
  const back: Uint8Array[] = [];
  for (const h of handles) back.push((await client.transferOut(h, { release: true, totalBytes: bytesEach })).data);
  const down = total / 1e9 / ((performance.now() - t) / 1000);
  const downCpu = (cpuSeconds(server) - cpu) / (total / 1e9);
  if (!back.every((b, i) => Buffer.compare(b, arrays[i]!) === 0)) throw new Error("bench: the bytes that came back differ from those sent");
  if (client.route.counts.dataChannel - start.dataChannel !== 2 * ARRAYS) throw new Error(`bench: large transfers did not take the data channel (${JSON.stringify(client.route)})`);
  const before = { ...client.route.counts };
  const trips: number[] = [];
  for (let i = 0; i < SMALL_TRIPS; i++) {
    t = performance.now();
    const { handle } = await client.transferIn(small.shape, small.data);
    await client.transferOut(handle, { release: true, totalBytes: small.data.byteLength });
    trips.push(performance.now() - t);
  }
  if (client.route.counts.grpc - before.grpc !== 2 * SMALL_TRIPS) throw new Error(`bench: small tensors did not take the gRPC connection (${JSON.stringify(client.route)})`);
  const mediumTrips: number[] = [];
  for (let i = 0; i < SMALL_TRIPS; i++) {
    t = performance.now();
    const { handle } = await client.transferIn(medium.shape, medium.data);
    await client.transferOut(handle, { release: true, totalBytes: medium.data.byteLength });
    mediumTrips.push(performance.now() - t);
  }
  if (client.route.counts.dataChannel - before.dataChannel !== 2 * SMALL_TRIPS) throw new Error(`bench: 1 MiB tensors did not take the data channel (${JSON.stringify(client.route)})`);
  return { up, down, upCpu, downCpu, smallMs: median(trips), mediumMs: median(mediumTrips) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const range = (xs: number[], digits: number) => `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;

const dir = mkdtempSync(join(tmpdir(), "tpu-build-bench-transfer-"));
const servers: RuntimeProcess[] = [];
try {
  const certs = makeCertificates(dir);
  // Neither offers shared memory: they stand for a remote target's server.
  const plain = await RuntimeProcess.start({ transport: "tcp", sharedMemory: false });
  servers.push(plain);
  const tls = await RuntimeProcess.start({ tls: { cert: certs.serverCert, key: certs.serverKey }, sharedMemory: false, client: { tls: readRuntimeTls({ ca: certs.ca, serverName: "localhost" }) } });
  servers.push(tls);
  if (!(await tls.client.health()).dataTls) throw new Error("bench: the TLS server's data channel does not speak TLS");
  const rounds = { plain: [] as Round[], tls: [] as Round[] };
  for (let i = 0; i < ROUNDS; i++) {
    const order = i % 2 === 0 ? (["plain", "tls"] as const) : (["tls", "plain"] as const);
    for (const which of order) {
      const r = await round(which === "plain" ? plain : tls);
      if (i > 0) rounds[which].push(r); // the first round warms both servers' allocators and connections
      console.log(`round ${i} ${which}: up ${r.up.toFixed(2)} GB/s (${r.upCpu.toFixed(2)} CPU s/GB), down ${r.down.toFixed(2)} GB/s (${r.downCpu.toFixed(2)} CPU s/GB), 4 KiB round trip ${r.smallMs.toFixed(2)} ms, 1 MiB ${r.mediumMs.toFixed(2)} ms`);
    }
  }
  const pick = (which: "plain" | "tls", k: keyof Round) => rounds[which].map((r) => r[k]);
  // Ratios of the same round (paired), so that a burst of load counts against both sides.
  const paired = (k: keyof Round, plainOverTls: boolean) => rounds.plain.map((p, i) => (plainOverTls ? p[k] / rounds.tls[i]![k] : rounds.tls[i]![k] / p[k]));
  const upCost = median(paired("up", true));
  const downCost = median(paired("down", true));
  const smallCost = median(paired("smallMs", false));
  const mediumCost = median(paired("mediumMs", false));
  const upCpuCost = median(paired("upCpu", false));
  const downCpuCost = median(paired("downCpu", false));
  const load = loadavg()[0]!.toFixed(1);
  const n = rounds.plain.length;
  const section = [
    "",
    `${ARRAYS} arrays of ${(bytesEach / 2 ** 20).toFixed(0)} MiB (${(total / 2 ** 20).toFixed(0)} MiB) sent to a runtime server on loopback TCP with`,
    "RuntimeClient.transferIn over the data channel, one after another as a session uploads them, and brought back",
    "with transferOut; the bytes that come back are compared with those sent. One server speaks plaintext, the other",
    "TLS (its gRPC and its data channel; an ECDSA P-256 certificate as the tests make); their rounds alternate, and",
    `which goes first alternates. GB/s = 10⁹ bytes/s; median (min–max) of ${n} rounds after a warm-up round; the cost`,
    "of TLS is the median over rounds of plaintext ÷ TLS in the same round (1.20 = 20% slower; for times and CPU,",
    "TLS ÷ plaintext). CPU is user + system time of the client (this process) and the server together, per GB moved.",
    `The machine's 1-minute load average at the end of the run was ${load} on ${availableParallelism()} cores.`,
    "",
    "| | plaintext | TLS | cost of TLS |",
    "|---|---|---|---|",
    `| to the server, GB/s | ${range(pick("plain", "up"), 2)} | ${range(pick("tls", "up"), 2)} | ${upCost.toFixed(2)}× |`,
    `| back, GB/s | ${range(pick("plain", "down"), 2)} | ${range(pick("tls", "down"), 2)} | ${downCost.toFixed(2)}× |`,
    `| CPU to the server, s/GB (client + server) | ${range(pick("plain", "upCpu"), 2)} | ${range(pick("tls", "upCpu"), 2)} | ${upCpuCost.toFixed(2)}× |`,
    `| CPU back, s/GB (client + server) | ${range(pick("plain", "downCpu"), 2)} | ${range(pick("tls", "downCpu"), 2)} | ${downCpuCost.toFixed(2)}× |`,
    `| a 4 KiB tensor up and back over the gRPC connection (median of ${SMALL_TRIPS}), ms | ${range(pick("plain", "smallMs"), 2)} | ${range(pick("tls", "smallMs"), 2)} | ${smallCost.toFixed(2)}× |`,
    `| a 1 MiB tensor up and back over the data channel (median of ${SMALL_TRIPS}), ms | ${range(pick("plain", "mediumMs"), 2)} | ${range(pick("tls", "mediumMs"), 2)} | ${mediumCost.toFixed(2)}× |`,
    "",
    `Target: TLS costs under 20% (≤ 1.20×) each way and per round trip: ${[upCost, downCost, smallCost].every((c) => c <= 1.2) ? "**met**" : "**not met**"} in this run` +
      ` (to the server ${upCost.toFixed(2)}×, back ${downCost.toFixed(2)}×, a 4 KiB round trip ${smallCost.toFixed(2)}×; the 1 MiB round trip, ${mediumCost.toFixed(2)}×, is not part of the target).`,
    "",
  ];
  console.log(section.join("\n"));
  writeSection("remote-transfer", "`npm run bench:remote-transfer`; edit bench/remote-transfer.ts", section);
} finally {
  for (const s of servers) await s.close();
  rmSync(dir, { recursive: true, force: true });
}
