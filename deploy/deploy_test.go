package deploy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.yaml.in/yaml/v3"

	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/internal/iristest"
	"github.com/berthml/berth/internal/ortest"
	"github.com/berthml/berth/serve"
	"github.com/berthml/berth/server"
)

func TestPromtoolCheckRules(t *testing.T) {
	promtool := tool(t, "promtool")
	if out, err := exec.Command(promtool, "check", "rules", alertsFile).CombinedOutput(); err != nil {
		t.Errorf("promtool check rules %s: %v\n%s", alertsFile, err, out)
	}
}

func TestPromtoolCheckConfig(t *testing.T) {
	promtool := tool(t, "promtool")
	if out, err := exec.Command(promtool, "check", "config", configFile).CombinedOutput(); err != nil {
		t.Errorf("promtool check config %s: %v\n%s", configFile, err, out)
	}
}

// exportedNames gathers a real scoring server, after it scored a window
// of a model with a drift reference, and a real registry server, after it
// answered a request: the names of every series they export, histograms
// with their _bucket, _sum and _count.
func exportedNames(t *testing.T) map[string]bool {
	t.Helper()
	ortest.Init(t)
	rows := iristest.Rows(t)
	reg := prometheus.NewRegistry()
	srv := serve.New(serve.WithRegistry(reg, reg),
		serve.WithDriftOptions(drift.WithWindowRows(len(rows)), drift.WithWindowTime(0)))
	t.Cleanup(func() { srv.Close() })
	m, err := serve.LoadModel(context.Background(), "iris", "1", iristest.ModelWithReference(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.Add(m)
	srv.MarkReady()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/models/iris/invocations", bytes.NewReader(invocationsBody(t, rows)))
	req.Header.Set("Content-Type", "application/json")
	srv.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("invocations = %d: %s", rec.Code, rec.Body)
	}

	rreg := prometheus.NewRegistry()
	rsrv := server.New(nil, nil, server.WithMetrics(rreg, rreg))
	rsrv.Handler().ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/health", nil))

	names := map[string]bool{}
	for _, g := range []prometheus.Gatherer{reg, rreg} {
		mfs, err := g.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			names[mf.GetName()] = true
			if len(mf.GetMetric()) > 0 && mf.GetMetric()[0].GetHistogram() != nil {
				for _, s := range []string{"_bucket", "_sum", "_count"} {
					names[mf.GetName()+s] = true
				}
			}
		}
	}
	// What the brief of each file promises, so that a gather that lost a
	// series does not pass silently.
	for _, n := range []string{"berth_requests_total", "berth_request_duration_seconds_bucket", "berth_drift_score",
		"berth_drift_detected", "berth_drift_model_detected", "berth_drift_consecutive_windows", "berth_registry_requests_total"} {
		if !names[n] {
			t.Fatalf("the servers export no %s; they export %v", n, names)
		}
	}
	return names
}

// metricRef finds metric names in PromQL: berth's all start berth_.
var metricRef = regexp.MustCompile(`\bberth_[a-zA-Z0-9_]*`)

// checkExpr reports an expression that names no berth metric, or one
// berth does not export.
func checkExpr(t *testing.T, where, expr string, names map[string]bool) {
	t.Helper()
	refs := metricRef.FindAllString(expr, -1)
	if len(refs) == 0 {
		t.Errorf("%s: %q uses no berth metric", where, expr)
	}
	for _, r := range refs {
		if !names[r] {
			t.Errorf("%s: %q uses %s, which berth does not export", where, expr, r)
		}
	}
}

type dashboard struct {
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Inputs        []struct {
		Name string `json:"name"`
	} `json:"__inputs"`
	Templating struct {
		List []struct {
			Name       string     `json:"name"`
			Datasource datasource `json:"datasource"`
			Definition string     `json:"definition"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int         `json:"id"`
	Title      string      `json:"title"`
	Type       string      `json:"type"`
	Datasource *datasource `json:"datasource"`
	Targets    []struct {
		Expr       string      `json:"expr"`
		RefID      string      `json:"refId"`
		Datasource *datasource `json:"datasource"`
	} `json:"targets"`
	Panels []panel `json:"panels"`
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

func TestDashboard(t *testing.T) {
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	names := exportedNames(t)

	if d.SchemaVersion < 36 {
		t.Errorf("schemaVersion = %d", d.SchemaVersion)
	}
	if len(d.Inputs) != 1 || d.Inputs[0].Name != "DS_PROMETHEUS" {
		t.Errorf("__inputs = %+v, want DS_PROMETHEUS", d.Inputs)
	}
	const ds = "${DS_PROMETHEUS}"
	vars := map[string]string{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v.Definition
		if v.Datasource.UID != ds {
			t.Errorf("variable %s: datasource %+v", v.Name, v.Datasource)
		}
	}
	if vars["model"] != "label_values(berth_model_info, model)" || vars["version"] == "" {
		t.Errorf("template variables = %v", vars)
	}

	all := slices.Clone(d.Panels)
	for _, p := range d.Panels {
		all = append(all, p.Panels...) // collapsed rows hold their panels
	}
	ids := map[int]bool{}
	used := map[string]bool{}
	graphs := 0
	for _, p := range all {
		if ids[p.ID] {
			t.Errorf("panel id %d repeats", p.ID)
		}
		ids[p.ID] = true
		if p.Type == "row" {
			continue
		}
		graphs++
		if p.Datasource == nil || p.Datasource.UID != ds {
			t.Errorf("panel %q: datasource %+v, want %s", p.Title, p.Datasource, ds)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no targets", p.Title)
		}
		for _, tg := range p.Targets {
			checkExpr(t, "panel "+p.Title, tg.Expr, names)
			for _, r := range metricRef.FindAllString(tg.Expr, -1) {
				used[r] = true
			}
		}
	}
	if graphs < 10 {
		t.Errorf("%d panels", graphs)
	}
	for _, n := range []string{"berth_requests_total", "berth_request_duration_seconds_bucket", "berth_inference_duration_seconds_bucket",
		"berth_requests_in_flight", "berth_drift_score", "berth_drift_detected", "berth_drift_model_detected", "berth_registry_requests_total"} {
		if !used[n] {
			t.Errorf("no panel shows %s", n)
		}
	}
}

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// TestAlertsUseExportedMetrics complements promtool, which checks syntax
// but not whether the series exist.
func TestAlertsUseExportedMetrics(t *testing.T) {
	b, err := os.ReadFile(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	var rf ruleFile
	if err := yaml.Unmarshal(b, &rf); err != nil {
		t.Fatalf("%s: %v", alertsFile, err)
	}
	names := exportedNames(t)
	want := map[string]string{ // alert: severity
		"BerthModelDrift": "warning", "BerthFeatureDrift": "info", "BerthHighErrorRate": "warning",
		"BerthHighLatencyP99": "warning", "BerthModelNotReady": "critical",
	}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			checkExpr(t, r.Alert, r.Expr, names)
			sev, ok := want[r.Alert]
			if !ok {
				continue
			}
			delete(want, r.Alert)
			if r.Labels["severity"] != sev {
				t.Errorf("%s: severity %q, want %q", r.Alert, r.Labels["severity"], sev)
			}
			if r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("%s: annotations %v", r.Alert, r.Annotations)
			}
		}
	}
	if len(want) > 0 {
		t.Errorf("missing alerts: %v", want)
	}
}
