// Signed cache entries (DESIGN.md §7; like Turborepo's signed artifacts): an entry read from a shared
// cache decides what runs on the device, so with a key configured only entries signed with that key
// are used. The MAC covers what the entry is (its kind, key and Action digest) and every output
// file's path, digest and size; the blobs themselves are checked against their digests on read, so
// the MAC transitively covers their bytes.

import { createHmac, timingSafeEqual } from "node:crypto";
import type { Digest } from "./reapi-client.js";

export const SIGNATURE_ALGORITHM = "hmac-sha256";
/** The type URL of our EntrySignature inside a google.protobuf.Any (proto/reapi/tpubuild/remote_cache.proto). */
export const SIGNATURE_TYPE_URL = "type.googleapis.com/tpubuild.remotecache.EntrySignature";

export interface SignedContent {
  kind: string;
  key: string;
  action: Digest;
  files: { path: string; digest: Digest }[];
}

/** The bytes the MAC is taken over: one line per field, files sorted by path; paths and hashes hold no newline or NUL. */
function signedBytes(c: SignedContent): Buffer {
  const files = [...c.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const lines = ["tpu-build/remote-cache/signature/1", c.kind, c.key, `${c.action.hash}/${c.action.sizeBytes}`, String(files.length)];
  for (const f of files) lines.push(`${JSON.stringify(f.path)} ${f.digest.hash}/${f.digest.sizeBytes}`);
  return Buffer.from(lines.join("\n"), "utf8");
}

export function signEntry(key: Buffer, content: SignedContent): Buffer {
  return createHmac("sha256", key).update(signedBytes(content)).digest();
}

export function verifyEntry(key: Buffer, content: SignedContent, mac: Uint8Array): boolean {
  const expected = signEntry(key, content);
  return mac.length === expected.length && timingSafeEqual(expected, mac);
}
