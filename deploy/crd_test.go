package deploy_test

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// prometheusRuleCRD is prometheus-operator's published CRD (operator
// 0.82.2; source and checksum in testdata/crds/README.md).
const prometheusRuleCRD = "../testdata/crds/prometheus-operator/monitoring.coreos.com_prometheusrules.yaml"

// crdSchema reads the openAPIV3Schema of a CRD's version.
func crdSchema(t *testing.T, file, version string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	js, err := sigsyaml.YAMLToJSON(b)
	if err != nil {
		t.Fatal(err)
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
		t.Fatal(err)
	}
	for _, v := range crd.Spec.Versions {
		if v.Name == version {
			return v.Schema.OpenAPIV3Schema
		}
	}
	t.Fatalf("%s: no version %s", file, version)
	return nil
}

// validateSchema checks a JSON value against a CRD's structural OpenAPI v3
// schema as the API server prunes and validates it: a property the schema
// does not name is an error (unless x-kubernetes-preserve-unknown-fields),
// and type, required, pattern, minLength, enum and int-or-string hold. The
// root's metadata is left to ObjectMeta, as the API server does.
func validateSchema(s map[string]any, v any, path string) []string {
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, path+": "+fmt.Sprintf(format, args...)) }
	if s["x-kubernetes-int-or-string"] == true {
		switch v.(type) {
		case string, float64:
		default:
			fail("want an integer or a string, got %T", v)
		}
		return errs
	}
	if e, ok := s["enum"].([]any); ok {
		found := false
		for _, x := range e {
			found = found || reflect.DeepEqual(x, v)
		}
		if !found {
			fail("%v is not one of %v", v, e)
		}
	}
	switch s["type"] {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			fail("want an object, got %T", v)
			return errs
		}
		props, _ := s["properties"].(map[string]any)
		addl, _ := s["additionalProperties"].(map[string]any)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if k == "metadata" && !strings.Contains(path, ".") {
				// The API server validates a resource's metadata as
				// ObjectMeta, not by the CRD's schema (type: object).
				continue
			}
			if ps, ok := props[k].(map[string]any); ok {
				errs = append(errs, validateSchema(ps, m[k], path+"."+k)...)
			} else if addl != nil {
				errs = append(errs, validateSchema(addl, m[k], path+"."+k)...)
			} else if s["x-kubernetes-preserve-unknown-fields"] != true {
				fail("unknown field %q", k)
			}
		}
		req, _ := s["required"].([]any)
		for _, r := range req {
			if _, ok := m[r.(string)]; !ok {
				fail("missing required field %q", r)
			}
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			fail("want an array, got %T", v)
			return errs
		}
		items, _ := s["items"].(map[string]any)
		for i, x := range a {
			errs = append(errs, validateSchema(items, x, fmt.Sprintf("%s[%d]", path, i))...)
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			fail("want a string, got %T", v)
			return errs
		}
		if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(str) {
			fail("%q does not match %s", str, p)
		}
		if n, ok := s["minLength"].(float64); ok && len(str) < int(n) {
			fail("%q is shorter than %v", str, n)
		}
	case "integer":
		if f, ok := v.(float64); !ok || f != float64(int64(f)) {
			fail("want an integer, got %v", v)
		}
	case "number":
		if _, ok := v.(float64); !ok {
			fail("want a number, got %T", v)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			fail("want a boolean, got %T", v)
		}
	}
	return errs
}

// checkPrometheusRule validates the rendered PrometheusRule against the
// published CRD schema and checks that it holds deploy/prometheus/alerts.yml's
// groups unchanged (the same rules promtool checks).
func checkPrometheusRule(t *testing.T, objs []object) {
	t.Helper()
	schema := crdSchema(t, prometheusRuleCRD, "v1")
	var rule *object
	for i := range objs {
		if objs[i].Kind == "PrometheusRule" {
			rule = &objs[i]
		}
	}
	if rule == nil {
		t.Fatal("no PrometheusRule rendered")
	}
	var v map[string]any
	if err := json.Unmarshal(rule.JSON, &v); err != nil {
		t.Fatal(err)
	}
	if errs := validateSchema(schema, v, "PrometheusRule"); len(errs) > 0 {
		t.Errorf("the PrometheusRule fails the CRD schema:\n%s", strings.Join(errs, "\n"))
	}
	b, err := os.ReadFile(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	var alerts map[string]any
	if err := yaml.Unmarshal(b, &alerts); err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(alerts["groups"])
	got, _ := json.Marshal(v["spec"].(map[string]any)["groups"])
	if string(want) != string(got) {
		t.Errorf("the PrometheusRule's groups differ from %s:\ngot  %s\nwant %s", alertsFile, got, want)
	}
}

// TestValidateSchema: the validator refuses what the API server would.
func TestValidateSchema(t *testing.T) {
	schema := crdSchema(t, prometheusRuleCRD, "v1")
	doc := func(rule string) map[string]any {
		var v map[string]any
		y := "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: r}\nspec:\n  groups:\n  - name: g\n    rules:\n    - " + rule + "\n"
		js, err := sigsyaml.YAMLToJSON([]byte(y))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(js, &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if errs := validateSchema(schema, doc("{alert: A, expr: up == 0, for: 5m, labels: {severity: page}}"), "r"); len(errs) > 0 {
		t.Fatalf("a good rule: %v", errs)
	}
	for _, tc := range []struct{ name, rule string }{
		{"misspelt field", "{alert: A, expr: up == 0, fro: 5m}"},
		{"missing expr", "{alert: A}"},
		{"bad duration", "{alert: A, expr: up, for: five minutes}"},
		{"label not a string", "{alert: A, expr: up, labels: {severity: [page]}}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if errs := validateSchema(schema, doc(tc.rule), "r"); len(errs) == 0 {
				t.Errorf("rule %s passed", tc.rule)
			}
		})
	}
}
