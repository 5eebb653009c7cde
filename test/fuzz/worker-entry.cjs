// The fuzz worker's process entry (a CommonJS file: Node loads a .ts entry of this "type": "module"
// package as ESM, which tsx's CommonJS hook does not reach). See worker.ts.
require("tsx/cjs");
require("./worker.ts")
  .runWorker(process.argv[2])
  .then(
    () => process.exit(0),
    (e) => {
      process.stderr.write(`fuzz worker: ${(e && e.stack) || String(e)}\n`);
      process.exit(1);
    },
  );
