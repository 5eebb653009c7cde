// The local XLA target: the runtime server (runtime/) as a child process, its gRPC client, and the
// "local" TargetPlugin of plugins/api.ts.

export { LocalSession, LocalTarget, localTarget, type LocalTargetOptions, type LocalTargetSettings, type ResidentTensor } from "./local-target.js";
export {
  MAX_CHUNK_BYTES,
  PROTO_LOADER_OPTIONS,
  RuntimeClient,
  RuntimeError,
  SESSION_METADATA,
  readRuntimeTls,
  tensorDigest,
  type CompiledExecutable,
  type DeviceBuffer,
  type RuntimeClientOptions,
  type RuntimeDeviceInfo,
  type RuntimeHealth,
  type RuntimeTls,
  type TransferRoute,
} from "./runtime-client.js";
export { DataChannelError, DataConnection, dataConnectOptions } from "./data-channel.js";
export { RuntimeProcess, type ReadyLine, type RuntimeProcessOptions } from "./runtime-process.js";
export { missingRuntime, runtimeLocation, type RuntimeLocation } from "./runtime-location.js";
export {
  byteSize,
  bytesPerElement,
  describeJulia,
  describeXla,
  elementTypeOf,
  juliaSizeOf,
  primitiveTypeOf,
  tensorByteSize,
  xlaShapeOf,
  type PrimitiveTypeName,
  type XlaShape,
} from "./tensor-layout.js";
