// Original file: proto/runtime.proto


export interface ImportExecutableResponse {
}

export interface ImportExecutableResponse__Output {
}
