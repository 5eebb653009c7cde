// Original file: proto/runtime.proto

/**
 * Element types. Names and numbers are XLA's PrimitiveType (xla/xla_data.proto), so a value can be
 * copied to or from an HLO ShapeProto.element_type unchanged. Julia: Bool=PRED, Int8=S8, ...,
 * UInt64=U64, Float16=F16, BFloat16=BF16, Float32=F32, Float64=F64.
 */
export const PrimitiveType = {
  PRIMITIVE_TYPE_INVALID: 'PRIMITIVE_TYPE_INVALID',
  PRED: 'PRED',
  S8: 'S8',
  S16: 'S16',
  S32: 'S32',
  S64: 'S64',
  U8: 'U8',
  U16: 'U16',
  U32: 'U32',
  U64: 'U64',
  F16: 'F16',
  F32: 'F32',
  F64: 'F64',
  C64: 'C64',
  BF16: 'BF16',
  C128: 'C128',
} as const;

/**
 * Element types. Names and numbers are XLA's PrimitiveType (xla/xla_data.proto), so a value can be
 * copied to or from an HLO ShapeProto.element_type unchanged. Julia: Bool=PRED, Int8=S8, ...,
 * UInt64=U64, Float16=F16, BFloat16=BF16, Float32=F32, Float64=F64.
 */
export type PrimitiveType =
  | 'PRIMITIVE_TYPE_INVALID'
  | 0
  | 'PRED'
  | 1
  | 'S8'
  | 2
  | 'S16'
  | 3
  | 'S32'
  | 4
  | 'S64'
  | 5
  | 'U8'
  | 6
  | 'U16'
  | 7
  | 'U32'
  | 8
  | 'U64'
  | 9
  | 'F16'
  | 10
  | 'F32'
  | 11
  | 'F64'
  | 12
  | 'C64'
  | 15
  | 'BF16'
  | 16
  | 'C128'
  | 18

/**
 * Element types. Names and numbers are XLA's PrimitiveType (xla/xla_data.proto), so a value can be
 * copied to or from an HLO ShapeProto.element_type unchanged. Julia: Bool=PRED, Int8=S8, ...,
 * UInt64=U64, Float16=F16, BFloat16=BF16, Float32=F32, Float64=F64.
 */
export type PrimitiveType__Output = typeof PrimitiveType[keyof typeof PrimitiveType]
