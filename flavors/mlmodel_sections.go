package flavors

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// The signature and saved_input_example_info sections of an MLmodel file.

func (r *nodeReader) signature(v *yaml.Node) (*Signature, error) {
	if isNull(v) {
		return nil, nil
	}
	if v.Kind != yaml.MappingNode {
		return nil, fieldErr("signature", "is %s, want a mapping with inputs, outputs and params", kindName(v))
	}
	s := &Signature{}
	err := r.eachPair(v, "signature", func(key string, n *yaml.Node) error {
		path := "signature." + key
		n, err := r.resolve(n, path)
		if err != nil {
			return err
		}
		switch key {
		case "inputs", "outputs", "params":
			if isNull(n) {
				return nil
			}
			if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
				return fieldErr(path, "is %s, want a JSON string", kindName(n))
			}
			switch key {
			case "inputs":
				s.Inputs, err = parseSchema([]byte(n.Value), path)
			case "outputs":
				s.Outputs, err = parseSchema([]byte(n.Value), path)
			default:
				s.Params, err = parseParams([]byte(n.Value), path)
			}
			return err
		}
		val, err := r.value(n, path)
		if s.Extra == nil {
			s.Extra = map[string]any{}
		}
		s.Extra[key] = val
		return err
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (r *nodeReader) inputExampleInfo(v *yaml.Node) (*InputExampleInfo, error) {
	const section = "saved_input_example_info"
	if isNull(v) {
		return nil, nil
	}
	if v.Kind != yaml.MappingNode {
		return nil, fieldErr(section, "is %s, want a mapping", kindName(v))
	}
	info := &InputExampleInfo{}
	err := r.eachPair(v, section, func(key string, n *yaml.Node) error {
		path := section + "." + key
		n, err := r.resolve(n, path)
		if err != nil {
			return err
		}
		switch key {
		case "artifact_path":
			return r.text(n, path, &info.ArtifactPath)
		case "serving_input_path":
			return r.text(n, path, &info.ServingInputPath)
		case "type":
			return r.text(n, path, &info.Type)
		case "pandas_orient":
			return r.text(n, path, &info.PandasOrient)
		case "format":
			return r.text(n, path, &info.Format)
		}
		val, err := r.value(n, path)
		if info.Extra == nil {
			info.Extra = map[string]any{}
		}
		info.Extra[key] = val
		return err
	})
	if err != nil {
		return nil, err
	}
	return info, nil
}

// yamlValue is the signature as MLflow's Signature.to_dict writes it:
// inputs, outputs and params as JSON text, null when absent.
func (s *Signature) yamlValue() (map[string]any, error) {
	out := map[string]any{}
	for k, v := range s.Extra {
		out[k] = v
	}
	for _, f := range []struct {
		key    string
		schema *Schema
	}{{"inputs", s.Inputs}, {"outputs", s.Outputs}} {
		out[f.key] = nil
		if f.schema == nil || len(f.schema.Columns)+len(f.schema.Tensors) == 0 {
			continue
		}
		text, err := f.schema.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("writing signature.%s: %w", f.key, err)
		}
		out[f.key] = string(text)
	}
	out["params"] = nil
	if len(s.Params) > 0 {
		text, err := MarshalParams(s.Params)
		if err != nil {
			return nil, fmt.Errorf("writing signature.params: %w", err)
		}
		out["params"] = string(text)
	}
	return out, nil
}

func (info *InputExampleInfo) yamlValue() map[string]any {
	out := map[string]any{}
	for k, v := range info.Extra {
		out[k] = v
	}
	for k, v := range map[string]string{
		"artifact_path": info.ArtifactPath, "serving_input_path": info.ServingInputPath,
		"type": info.Type, "pandas_orient": info.PandasOrient, "format": info.Format,
	} {
		delete(out, k) // a typed field wins over an Extra entry of its name
		if v != "" {
			out[k] = v
		}
	}
	return out
}
