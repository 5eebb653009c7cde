// The Julia library as the interpreter sees it: every intrinsic, by name. Library code written in
// Julia is in prelude.jl, loaded on top of these.

import type { Interpreter } from "../semantics/interpreter.js";
import type { Value } from "../semantics/values.js";
import { defineArrayFunctions } from "./array-functions.js";
import { defineAutodiff } from "./autodiff.js";
import { defineBase } from "./base.js";
import { defineCollections } from "./collections.js";
import { defineRandom } from "./random.js";
import { IntrinsicLibrary } from "./intrinsics.js";
import { defineNNlib } from "./nnlib.js";
import { defineOptimisers } from "./optimisers.js";
import { defineSharding } from "./sharding.js";
import { defineVectors } from "./vectors.js";
import { defineDicts } from "./dicts.js";
import { defineStrings } from "./strings.js";

export function juliaLibrary(interp: Interpreter): Map<string, Value> {
  const lib = new IntrinsicLibrary(interp);
  defineBase(lib);
  defineArrayFunctions(lib);
  defineNNlib(lib);
  defineCollections(lib);
  defineRandom(lib);
  defineAutodiff(lib);
  defineOptimisers(lib);
  defineSharding(lib);
  defineVectors(lib);
  defineDicts(lib);
  defineStrings(lib);
  return lib.entries;
}
