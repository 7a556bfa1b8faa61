package mlflowrest_test

import (
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/berthml/berth/api/mlflowrest"
)

type validator interface{ Validate() error }

// TestValidate checks each request's required parameters: a complete
// request passes, and a request without one of them is refused naming that
// one, or the first in MLflow's order when several are missing.
func TestValidate(t *testing.T) {
	tests := []struct {
		req      validator
		full     string   // a complete request
		required []string // in the order they are checked
	}{
		{&mlflowrest.CreateExperimentRequest{}, `{"name":"e"}`, []string{"name"}},
		{&mlflowrest.GetExperimentRequest{}, `{"experiment_id":"1"}`, []string{"experiment_id"}},
		{&mlflowrest.GetExperimentByNameRequest{}, `{"experiment_name":"e"}`, []string{"experiment_name"}},
		{&mlflowrest.ExperimentIDRequest{}, `{"experiment_id":"1"}`, []string{"experiment_id"}},
		{&mlflowrest.UpdateExperimentRequest{}, `{"experiment_id":"1","new_name":"f"}`, []string{"experiment_id", "new_name"}},
		{&mlflowrest.SetExperimentTagRequest{}, `{"experiment_id":"1","key":"k","value":""}`, []string{"experiment_id", "key"}},
		{&mlflowrest.DeleteExperimentTagRequest{}, `{"experiment_id":"1","key":"k"}`, []string{"experiment_id", "key"}},
		{&mlflowrest.GetRunRequest{}, `{"run_id":"r"}`, []string{"run_id"}},
		{&mlflowrest.UpdateRunRequest{}, `{"run_id":"r"}`, []string{"run_id"}},
		{&mlflowrest.RunIDRequest{}, `{"run_id":"r"}`, []string{"run_id"}},
		{&mlflowrest.LogMetricRequest{}, `{"run_id":"r","key":"k","value":0,"timestamp":0}`, []string{"run_id", "key", "value", "timestamp"}},
		{&mlflowrest.LogParamRequest{}, `{"run_id":"r","key":"k"}`, []string{"run_id", "key"}},
		{&mlflowrest.SetTagRequest{}, `{"run_id":"r","key":"k"}`, []string{"run_id", "key"}},
		{&mlflowrest.DeleteTagRequest{}, `{"run_id":"r","key":"k"}`, []string{"run_id", "key"}},
		{&mlflowrest.LogBatchRequest{}, `{"run_id":"r"}`, []string{"run_id"}},
		{&mlflowrest.LogModelRequest{}, `{"run_id":"r","model_json":"{}"}`, []string{"run_id", "model_json"}},
		{&mlflowrest.LogInputsRequest{}, `{"run_id":"r"}`, []string{"run_id"}},
		{&mlflowrest.GetMetricHistoryRequest{}, `{"run_id":"r","metric_key":"m"}`, []string{"run_id", "metric_key"}},
		{&mlflowrest.CreateRegisteredModelRequest{}, `{"name":"m"}`, []string{"name"}},
		{&mlflowrest.RenameRegisteredModelRequest{}, `{"name":"m","new_name":"n"}`, []string{"name", "new_name"}},
		{&mlflowrest.UpdateRegisteredModelRequest{}, `{"name":"m"}`, []string{"name"}},
		{&mlflowrest.RegisteredModelNameRequest{}, `{"name":"m"}`, []string{"name"}},
		{&mlflowrest.GetLatestVersionsRequest{}, `{"name":"m"}`, []string{"name"}},
		{&mlflowrest.SetRegisteredModelTagRequest{}, `{"name":"m","key":"k"}`, []string{"name", "key"}},
		{&mlflowrest.DeleteRegisteredModelTagRequest{}, `{"name":"m","key":"k"}`, []string{"name", "key"}},
		{&mlflowrest.SetRegisteredModelAliasRequest{}, `{"name":"m","alias":"a","version":"1"}`, []string{"name", "alias", "version"}},
		{&mlflowrest.RegisteredModelAliasRequest{}, `{"name":"m","alias":"a"}`, []string{"name", "alias"}},
		{&mlflowrest.CreateModelVersionRequest{}, `{"name":"m","source":"s"}`, []string{"name", "source"}},
		{&mlflowrest.ModelVersionRequest{}, `{"name":"m","version":"1"}`, []string{"name", "version"}},
		{&mlflowrest.UpdateModelVersionRequest{}, `{"name":"m","version":"1"}`, []string{"name", "version"}},
		{&mlflowrest.TransitionModelVersionStageRequest{}, `{"name":"m","version":"1","stage":"Production"}`, []string{"name", "version", "stage"}},
		{&mlflowrest.SetModelVersionTagRequest{}, `{"name":"m","version":"1","key":"k"}`, []string{"name", "version", "key"}},
		{&mlflowrest.DeleteModelVersionTagRequest{}, `{"name":"m","version":"1","key":"k"}`, []string{"name", "version", "key"}},
	}
	for _, tt := range tests {
		typ := reflect.TypeOf(tt.req).Elem()
		t.Run(typ.Name(), func(t *testing.T) {
			var full map[string]any
			if err := json.Unmarshal([]byte(tt.full), &full); err != nil {
				t.Fatal(err)
			}
			validate := func(fields map[string]any) error {
				b, err := json.Marshal(fields)
				if err != nil {
					t.Fatal(err)
				}
				req := reflect.New(typ).Interface().(validator)
				if err := json.Unmarshal(b, req); err != nil {
					t.Fatal(err)
				}
				return req.Validate()
			}
			wantMissing := func(err error, param string) {
				t.Helper()
				var m *mlflowrest.MissingParamError
				if !errors.As(err, &m) || m.Param != param {
					t.Fatalf("Validate() = %v, want the missing %q", err, param)
				}
				want := "Missing value for required parameter '" + param + "'. See the API docs for more information about request parameters."
				if err.Error() != want {
					t.Errorf("message %q, want MLflow's %q", err, want)
				}
			}
			if err := validate(full); err != nil {
				t.Fatalf("complete request %s: %v", tt.full, err)
			}
			for _, p := range tt.required {
				fields := maps.Clone(full)
				delete(fields, p)
				wantMissing(validate(fields), p)
				fields[p] = ""
				if p == "value" || p == "timestamp" {
					fields[p] = nil // a number: null is missing
				}
				wantMissing(validate(fields), p)
			}
			none := maps.Clone(full)
			for _, p := range tt.required {
				delete(none, p)
			}
			wantMissing(validate(none), tt.required[0])
			if _, ok := typ.FieldByName("RunUUID"); ok {
				byUUID := maps.Clone(full)
				byUUID["run_uuid"] = byUUID["run_id"]
				delete(byUUID, "run_id")
				if err := validate(byUUID); err != nil {
					t.Errorf("a run given by run_uuid: %v", err)
				}
			}
		})
	}
}

// noRequiredFields are the request types whose MLflow proto marks no field
// required: they have no Validate method.
var noRequiredFields = []string{
	"CreateRunRequest",
	"SearchExperimentsRequest",
	"SearchRunsRequest",
	"SearchRegisteredModelsRequest",
	"SearchModelVersionsRequest",
	// MLflow 3's logged models: the model id travels in the path.
	"SearchLoggedModelsRequest",
	"SetLoggedModelTagsRequest",
	"LogLoggedModelParamsRequest",
	// MLflow 3's traces: the id travels in the path (EndTraceV2), an
	// empty batchGet answers no traces, and a search's locations are
	// checked where the search is parsed (server's parseSearchTraces).
	"BatchGetTracesRequest",
	"EndTraceV2Request",
	"SearchTracesV2Request",
	"SearchTracesV3Request",
	// MLflow 3's webhooks and evaluation datasets: the id travels in the
	// path, the rest is optional.
	"ListWebhooksRequest",
	"UpdateWebhookRequest",
	"TestWebhookRequest",
	"SearchEvaluationDatasetsRequest",
	"GetDatasetRecordsRequest",
}

// TestEveryRequestValidates keeps the rule for new request types: each
// one has a Validate method, or is listed in noRequiredFields.
func TestEveryRequestValidates(t *testing.T) {
	fset := token.NewFileSet()
	requests := map[string]bool{} // type name → has Validate
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.GenDecl:
				for _, s := range d.Specs {
					if ts, ok := s.(*ast.TypeSpec); ok && strings.HasSuffix(ts.Name.Name, "Request") {
						if _, seen := requests[ts.Name.Name]; !seen {
							requests[ts.Name.Name] = false
						}
					}
				}
			case *ast.FuncDecl:
				if d.Recv == nil || d.Name.Name != "Validate" {
					continue
				}
				recv := d.Recv.List[0].Type
				if star, ok := recv.(*ast.StarExpr); ok {
					recv = star.X
				}
				if id, ok := recv.(*ast.Ident); ok {
					requests[id.Name] = true
				}
			}
		}
	}
	if len(requests) < 30 {
		t.Fatalf("found %d request types: the parse missed the package", len(requests))
	}
	for _, name := range slices.Sorted(maps.Keys(requests)) {
		exempt := slices.Contains(noRequiredFields, name)
		switch {
		case !requests[name] && !exempt:
			t.Errorf("%s has no Validate method: add one (its required fields, MLflow's order) or list it in noRequiredFields", name)
		case requests[name] && exempt:
			t.Errorf("%s has a Validate method but is listed in noRequiredFields", name)
		}
	}
}
