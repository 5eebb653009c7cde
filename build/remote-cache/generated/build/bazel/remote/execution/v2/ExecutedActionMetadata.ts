// Original file: proto/reapi/build/bazel/remote/execution/v2/remote_execution.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../../../../google/protobuf/Timestamp.js';
import type { Any as _google_protobuf_Any, Any__Output as _google_protobuf_Any__Output } from '../../../../../google/protobuf/Any.js';

export interface ExecutedActionMetadata {
  'worker'?: (string);
  'queuedTimestamp'?: (_google_protobuf_Timestamp | null);
  'workerStartTimestamp'?: (_google_protobuf_Timestamp | null);
  'workerCompletedTimestamp'?: (_google_protobuf_Timestamp | null);
  'auxiliaryMetadata'?: (_google_protobuf_Any)[];
}

export interface ExecutedActionMetadata__Output {
  'worker': (string);
  'queuedTimestamp': (_google_protobuf_Timestamp__Output | null);
  'workerStartTimestamp': (_google_protobuf_Timestamp__Output | null);
  'workerCompletedTimestamp': (_google_protobuf_Timestamp__Output | null);
  'auxiliaryMetadata': (_google_protobuf_Any__Output)[];
}
