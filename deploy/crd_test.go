package deploy_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// prometheusRuleCRD is prometheus-operator's published CRD (operator
// 0.82.2; source and checksum in testdata/crds/README.md).
const prometheusRuleCRD = "../testdata/crds/prometheus-operator/monitoring.coreos.com_prometheusrules.yaml"

// serviceMonitorCRD is prometheus-operator's published ServiceMonitor CRD
// (operator 0.84.1), verbatim (source and checksum in testdata/crds/README.md).
const serviceMonitorCRD = "../testdata/crds/prometheus-operator/monitoring.coreos.com_servicemonitors.yaml"

// checkCRD validates every rendered object of kind against a CRD schema,
// at the version its apiVersion names.
func checkCRD(t *testing.T, objs []object, kind, file string) {
	t.Helper()
	crds := map[string]*crdValidator{}
	n := 0
	for _, o := range objs {
		if o.Kind != kind {
			continue
		}
		n++
		version := o.APIVersion[strings.LastIndex(o.APIVersion, "/")+1:]
		crd := crds[version]
		if crd == nil {
			crd = loadCRD(t, file, version)
			crds[version] = crd
		}
		var v map[string]any
		if err := json.Unmarshal(o.JSON, &v); err != nil {
			t.Fatal(err)
		}
		if errs := crd.validate(v); len(errs) > 0 {
			t.Errorf("%s %s fails the CRD schema (%s):\n%s", kind, o.Name, file, strings.Join(errs, "\n"))
		}
	}
	if n == 0 {
		t.Errorf("no %s rendered", kind)
	}
}

// checkPrometheusRule validates the rendered PrometheusRule against the
// published CRD schema and checks that it holds deploy/prometheus/alerts.yml's
// groups unchanged (the same rules promtool checks).
func checkPrometheusRule(t *testing.T, objs []object) {
	t.Helper()
	crd := loadCRD(t, prometheusRuleCRD, "v1")
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
	if errs := crd.validate(v); len(errs) > 0 {
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

// TestValidateSchema: the validator refuses what the API server would
// refuse or drop.
func TestValidateSchema(t *testing.T) {
	crd := loadCRD(t, prometheusRuleCRD, "v1")
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
	if errs := crd.validate(doc("{alert: A, expr: up == 0, for: 5m, labels: {severity: page}}")); len(errs) > 0 {
		t.Fatalf("a good rule: %v", errs)
	}
	for _, tc := range []struct{ name, rule string }{
		{"misspelt field", "{alert: A, expr: up == 0, fro: 5m}"},
		{"missing expr", "{alert: A}"},
		{"bad duration", "{alert: A, expr: up, for: five minutes}"},
		{"label not a string", "{alert: A, expr: up, labels: {severity: [page]}}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := crd.validate(doc(tc.rule))
			if len(errs) == 0 {
				t.Errorf("rule %s passed", tc.rule)
			}
			t.Logf("%s: %v", tc.rule, errs)
		})
	}
	sm := loadCRD(t, serviceMonitorCRD, "v1")
	monitor := func(endpoint string) map[string]any {
		var v map[string]any
		y := "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: s, labels: {release: x}}\nspec:\n  selector: {matchLabels: {app: berth}}\n  endpoints:\n  - " + endpoint + "\n"
		js, err := sigsyaml.YAMLToJSON([]byte(y))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(js, &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, good := range []string{"{port: http, path: /metrics, interval: 30s}", "{targetPort: 8080}", "{targetPort: http, scheme: https, tlsConfig: {insecureSkipVerify: true}}"} {
		if errs := sm.validate(monitor(good)); len(errs) > 0 {
			t.Errorf("a good endpoint %s: %v", good, errs)
		}
	}
	for _, tc := range []struct{ name, endpoint string }{
		{"misspelt field", "{port: http, intervall: 30s}"},
		{"bad interval", "{port: http, interval: half a minute}"},
		{"bad scheme", "{port: http, scheme: ftp}"},
		{"port not a string", "{port: 8080}"},
		{"targetPort a list", "{targetPort: [1]}"},
		{"misspelt nested field", "{port: http, basicAuth: {user: {key: k}}}"},
		{"secret without key", "{port: http, bearerTokenSecret: {name: s}}"},
	} {
		t.Run("ServiceMonitor "+tc.name, func(t *testing.T) {
			errs := sm.validate(monitor(tc.endpoint))
			if len(errs) == 0 {
				t.Errorf("endpoint %s passed", tc.endpoint)
			}
			t.Logf("%s: %v", tc.endpoint, errs)
		})
	}
}
