#!/bin/sh
":" //; s=$(readlink -f "$0"); s=${s%/*/*}/dist/cli; n=$(command -v node); [ "$TPU_BUILD_SNAPSHOT" != off ] && [ -z "$NODE_OPTIONS" ] && [ -f "$s/snapshot.blob" ] && [ "$s/snapshot.blob" -nt "$n" ] && read -r b < "$s/snapshot.node" && [ "$b" = "$(readlink -f "$n")" ] && exec "$n" --snapshot-blob "$s/snapshot.blob" "$0" "$@"; exec node "$0" "$@"
// Entry point of the `tpu-build` command: the compiled CLI in dist/. Run as a program, the lines
// above are a shell script that starts Node from the CLI's startup snapshot (dist/cli/snapshot.blob,
// scripts/build-snapshot.mjs) when it is there, not disabled (TPU_BUILD_SNAPSHOT=off), newer than
// the node on PATH and made by it, and NODE_OPTIONS is empty (Node refuses a snapshot under other
// V8 flags, and exits); else as this plain Node script. Run with `node`, they are a
// string and a comment, and this is the plain script.
import { main } from "../dist/cli/main.js";

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
