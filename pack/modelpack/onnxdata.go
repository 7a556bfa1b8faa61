package modelpack

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"google.golang.org/protobuf/encoding/protowire"
)

// maxONNXParse bounds the model files read for external-data references:
// protobuf messages cannot exceed 2 GiB, so a larger file keeps its
// weights inside or is not parsed.
const maxONNXParse = 2 << 30

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
	err = fields(b, func(num protowire.Number, v []byte) error {
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
	return fields(b, func(num protowire.Number, v []byte) error {
		switch num {
		case 5: // GraphProto.initializer
			return tensorExternal(v, locs)
		case 15: // GraphProto.sparse_initializer
			return fields(v, func(num protowire.Number, v []byte) error {
				if num == 1 || num == 2 { // SparseTensorProto.values, indices
					return tensorExternal(v, locs)
				}
				return nil
			})
		case 1: // GraphProto.node
			return fields(v, func(num protowire.Number, v []byte) error {
				if num != 5 { // NodeProto.attribute
					return nil
				}
				return fields(v, func(num protowire.Number, v []byte) error {
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
	return fields(b, func(num protowire.Number, v []byte) error {
		if num != 13 { // TensorProto.external_data
			return nil
		}
		var key, value string
		err := fields(v, func(num protowire.Number, v []byte) error {
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

// errProto is returned for bytes that are not a protobuf message.
var errProto = errors.New("malformed protobuf")

// fields calls fn with the number and bytes of each length-delimited field
// of the protobuf message b, skipping the other wire types (groups, which
// ONNX never writes, are malformed), and stops at fn's first error.
func fields(b []byte, fn func(num protowire.Number, v []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 || typ == protowire.StartGroupType || typ == protowire.EndGroupType {
			return errProto
		}
		b = b[n:]
		if typ != protowire.BytesType {
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				return errProto
			}
			b = b[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return errProto
		}
		b = b[n:]
		if err := fn(num, v); err != nil {
			return err
		}
	}
	return nil
}
