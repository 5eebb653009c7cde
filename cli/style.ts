// Colours and styles of the command's terminal output. Whether to colour is supports-color's
// decision for stdout (a terminal, FORCE_COLOR, --color/--no-color, TERM=dumb, CI systems that show
// colours); NO_COLOR (no-color.org), which that version of supports-color predates, turns it off.

import { createRequire } from "node:module";
import type { EntryPhase } from "./entry-status.js";

type Level = false | { level: number };
const supportsColor = createRequire(import.meta.url)("supports-color") as { stdout: Level };

/** Whether stdout gets colours. */
export const COLOR = supportsColor.stdout !== false && !(process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== "");

const sgr = (on: string, off: string) => (text: string) => (COLOR ? `\x1b[${on}m${text}\x1b[${off}m` : text);

export const style = {
  bold: sgr("1", "22"),
  dim: sgr("2", "22"),
  red: sgr("31", "39"),
  green: sgr("32", "39"),
  yellow: sgr("33", "39"),
  cyan: sgr("36", "39"),
};

const PHASE_STYLE: Record<EntryPhase, (text: string) => string> = {
  waiting: style.dim,
  compiling: style.yellow,
  compiled: style.green,
  cached: style.green,
  "compile failed": style.red,
  running: style.cyan,
  ran: style.green,
  "up to date": style.green,
  "run failed": style.red,
  "expect failed": style.red,
  skipped: style.dim,
};

export const phaseStyle = (phase: EntryPhase) => PHASE_STYLE[phase];
