// Package oip speaks the Open Inference Protocol v2 (KServe V2, Triton's
// HTTP/REST protocol) over JSON, including Triton's binary tensor data
// extension, and KServe's V1 ":predict" protocol.
//
// It holds the wire types with their JSON tags, the server side decoders and
// encoders ([DecodeInferRequest], [EncodeInferResponse], [DecodeV1Predict],
// [EncodeV1Predict]) and a Go [Client]. It imports neither an HTTP framework
// nor a model runtime: tensors cross the package boundary as
// [flavors.Tensor] values.
//
// # Errors
//
// Every decoder failure is an [*Error]. Its Kind is [KindInvalid] for a
// client's bad request (the server answers 400 with [ErrorResponse]),
// unknown input and output names included. [KindNotFound] is for an unknown
// model or version, which only the server's routes know of: this package
// never returns it, and [NotFoundf] is there for the server to use.
//
// # Choices where the specification is silent
//
//   - A request's datatype must equal the model input's datatype; JSON
//     integers are accepted for the FP types, and for the integer types an
//     exactly integral number such as 2.0 or 1e3 (up to 2^53) is accepted.
//   - FP16 and BF16 may be sent as JSON numbers (they are held as float32,
//     FP16 values must lie within ±65504) or as binary data.
//   - Tensor data may be flat or nested exactly as the shape says; a rank 0
//     tensor may also be sent as a bare scalar.
//   - JSON cannot carry NaN or ±Inf: requests must use the binary
//     extension for them, and responses write them as null (as KServe's and
//     MLServer's Python servers do). [TensorFromOutput] reads null as NaN.
//     Binary outputs keep them exactly.
//   - BYTES elements written as JSON strings turn invalid UTF-8 into U+FFFD;
//     binary outputs keep the bytes. Map outputs (sklearn's
//     sequence-of-maps) are BYTES of shape [N], each row a JSON object with
//     its keys sorted.
//   - Unknown JSON keys are ignored (Triton's own examples send
//     "model_name" in a request). Request and parameter nesting is capped at
//     [MaxDepth].
package oip
