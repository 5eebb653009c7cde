// Original file: proto/runtime.proto


export interface HealthRequest {
}

export interface HealthRequest__Output {
}
