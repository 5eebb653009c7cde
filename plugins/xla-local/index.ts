// The runtime client of every target (RuntimeClient: tokens, TLS, sessions, deadlines; README.md
// shows a remote server reached with it), the local XLA target (the runtime server as a child
// process, the "local" TargetPlugin of plugins/api.ts), and the runtime's serve and pack commands.

export { LocalSession, LocalTarget, localTarget, type LocalTargetOptions, type ResidentTensor, type RuntimeConnection } from "./local-target.js";
export { checkLocalSettings, type LocalTargetSettings } from "./settings.js";
export { RemoteTarget, remoteTarget, serverPlatform, type RemoteTargetOptions } from "./remote-target.js";
export { checkRemoteSettings, type RemoteTargetSettings } from "./remote-settings.js";
export {
  MAX_CHUNK_BYTES,
  PROTO_LOADER_OPTIONS,
  RuntimeClient,
  RuntimeError,
  SESSION_METADATA,
  SMALL_TENSOR_BYTES,
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
export { openRegion, readRegion, SharedMemoryError, writeRegion } from "./shared-memory.js";
export { RuntimeProcess, type ReadyLine, type RuntimeProcessOptions } from "./runtime-process.js";
export { packRuntime, serveRuntime } from "./runtime-package.js";
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
