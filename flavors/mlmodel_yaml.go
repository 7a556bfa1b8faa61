package flavors

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"strings"

	"github.com/berthml/berth/internal/pyvalue"
	"go.yaml.in/yaml/v3"
)

// ReadMLmodelFile reads and parses the MLmodel file at path. A missing file
// gives an error wrapping [ErrNoMLmodel].
func ReadMLmodelFile(path string) (*MLmodel, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("reading %s: %w", path, ErrNoMLmodel)
	}
	if err != nil {
		return nil, fmt.Errorf("reading MLmodel: %w", err)
	}
	m, err := ParseMLmodel(data)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return m, nil
}

// ParseMLmodel parses the text of an MLmodel file. Every key MLflow writes
// goes into its typed field; other top-level keys go into Extra, and other
// keys of saved_input_example_info and signature into their Extra. A
// malformed file gives an error wrapping a *FieldError that names the
// field at fault. It never panics, whatever data holds.
func ParseMLmodel(data []byte) (*MLmodel, error) {
	root, err := parseYAMLMapping(data)
	if err != nil {
		return nil, fmt.Errorf("parsing MLmodel: %w", err)
	}
	m, err := newNodeReader().mlmodel(root)
	if err != nil {
		return nil, fmt.Errorf("parsing MLmodel: %w", err)
	}
	return m, nil
}

// parseYAMLMapping parses data as one YAML document holding a mapping.
func parseYAMLMapping(data []byte) (root *yaml.Node, err error) {
	defer func() {
		if p := recover(); p != nil { // the YAML library's own bugs must not take a server down
			root, err = nil, &FieldError{Msg: fmt.Sprintf("reading YAML: %v", p)}
		}
	}()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &FieldError{Msg: fmt.Sprintf("invalid YAML: %v", err)}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, &FieldError{Msg: "the file is empty"}
	}
	root = doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &FieldError{Msg: fmt.Sprintf("the file holds %s, want a mapping of MLmodel keys", kindName(root))}
	}
	return root, nil
}

// mlmodelKeys are the top-level keys that have typed fields.
var mlmodelKeys = map[string]bool{
	"artifact_path": true, "flavors": true, "model_uuid": true, "run_id": true,
	"utc_time_created": true, "mlflow_version": true, "signature": true,
	"saved_input_example_info": true, "metadata": true, "model_size_bytes": true,
	"databricks_runtime": true,
}

func (r *nodeReader) mlmodel(root *yaml.Node) (*MLmodel, error) {
	m := &MLmodel{}
	err := r.eachPair(root, "", func(key string, v *yaml.Node) error {
		v, err := r.resolve(v, key)
		if err != nil {
			return err
		}
		switch key {
		case "artifact_path":
			return r.text(v, key, &m.ArtifactPath)
		case "model_uuid":
			return r.text(v, key, &m.ModelUUID)
		case "run_id":
			return r.text(v, key, &m.RunID)
		case "utc_time_created":
			return r.text(v, key, &m.UTCTimeCreated)
		case "mlflow_version":
			return r.text(v, key, &m.MLflowVersion)
		case "databricks_runtime":
			return r.text(v, key, &m.DatabricksRuntime)
		case "flavors":
			m.Flavors, err = r.flavors(v)
		case "signature":
			m.Signature, err = r.signature(v)
		case "saved_input_example_info":
			m.SavedInputExampleInfo, err = r.inputExampleInfo(v)
		case "metadata":
			m.Metadata, err = r.optMapping(v, key)
		case "model_size_bytes":
			m.ModelSizeBytes, err = r.size(v, key)
		default:
			var val any
			val, err = r.value(v, key)
			if m.Extra == nil {
				m.Extra = map[string]any{}
			}
			m.Extra[key] = val
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// text reads a scalar as its text; null leaves dst empty.
func (r *nodeReader) text(v *yaml.Node, path string, dst *string) error {
	if isNull(v) {
		return nil
	}
	if v.Kind != yaml.ScalarNode {
		return fieldErr(path, "is %s, want a string", kindName(v))
	}
	*dst = v.Value
	return nil
}

func isNull(v *yaml.Node) bool { return v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null" }

func (r *nodeReader) size(v *yaml.Node, path string) (*int64, error) {
	if isNull(v) {
		return nil, nil
	}
	var n int64
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!int" || v.Decode(&n) != nil {
		return nil, fieldErr(path, "is %s, want a whole number of bytes", kindName(v))
	}
	if n < 0 {
		return nil, fieldErr(path, "is %d, want a size ≥ 0", n)
	}
	return &n, nil
}

// optMapping reads a mapping or null.
func (r *nodeReader) optMapping(v *yaml.Node, path string) (map[string]any, error) {
	if isNull(v) {
		return nil, nil
	}
	if v.Kind != yaml.MappingNode {
		return nil, fieldErr(path, "is %s, want a mapping", kindName(v))
	}
	return r.mapping(v, path)
}

func (r *nodeReader) flavors(v *yaml.Node) (map[string]map[string]any, error) {
	if isNull(v) {
		return nil, nil
	}
	if v.Kind != yaml.MappingNode {
		return nil, fieldErr("flavors", "is %s, want a mapping of flavor names to their configuration", kindName(v))
	}
	fl := make(map[string]map[string]any, len(v.Content)/2)
	err := r.eachPair(v, "flavors", func(name string, c *yaml.Node) error {
		c, err := r.resolve(c, "flavors."+name)
		if err != nil {
			return err
		}
		fl[name], err = r.optMapping(c, "flavors."+name)
		return err
	})
	if err != nil {
		return nil, err
	}
	return fl, nil
}

// Marshal writes m as an MLmodel file, with the YAML library: keys sorted
// and signature schemas as JSON text, as MLflow writes them, and floats as
// PyYAML reads them back as floats (1.0e-07, not 1e-07). Parsing the
// output gives m again; the layout is YAML's, not byte for byte PyYAML's.
// Empty string fields and nil fields are left out, except that the
// signature always has inputs, outputs and params (null when absent), as
// in MLflow. Extra entries named like a typed field are ignored.
func (m *MLmodel) Marshal() ([]byte, error) {
	doc := make(map[string]any, len(m.Extra)+len(mlmodelKeys))
	for k, v := range m.Extra {
		if !mlmodelKeys[k] {
			doc[k] = v
		}
	}
	for k, v := range map[string]string{
		"artifact_path": m.ArtifactPath, "model_uuid": m.ModelUUID, "run_id": m.RunID,
		"utc_time_created": m.UTCTimeCreated, "mlflow_version": m.MLflowVersion,
		"databricks_runtime": m.DatabricksRuntime,
	} {
		if v != "" {
			doc[k] = v
		}
	}
	if m.Flavors != nil {
		doc["flavors"] = m.Flavors
	}
	if m.Signature != nil {
		sig, err := m.Signature.yamlValue()
		if err != nil {
			return nil, fmt.Errorf("writing MLmodel: %w", err)
		}
		doc["signature"] = sig
	}
	if m.SavedInputExampleInfo != nil {
		doc["saved_input_example_info"] = m.SavedInputExampleInfo.yamlValue()
	}
	if m.Metadata != nil {
		doc["metadata"] = m.Metadata
	}
	if m.ModelSizeBytes != nil {
		doc["model_size_bytes"] = *m.ModelSizeBytes
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := encodeYAML(enc, pyFloats(doc)); err != nil {
		return nil, fmt.Errorf("writing MLmodel: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("writing MLmodel: %w", err)
	}
	return buf.Bytes(), nil
}

// encodeYAML encodes v, turning the YAML library's panics on values it
// cannot hold (channels, functions) into errors.
func encodeYAML(enc *yaml.Encoder, v any) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("encoding YAML: %v", p)
		}
	}()
	return enc.Encode(v)
}

// pyFloat is a float that encodes as PyYAML writes and reads floats.
type pyFloat struct {
	f    float64
	bits int
}

// MarshalYAML implements yaml.Marshaler.
func (p pyFloat) MarshalYAML() (any, error) {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: pyYAMLFloat(p.f, p.bits)}, nil
}

// pyFloats copies v with each float wrapped as a pyFloat.
func pyFloats(v any) any {
	switch t := v.(type) {
	case float64:
		return pyFloat{t, 64}
	case float32:
		return pyFloat{float64(t), 32}
	case map[string]any:
		if t == nil {
			return nil // null, not {}
		}
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = pyFloats(e)
		}
		return out
	case map[string]map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = pyFloats(e)
		}
		return out
	case []any:
		if t == nil {
			return nil
		}
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = pyFloats(e)
		}
		return out
	}
	return v
}

// pyYAMLFloat formats f as PyYAML's represent_float does.
func pyYAMLFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return ".nan"
	case math.IsInf(f, 1):
		return ".inf"
	case math.IsInf(f, -1):
		return "-.inf"
	}
	s := pyvalue.FloatRepr(f)
	if bits == 32 {
		s = pyvalue.Float32Repr(float32(f))
	}
	if !strings.Contains(s, ".") && strings.Contains(s, "e") {
		s = strings.Replace(s, "e", ".0e", 1)
	}
	return s
}

// WriteFile writes m to path as Marshal lays it out.
func (m *MLmodel) WriteFile(path string) error {
	data, err := m.Marshal()
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("writing MLmodel: %w", err)
	}
	return nil
}
