// A TCP port on loopback that nobody listens on now, for a server a test or benchmark starts
// (a coordinator of JAX's distributed runtime, a cache server). Another process may take it
// before ours does; on loopback in a test that is rare enough.

import { createServer, type AddressInfo } from "node:net";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}
