package modelpack

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/berthml/berth/internal/protofields"
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
	err = protofields.Walk(b, func(num protowire.Number, v []byte) error {
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
	return protofields.Walk(b, func(num protowire.Number, v []byte) error {
		switch num {
		case 5: // GraphProto.initializer
			return tensorExternal(v, locs)
		case 15: // GraphProto.sparse_initializer
			return protofields.Walk(v, func(num protowire.Number, v []byte) error {
				if num == 1 || num == 2 { // SparseTensorProto.values, indices
					return tensorExternal(v, locs)
				}
				return nil
			})
		case 1: // GraphProto.node
			return protofields.Walk(v, func(num protowire.Number, v []byte) error {
				if num != 5 { // NodeProto.attribute
					return nil
				}
				return protofields.Walk(v, func(num protowire.Number, v []byte) error {
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
	return protofields.Walk(b, func(num protowire.Number, v []byte) error {
		if num != 13 { // TensorProto.external_data
			return nil
		}
		var key, value string
		err := protofields.Walk(v, func(num protowire.Number, v []byte) error {
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
