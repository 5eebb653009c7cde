// Original file: proto/runtime.proto


export interface CloseSharedRegionResponse {
}

export interface CloseSharedRegionResponse__Output {
}
