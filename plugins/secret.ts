// Secrets named by a manifest (`{"env": "NAME"}` or `{"file": "path"}`), never written in it: the
// remote cache's token and signing key, a remote target's token. Read when they are needed.

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Secret } from "../schema/manifest.js";

/** The secret's value, or why it cannot be read (`what` names it: "token", "signing key"). Never throws. */
export function readSecret(secret: Secret, dir: string, env: NodeJS.ProcessEnv, what: string): { value: string } | { problem: string } {
  if ("env" in secret) {
    const value = env[secret.env];
    return value ? { value } : { problem: `its ${what} is read from $${secret.env}, which is not set` };
  }
  const path = resolve(dir, secret.file);
  try {
    const value = readFileSync(path, "utf8").trim();
    return value ? { value } : { problem: `its ${what} file ${path} is empty` };
  } catch (e) {
    return { problem: `its ${what} file ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` };
  }
}
