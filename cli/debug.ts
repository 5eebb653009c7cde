// Debug events: how the command itself started (not a build's events), as NDJSON lines on stderr
// when TPU_BUILD_DEBUG is set (to anything but "" or "0"); nothing otherwise.

export function debugEvent(topic: string, fields: Record<string, unknown>): void {
  const on = process.env.TPU_BUILD_DEBUG;
  if (!on || on === "0") return;
  process.stderr.write(`${JSON.stringify({ event: "debug", topic, ...fields })}\n`);
}
