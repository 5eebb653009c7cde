// Original file: proto/runtime.proto


export interface DeviceInfoRequest {
}

export interface DeviceInfoRequest__Output {
}
