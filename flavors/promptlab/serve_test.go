package promptlab_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/flavors/promptlab"
	"github.com/berthml/berth/prompt"
	"github.com/berthml/berth/serve"
)

// TestServedOnInvocations serves a saved promptlab model with berth
// serve's handler, in front of berth's gateway, and scores it in MLflow's
// input shapes; the answer is the text, as MLflow's pyfunc returns it.
func TestServedOnInvocations(t *testing.T) {
	_, url := startGateway(t)
	t.Setenv(promptlab.TargetEnv, url)
	dir := writeModel(t, "chat", []prompt.Param{{Key: "max_tokens", Value: "16"}})
	m, err := serve.LoadModelWith(context.Background(), "translate", "1", dir, flavors.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	s := serve.New(serve.WithRegistry(reg, reg))
	s.Add(m)
	s.MarkReady()
	ts := httptest.NewServer(s.Handler())
	defer func() { ts.Close(); s.Close() }()
	for name, body := range map[string]string{
		"dataframe_split":   `{"dataframe_split": {"columns": ["text", "language"], "data": [["tea", "German"], ["bread", "Dutch"]]}}`,
		"dataframe_records": `{"dataframe_records": [{"text": "tea", "language": "German"}, {"text": "bread", "language": "Dutch"}]}`,
		"inputs columns":    `{"inputs": {"text": ["tea", "bread"], "language": ["German", "Dutch"]}}`,
	} {
		resp, err := http.Post(ts.URL+"/invocations", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := `"echo: Translate tea into German please.", "echo: Translate bread into Dutch please."`
		if resp.StatusCode != 200 || !strings.Contains(string(out), `"predictions"`) || !strings.Contains(strings.ReplaceAll(string(out), ",\"", ", \""), want) {
			t.Errorf("%s: %d %s, want predictions %s", name, resp.StatusCode, out, want)
		}
	}
}
