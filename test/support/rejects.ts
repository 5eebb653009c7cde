// The error a promise rejects with; the test fails when it fulfils instead.

import * as assert from "uvu/assert";

export async function rejects(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new assert.Assertion({ message: "expected a rejection", generated: false, operator: "rejects" });
}
