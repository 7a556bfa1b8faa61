package mlflowrest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/berthml/berth/api/mlflowrest"
)

// fakeRegistry answers the few calls the typed client methods make, from
// one experiment (id 7, "exp") and one model ("iris") with two versions,
// and records each request as "METHOD path?query body".
func fakeRegistry(t *testing.T) (*mlflowrest.Client, *[]string) {
	t.Helper()
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		seen = append(seen, strings.TrimSpace(r.Method+" "+r.URL.RequestURI()+" "+string(body)))
		notFound := func() {
			w.WriteHeader(http.StatusNotFound)
			json.NewEncoder(w).Encode(mlflowrest.ErrorResponse{ErrorCode: mlflowrest.CodeResourceDoesNotExist, Message: "no such thing"})
		}
		q := r.URL.Query()
		switch strings.TrimPrefix(r.URL.Path, mlflowrest.APIPrefix) {
		case "experiments/get-by-name":
			if q.Get("experiment_name") != "exp" {
				notFound()
				return
			}
			fmt.Fprint(w, `{"experiment":{"experiment_id":"7","name":"exp"}}`)
		case "experiments/get":
			if q.Get("experiment_id") != "7" {
				notFound()
				return
			}
			fmt.Fprint(w, `{"experiment":{"experiment_id":"7","name":"exp"}}`)
		case "registered-models/search":
			fmt.Fprint(w, `{"registered_models":[{"name":"iris"}]}`)
		case "registered-models/get":
			if q.Get("name") != "iris" {
				notFound()
				return
			}
			fmt.Fprint(w, `{"registered_model":{"name":"iris","aliases":[{"alias":"champion","version":"2"}]}}`)
		case "model-versions/search":
			fmt.Fprint(w, `{"model_versions":[{"name":"iris","version":"1"},{"name":"iris","version":"2"}]}`)
		case "registered-models/alias":
			fmt.Fprint(w, `{}`)
		default:
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(srv.Close)
	return &mlflowrest.Client{BaseURL: srv.URL}, &seen
}

func TestExperimentID(t *testing.T) {
	c, _ := fakeRegistry(t)
	for _, tt := range []struct{ in, want, err string }{
		{"exp", "7", ""},
		{"7", "7", ""},
		{"nope", "", `no experiment named or numbered "nope"`},
	} {
		got, err := c.ExperimentID(context.Background(), tt.in)
		if got != tt.want || (err == nil) != (tt.err == "") || err != nil && err.Error() != tt.err {
			t.Errorf("ExperimentID(%q) = %q, %v; want %q, %q", tt.in, got, err, tt.want, tt.err)
		}
	}
	bad := &mlflowrest.Client{BaseURL: "http://127.0.0.1:1"}
	if _, err := bad.ExperimentID(context.Background(), "exp"); err == nil || strings.Contains(err.Error(), "no experiment") {
		t.Errorf("ExperimentID against no server = %v, want the connection error", err)
	}
}

func TestModelCalls(t *testing.T) {
	ctx := context.Background()
	c, seen := fakeRegistry(t)
	ms, err := c.SearchRegisteredModels(ctx, "name LIKE 'ir%'")
	if err != nil || len(ms) != 1 || ms[0].Name != "iris" {
		t.Fatalf("SearchRegisteredModels = %+v, %v", ms, err)
	}
	m, err := c.GetRegisteredModel(ctx, "iris")
	if err != nil || m.Name != "iris" || len(m.Aliases) != 1 {
		t.Fatalf("GetRegisteredModel = %+v, %v", m, err)
	}
	if _, err := c.GetRegisteredModel(ctx, "rose"); !mlflowrest.IsNotFound(err) {
		t.Errorf("GetRegisteredModel(rose) = %v, want a not-found error", err)
	}
	vs, err := c.ModelVersions(ctx, "o'iris")
	if err != nil || len(vs) != 2 {
		t.Fatalf("ModelVersions = %+v, %v", vs, err)
	}
	if err := c.SetAlias(ctx, "iris", "champion", "2"); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteAlias(ctx, "iris", "champion"); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"GET /api/2.0/mlflow/registered-models/search?filter=name+LIKE+%27ir%25%27&max_results=1000",
		"GET /api/2.0/mlflow/registered-models/get?name=iris",
		"GET /api/2.0/mlflow/registered-models/get?name=rose",
		`GET /api/2.0/mlflow/model-versions/search?filter=name%3D%27o%5C%27iris%27&max_results=1000`,
		`POST /api/2.0/mlflow/registered-models/alias {"name":"iris","alias":"champion","version":"2"}`,
		`DELETE /api/2.0/mlflow/registered-models/alias {"name":"iris","alias":"champion"}`,
	}
	if strings.Join(*seen, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(*seen, "\n"), strings.Join(want, "\n"))
	}
}

func TestIsNotFound(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("RESOURCE_DOES_NOT_EXIST"), false},
		{&mlflowrest.ErrorResponse{ErrorCode: mlflowrest.CodeResourceDoesNotExist}, true},
		{fmt.Errorf("resolving: %w", &mlflowrest.ErrorResponse{ErrorCode: mlflowrest.CodeResourceDoesNotExist}), true},
		{&mlflowrest.ErrorResponse{ErrorCode: mlflowrest.CodeInvalidParameterValue}, false},
	} {
		if got := mlflowrest.IsNotFound(tt.err); got != tt.want {
			t.Errorf("IsNotFound(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestCheckBaseURL(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"http://127.0.0.1:5000", ""},
		{"https://mlflow.example.com/", ""},
		{"localhost:5000", `registry URI "localhost:5000" has no scheme: give the registry's URL, e.g. http://localhost:5000`},
		{"//host", `registry URI "//host" has no scheme: give the registry's URL, e.g. http://host`},
		{"ftp://x", `registry URI "ftp://x" must be an http:// or https:// URL with a host, e.g. http://127.0.0.1:5000`},
		{"http://", `registry URI "http://" must be an http:// or https:// URL with a host, e.g. http://127.0.0.1:5000`},
	} {
		err := mlflowrest.CheckBaseURL(tt.in)
		if got := fmt.Sprint(err); (err == nil) != (tt.want == "") || err != nil && got != tt.want {
			t.Errorf("CheckBaseURL(%q) = %v, want %q", tt.in, err, tt.want)
		}
	}
}

// TestEnsureExperimentLostRace: another client creates the experiment
// between EnsureExperiment's look-up and its create (replicas starting
// together); EnsureExperiment answers with the winner's id instead of the
// create's RESOURCE_ALREADY_EXISTS.
func TestEnsureExperimentLostRace(t *testing.T) {
	var seen []string
	created := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.URL.Path)
		switch strings.TrimPrefix(r.URL.Path, mlflowrest.APIPrefix) {
		case "experiments/get-by-name":
			if !created {
				created = true // the other replica wins now
				w.WriteHeader(http.StatusNotFound)
				json.NewEncoder(w).Encode(mlflowrest.ErrorResponse{ErrorCode: mlflowrest.CodeResourceDoesNotExist, Message: "no such experiment"})
				return
			}
			fmt.Fprint(w, `{"experiment":{"experiment_id":"42","name":"berth-monitoring"}}`)
		case "experiments/create":
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(mlflowrest.ErrorResponse{ErrorCode: mlflowrest.CodeResourceAlreadyExists, Message: "Experiment 'berth-monitoring' already exists."})
		default:
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	c := &mlflowrest.Client{BaseURL: srv.URL}
	id, err := c.EnsureExperiment(context.Background(), "berth-monitoring")
	if err != nil || id != "42" {
		t.Fatalf("EnsureExperiment = %q, %v; want the winner's 42 (calls %v)", id, err, seen)
	}
}
