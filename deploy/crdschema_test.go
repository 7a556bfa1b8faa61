package deploy_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	sigsyaml "sigs.k8s.io/yaml"
)

// crdValidator checks a custom resource against one version of a published
// CRD's openAPIV3Schema with a maintained JSON Schema validator
// (santhosh-tekuri/jsonschema, draft 4, the dialect Kubernetes' OpenAPI v3
// subset follows): types, patterns, enums, required fields, minimums and
// lengths. The API server also prunes every field a structural schema does
// not name — silently, which is how a misspelt field goes unnoticed in a
// cluster — so each object schema with properties is closed
// (additionalProperties: false) unless it says
// x-kubernetes-preserve-unknown-fields or has additionalProperties of its
// own; x-kubernetes-int-or-string and nullable are spelt in JSON Schema.
// The root's metadata is left to ObjectMeta (the CRD says only "object"),
// as the API server does. Not run: the schema's CEL rules
// (x-kubernetes-validations).
type crdValidator struct {
	schema *jsonschema.Schema
}

// loadCRD reads the openAPIV3Schema of a CRD's version and compiles it.
func loadCRD(t *testing.T, file, version string) *crdValidator {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	js, err := sigsyaml.YAMLToJSON(b)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var crd struct {
		Spec struct {
			Versions []struct {
				Name   string `json:"name"`
				Schema struct {
					OpenAPIV3Schema map[string]any `json:"openAPIV3Schema"`
				} `json:"schema"`
			} `json:"versions"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(js, &crd); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	for _, v := range crd.Spec.Versions {
		if v.Name != version || v.Schema.OpenAPIV3Schema == nil {
			continue
		}
		s := kubeSchema(v.Schema.OpenAPIV3Schema)
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft4)
		if err := c.AddResource("crd.json", s); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		sch, err := c.Compile("crd.json")
		if err != nil {
			t.Fatalf("%s: compiling the schema: %v", file, err)
		}
		return &crdValidator{sch}
	}
	t.Fatalf("%s: no version %s with a schema", file, version)
	return nil
}

// kubeSchema returns a copy of a Kubernetes structural schema spelt in
// JSON Schema: objects closed as the API server's pruning closes them,
// int-or-string and nullable made explicit.
func kubeSchema(s map[string]any) map[string]any {
	out := make(map[string]any, len(s)+1)
	for k, v := range s {
		out[k] = v
	}
	for _, k := range []string{"items", "additionalProperties", "not"} {
		if m, ok := s[k].(map[string]any); ok {
			out[k] = kubeSchema(m)
		}
	}
	for _, k := range []string{"allOf", "anyOf", "oneOf"} {
		if list, ok := s[k].([]any); ok {
			cp := make([]any, len(list))
			for i, x := range list {
				if m, ok := x.(map[string]any); ok {
					cp[i] = kubeSchema(m)
				} else {
					cp[i] = x
				}
			}
			out[k] = cp
		}
	}
	if props, ok := s["properties"].(map[string]any); ok {
		cp := make(map[string]any, len(props))
		for k, v := range props {
			if m, ok := v.(map[string]any); ok {
				cp[k] = kubeSchema(m)
			}
		}
		out["properties"] = cp
		if _, has := s["additionalProperties"]; !has && s["x-kubernetes-preserve-unknown-fields"] != true {
			out["additionalProperties"] = false
		}
	}
	if s["x-kubernetes-int-or-string"] == true {
		delete(out, "type")
		out["anyOf"] = []any{map[string]any{"type": "integer"}, map[string]any{"type": "string"}}
	}
	if t, ok := s["type"].(string); ok && s["nullable"] == true {
		out["type"] = []any{t, "null"}
	}
	return out
}

// validate returns what the API server would refuse or drop of obj (a
// decoded JSON object), one line each.
func (c *crdValidator) validate(obj map[string]any) []string {
	root := make(map[string]any, len(obj))
	for k, v := range obj {
		root[k] = v
	}
	if _, ok := root["metadata"].(map[string]any); ok {
		root["metadata"] = map[string]any{} // ObjectMeta's, not the CRD's
	}
	b, _ := json.Marshal(root)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return []string{err.Error()}
	}
	err = c.schema.Validate(inst)
	if err == nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(fmt.Sprintf("%v", err), "\n") {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "jsonschema validation failed") {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		out = []string{err.Error()}
	}
	return out
}
