// Package protowire walks protobuf messages without generated code: berth
// reads the few fields of ONNX model files it needs (dimension names,
// external-data locations) this way, rather than linking the whole ONNX
// schema.
package protowire

import (
	"encoding/binary"
	"errors"
)

// ErrMalformed is returned for bytes that are not a protobuf message.
var ErrMalformed = errors.New("malformed protobuf")

// Fields calls fn with the number and bytes of each length-delimited field
// of the protobuf message b, skipping the other wire types, and stops at
// fn's first error.
func Fields(b []byte, fn func(num int, v []byte) error) error {
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		if n <= 0 {
			return ErrMalformed
		}
		b = b[n:]
		num, wire := int(key>>3), key&7
		switch wire {
		case 0: // varint
			if _, n = binary.Uvarint(b); n <= 0 {
				return ErrMalformed
			}
			b = b[n:]
		case 1: // 64-bit
			if len(b) < 8 {
				return ErrMalformed
			}
			b = b[8:]
		case 5: // 32-bit
			if len(b) < 4 {
				return ErrMalformed
			}
			b = b[4:]
		case 2: // length-delimited
			l, n := binary.Uvarint(b)
			if n <= 0 || l > uint64(len(b)-n) {
				return ErrMalformed
			}
			v := b[n : n+int(l)]
			b = b[n+int(l):]
			if err := fn(num, v); err != nil {
				return err
			}
		default:
			return ErrMalformed
		}
	}
	return nil
}
