package flavors_test

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/berthml/berth/flavors"
)

// fuzzSeeds are the conformance MLmodel files, when present, plus a few
// hand-written ones.
func fuzzSeeds() [][]byte {
	seeds := [][]byte{
		[]byte("flavors:\n  onnx:\n    data: model.onnx\n    providers:\n    - CPUExecutionProvider\n"),
		[]byte("metadata:\n  a: &x [1, 2.5, null, true, 'yes', \"\\t\"]\n  b: *x\nextra: {k: ~}\n"),
		[]byte("signature:\n  inputs: '[{\"type\": \"array\", \"items\": {\"type\": \"long\"}, \"name\": \"a\"}]'\n" +
			"  params: '[{\"name\": \"p\", \"type\": \"double\", \"default\": 1e-7, \"shape\": [-1]}]'\n"),
		[]byte("saved_input_example_info:\n  artifact_path: input_example.json\n  type: ndarray\n  other: [x]\n"),
	}
	paths, _ := filepath.Glob(filepath.Join(conformanceModels, "*", "MLmodel"))
	if len(paths) == 0 {
		panic("no MLflow-written MLmodel files under " + conformanceModels + " (git checkout -- testdata/conformance)")
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			panic(err)
		}
		seeds = append(seeds, data)
	}
	return seeds
}

func FuzzParseMLmodel(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := flavors.ParseMLmodel(data)
		if err != nil {
			return
		}
		out, err := m.Marshal()
		if err != nil {
			t.Fatalf("Marshal of a parsed MLmodel: %v", err)
		}
		again, err := flavors.ParseMLmodel(out)
		if err != nil {
			t.Fatalf("parsing Marshal's output: %v\n%s", err, out)
		}
		if !equalNaN(reflect.ValueOf(m), reflect.ValueOf(again)) {
			t.Fatalf("round trip changed the model:\n%#v\n%#v\nYAML:\n%s", m, again, out)
		}
		out2, err := again.Marshal()
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("Marshal is not stable (%v):\n%s\n---\n%s", err, out, out2)
		}
	})
}

func FuzzParseSchema(f *testing.F) {
	for _, s := range fuzzSeeds() {
		m, err := flavors.ParseMLmodel(s)
		if err != nil || m.Signature == nil {
			continue
		}
		for _, schema := range []*flavors.Schema{m.Signature.Inputs, m.Signature.Outputs} {
			if text, err := schema.MarshalJSON(); err == nil {
				f.Add(text)
			}
		}
	}
	f.Add([]byte(`[{"name":"t","type":"tensor","tensor-spec":{"dtype":"<U0","shape":[]}}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := flavors.ParseSchema(data)
		if err != nil {
			return
		}
		out, err := s.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON of a parsed schema: %v", err)
		}
		again, err := flavors.ParseSchema(out)
		if err != nil {
			t.Fatalf("parsing MarshalJSON's output: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(s, again) {
			t.Fatalf("round trip changed the schema:\n%#v\n%#v\nJSON: %s", s, again, out)
		}
		if out2, _ := again.MarshalJSON(); !bytes.Equal(out, out2) {
			t.Fatalf("MarshalJSON is not stable:\n%s\n%s", out, out2)
		}
	})
}

// equalNaN is reflect.DeepEqual, except that NaN equals NaN (YAML's .nan
// reads back as NaN, which DeepEqual never equates).
func equalNaN(a, b reflect.Value) bool {
	if a.IsValid() != b.IsValid() {
		return false
	}
	if !a.IsValid() {
		return true
	}
	if a.Type() != b.Type() {
		return false
	}
	switch a.Kind() {
	case reflect.Float32, reflect.Float64:
		x, y := a.Float(), b.Float()
		return x == y || (math.IsNaN(x) && math.IsNaN(y))
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return equalNaN(a.Elem(), b.Elem())
	case reflect.Struct:
		for i := range a.NumField() {
			if !equalNaN(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Slice:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !equalNaN(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return false
		}
		for it := a.MapRange(); it.Next(); {
			bv := b.MapIndex(it.Key())
			if !bv.IsValid() || !equalNaN(it.Value(), bv) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}
