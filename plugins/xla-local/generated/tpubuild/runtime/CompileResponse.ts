// Original file: proto/runtime.proto

import type { ArrayShape as _tpubuild_runtime_ArrayShape, ArrayShape__Output as _tpubuild_runtime_ArrayShape__Output } from '../../tpubuild/runtime/ArrayShape.js';
import type { Long } from '@grpc/proto-loader';

// Original file: proto/runtime.proto

export const _tpubuild_runtime_CompileResponse_Source = {
  /**
   * compiled now (and written to the disk cache)
   */
  COMPILED: 'COMPILED',
  /**
   * already loaded in this server process
   */
  MEMORY: 'MEMORY',
  /**
   * deserialized from the on-disk executable cache, not recompiled
   */
  DISK: 'DISK',
  /**
   * deserialized from an entry taken in by ImportExecutable, not recompiled
   */
  IMPORTED: 'IMPORTED',
} as const;

export type _tpubuild_runtime_CompileResponse_Source =
  /**
   * compiled now (and written to the disk cache)
   */
  | 'COMPILED'
  | 0
  /**
   * already loaded in this server process
   */
  | 'MEMORY'
  | 1
  /**
   * deserialized from the on-disk executable cache, not recompiled
   */
  | 'DISK'
  | 2
  /**
   * deserialized from an entry taken in by ImportExecutable, not recompiled
   */
  | 'IMPORTED'
  | 3

export type _tpubuild_runtime_CompileResponse_Source__Output = typeof _tpubuild_runtime_CompileResponse_Source[keyof typeof _tpubuild_runtime_CompileResponse_Source]

export interface CompileResponse {
  'executable'?: (string);
  'source'?: (_tpubuild_runtime_CompileResponse_Source);
  /**
   * Flattened parameters and results (a tuple root comes back as separate buffers).
   */
  'parameters'?: (_tpubuild_runtime_ArrayShape)[];
  'results'?: (_tpubuild_runtime_ArrayShape)[];
  /**
   * Milliseconds spent in this call's compile or deserialize step.
   */
  'elapsedMs'?: (number | string);
  /**
   * How many modules this server process has compiled from HLO since it started (cache hits excluded).
   */
  'compilations'?: (number | string | Long);
  /**
   * Set when an on-disk cache entry was found and not trusted (tampered, corrupt, not a file):
   * it was recompiled and replaced; the text says why.
   */
  'cacheWarning'?: (string);
  /**
   * Device memory one run needs, from XLA's compiled memory statistics (arguments + outputs +
   * temporaries + generated code - aliased bytes); checked against the device's memory at Execute.
   */
  'deviceMemoryBytes'?: (number | string | Long);
  /**
   * How many devices the program is partitioned over (1: not partitioned), and the shape of each
   * parameter and result on one device as XLA partitioned them (e.g. a batch split over 4 devices).
   */
  'partitions'?: (number);
  'partitionParameters'?: (_tpubuild_runtime_ArrayShape)[];
  'partitionResults'?: (_tpubuild_runtime_ArrayShape)[];
}

export interface CompileResponse__Output {
  'executable': (string);
  'source': (_tpubuild_runtime_CompileResponse_Source__Output);
  /**
   * Flattened parameters and results (a tuple root comes back as separate buffers).
   */
  'parameters': (_tpubuild_runtime_ArrayShape__Output)[];
  'results': (_tpubuild_runtime_ArrayShape__Output)[];
  /**
   * Milliseconds spent in this call's compile or deserialize step.
   */
  'elapsedMs': (number);
  /**
   * How many modules this server process has compiled from HLO since it started (cache hits excluded).
   */
  'compilations': (number);
  /**
   * Set when an on-disk cache entry was found and not trusted (tampered, corrupt, not a file):
   * it was recompiled and replaced; the text says why.
   */
  'cacheWarning': (string);
  /**
   * Device memory one run needs, from XLA's compiled memory statistics (arguments + outputs +
   * temporaries + generated code - aliased bytes); checked against the device's memory at Execute.
   */
  'deviceMemoryBytes': (number);
  /**
   * How many devices the program is partitioned over (1: not partitioned), and the shape of each
   * parameter and result on one device as XLA partitioned them (e.g. a batch split over 4 devices).
   */
  'partitions': (number);
  'partitionParameters': (_tpubuild_runtime_ArrayShape__Output)[];
  'partitionResults': (_tpubuild_runtime_ArrayShape__Output)[];
}
