package modelpack

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// maxONNXParse bounds the model files read for external-data references:
// protobuf messages cannot exceed 2 GiB, so a larger file keeps its
// weights inside or is not parsed.
const maxONNXParse = 2 << 30

var errProto = errors.New("malformed protobuf")

// externalDataFiles returns the external-data locations (relative to the
// model file's directory, slash-separated as ONNX writes them) of the
// tensors of the ONNX model file at p. A file that is missing is not an
// error here: it is simply not a weight of the artifact.
func externalDataFiles(p string) ([]string, error) {
	info, err := os.Stat(p)
	if errors.Is(err, os.ErrNotExist) || err == nil && (!info.Mode().IsRegular() || info.Size() > maxONNXParse) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	locs := map[string]bool{}
	err = protoFields(b, func(num int, v []byte) error {
		if num == 7 { // ModelProto.graph
			return graphExternal(v, locs)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading ONNX tensors of %s: %w", filepath.Base(p), err)
	}
	out := make([]string, 0, len(locs))
	for l := range locs {
		out = append(out, l)
	}
	sort.Strings(out)
	return out, nil
}

// graphExternal adds the external-data locations of a GraphProto's
// initializers and of the subgraphs and tensors of its nodes' attributes.
func graphExternal(b []byte, locs map[string]bool) error {
	return protoFields(b, func(num int, v []byte) error {
		switch num {
		case 5: // GraphProto.initializer
			return tensorExternal(v, locs)
		case 15: // GraphProto.sparse_initializer
			return protoFields(v, func(num int, v []byte) error {
				if num == 1 || num == 2 { // SparseTensorProto.values, indices
					return tensorExternal(v, locs)
				}
				return nil
			})
		case 1: // GraphProto.node
			return protoFields(v, func(num int, v []byte) error {
				if num != 5 { // NodeProto.attribute
					return nil
				}
				return protoFields(v, func(num int, v []byte) error {
					switch num {
					case 5, 10: // AttributeProto.t, tensors
						return tensorExternal(v, locs)
					case 6, 11: // AttributeProto.g, graphs
						return graphExternal(v, locs)
					}
					return nil
				})
			})
		}
		return nil
	})
}

// tensorExternal adds the "location" entry of a TensorProto's external_data.
func tensorExternal(b []byte, locs map[string]bool) error {
	return protoFields(b, func(num int, v []byte) error {
		if num != 13 { // TensorProto.external_data
			return nil
		}
		var key, value string
		err := protoFields(v, func(num int, v []byte) error {
			switch num {
			case 1:
				key = string(v)
			case 2:
				value = string(v)
			}
			return nil
		})
		if err == nil && key == "location" && value != "" {
			locs[filepath.ToSlash(value)] = true
		}
		return err
	})
}

// protoFields calls fn with the number and bytes of each length-delimited
// field of the protobuf message b, skipping the other wire types.
func protoFields(b []byte, fn func(num int, v []byte) error) error {
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		if n <= 0 {
			return errProto
		}
		b = b[n:]
		num, wire := int(key>>3), key&7
		switch wire {
		case 0: // varint
			if _, n = binary.Uvarint(b); n <= 0 {
				return errProto
			}
			b = b[n:]
		case 1: // 64-bit
			if len(b) < 8 {
				return errProto
			}
			b = b[8:]
		case 5: // 32-bit
			if len(b) < 4 {
				return errProto
			}
			b = b[4:]
		case 2: // length-delimited
			l, n := binary.Uvarint(b)
			if n <= 0 || l > uint64(len(b)-n) {
				return errProto
			}
			v := b[n : n+int(l)]
			b = b[n+int(l):]
			if err := fn(num, v); err != nil {
				return err
			}
		default:
			return errProto
		}
	}
	return nil
}
