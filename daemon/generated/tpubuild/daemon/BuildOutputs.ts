// Original file: proto/daemon.proto

import type { BuildOutput as _tpubuild_daemon_BuildOutput, BuildOutput__Output as _tpubuild_daemon_BuildOutput__Output } from '../../tpubuild/daemon/BuildOutput.js';

/**
 * The outputs produced in one turn of the daemon's event loop, in order: a build of many entries
 * emits hundreds of events at once, and one message each cost more than the build itself.
 */
export interface BuildOutputs {
  'outputs'?: (_tpubuild_daemon_BuildOutput)[];
}

/**
 * The outputs produced in one turn of the daemon's event loop, in order: a build of many entries
 * emits hundreds of events at once, and one message each cost more than the build itself.
 */
export interface BuildOutputs__Output {
  'outputs': (_tpubuild_daemon_BuildOutput__Output)[];
}
