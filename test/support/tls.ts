// Certificates for TLS tests, made with openssl into a directory the caller owns (and removes):
// a CA, a server certificate it signs for localhost and 127.0.0.1, a client certificate it signs
// (mutual TLS), and a second, unrelated CA with its own client certificate (what must be refused).

import { execFileSync } from "node:child_process";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface TestCertificates {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA nobody trusts, and a client certificate it signed. */
  otherCa: string;
  otherClientCert: string;
  otherClientKey: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"], timeout: 30_000 });
}

const KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

function authority(dir: string, name: string): void {
  openssl(dir, ["req", "-x509", ...KEY, "-keyout", `${name}.key`, "-out", `${name}.pem`, "-days", "2", "-subj", `/CN=tpu-build test ${name}`]);
}

function signed(dir: string, ca: string, name: string, cn: string, extensions: string): void {
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, ["req", ...KEY, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`]);
  openssl(dir, ["x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.pem`, "-CAkey", `${ca}.key`, "-CAcreateserial", "-out", `${name}.pem`, "-days", "2", "-extfile", `${name}.ext`]);
  chmodSync(join(dir, `${name}.key`), 0o600);
}

export function makeCertificates(dir: string): TestCertificates {
  authority(dir, "ca");
  authority(dir, "other-ca");
  signed(dir, "ca", "server", "localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  signed(dir, "ca", "client", "tpu-build test client", "extendedKeyUsage=clientAuth\n");
  signed(dir, "other-ca", "other-client", "tpu-build test stranger", "extendedKeyUsage=clientAuth\n");
  const at = (f: string) => join(dir, f);
  return {
    ca: at("ca.pem"),
    serverCert: at("server.pem"),
    serverKey: at("server.key"),
    clientCert: at("client.pem"),
    clientKey: at("client.key"),
    otherCa: at("other-ca.pem"),
    otherClientCert: at("other-client.pem"),
    otherClientKey: at("other-client.key"),
  };
}
