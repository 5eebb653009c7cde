// Original file: proto/runtime.proto


export interface ShutdownResponse {
}

export interface ShutdownResponse__Output {
}
