// Original file: proto/runtime.proto


export interface CloseSessionRequest {
}

export interface CloseSessionRequest__Output {
}
