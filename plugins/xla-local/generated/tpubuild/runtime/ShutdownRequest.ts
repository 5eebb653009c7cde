// Original file: proto/runtime.proto


export interface ShutdownRequest {
}

export interface ShutdownRequest__Output {
}
