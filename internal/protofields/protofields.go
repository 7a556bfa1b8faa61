// Package protofields walks the length-delimited fields of a protobuf
// message, which is all berth reads of ONNX files (input and output
// shapes, external-data locations) without generated code. Wire decoding
// is google.golang.org/protobuf's protowire; this is the loop around it
// that flavors/onnx and pack/modelpack share.
package protofields

import (
	"errors"

	"google.golang.org/protobuf/encoding/protowire"
)

// ErrMalformed is returned for bytes that are not a protobuf message.
var ErrMalformed = errors.New("malformed protobuf")

// Walk calls fn with the number and bytes of each length-delimited field
// of the protobuf message b, skipping the other wire types (groups, which
// ONNX never writes, are malformed), and stops at fn's first error.
func Walk(b []byte, fn func(num protowire.Number, v []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 || typ == protowire.StartGroupType || typ == protowire.EndGroupType {
			return ErrMalformed
		}
		b = b[n:]
		if typ != protowire.BytesType {
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				return ErrMalformed
			}
			b = b[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return ErrMalformed
		}
		b = b[n:]
		if err := fn(num, v); err != nil {
			return err
		}
	}
	return nil
}
