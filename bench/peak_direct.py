"""The runtime server's peak memory, without the server: one module run by PJRT directly.

Run by bench/scaling.ts (the `peak` part) with runtime/.venv/bin/python:

    python bench/peak_direct.py MODULE.hlo.pb

Compiles the module through runtime/xla_backend.py (the server's own calls), places its arguments
(zeros, in host arrays XLA aliases, as the server receives them), executes once and prints JSON: the
process's resident memory idle (after jax and the client are up) and its peak (VmHWM), in bytes.
What the server's peak has beyond this process's is the server's own (gRPC, sessions, transfers).
"""

from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "runtime"))

from xla_backend import XlaBackend  # noqa: E402


def status(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return 0


def main(path: str) -> None:
    backend = XlaBackend()
    idle = status("VmRSS")
    with open(path, "rb") as f:
        lowered = backend.lower(f.read())
    executable = backend.compile(lowered, (0,))
    arguments = []
    for shape in lowered.parameters:
        array = backend.host_array(shape)
        array[...] = 0
        arguments.append(backend.to_device(array, 0))
    backend.execute(executable, arguments)
    print(json.dumps({"idleBytes": idle, "peakBytes": status("VmHWM")}))


if __name__ == "__main__":
    main(sys.argv[1])
