#!/usr/bin/env node
// Entry point of the `tpu-build` command: the compiled CLI in dist/.
import { main } from "../dist/cli/main.js";

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
