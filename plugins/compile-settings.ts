// The target settings that change how entries are compiled, not how they run: `float64` and
// `matmulPrecision`. Every target that runs XLA modules takes them (local and remote alike), checks
// them with its other settings when the manifest loads, and hands them with its platform to the
// compiler through TargetPlugin.compileOptions; the engine puts the result into the cache key.

import type { CompileOptions, Platform, SettingProblem } from "./api.js";
import type { Float64Mode, MatmulPrecision } from "../schema/manifest.js";

export const COMPILE_SETTING_KEYS = ["float64", "matmulPrecision"] as const;
export const FLOAT64_MODES: readonly Float64Mode[] = ["error", "float32"];
export const MATMUL_PRECISIONS: readonly MatmulPrecision[] = ["default", "high", "highest"];

const oneOf = (values: readonly string[]) => values.map((v) => JSON.stringify(v)).join(", ");

/** Problems with `float64` and `matmulPrecision` (other keys are the target's own to check). */
export function checkCompileSettings(settings: Record<string, unknown>): SettingProblem[] {
  const problems: SettingProblem[] = [];
  const check = (key: (typeof COMPILE_SETTING_KEYS)[number], values: readonly string[], what: string) => {
    const v = settings[key];
    if (v === undefined || values.includes(v as string)) return;
    const near = typeof v === "string" ? values.find((x) => x.toLowerCase() === v.toLowerCase()) : undefined;
    problems.push({ key, message: `"${key}" must be one of ${oneOf(values)} (${what}), got ${JSON.stringify(v)?.slice(0, 80)}`, suggestion: near });
  };
  check("float64", FLOAT64_MODES, `"error" rejects Float64 arithmetic the platform cannot do; "float32" computes Float64 values as Float32`);
  check("matmulPrecision", MATMUL_PRECISIONS, "the precision of every dot and convolution");
  return problems;
}

/** The compile options of a target on `platform` (undefined: not declared) with these checked settings, defaults filled in. */
export function compileOptionsOf(platform: Platform | undefined, settings: Record<string, unknown>): CompileOptions {
  const options: CompileOptions = {
    float64: (settings.float64 as CompileOptions["float64"]) ?? "error",
    matmulPrecision: (settings.matmulPrecision as CompileOptions["matmulPrecision"]) ?? "default",
  };
  if (platform !== undefined) options.platform = platform;
  return options;
}
