package promptlab_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/flavors/promptlab"
	"github.com/berthml/berth/gateway"
	"github.com/berthml/berth/gateway/config"
	"github.com/berthml/berth/gateway/gatewaytest"
	_ "github.com/berthml/berth/gateway/provider/builtin" // the openai adapter
	"github.com/berthml/berth/prompt"
)

// startGateway runs berth's gateway in-process with a chat and a
// completions endpoint in front of the echo upstream.
func startGateway(t *testing.T) (*gatewaytest.Echo, string) {
	t.Helper()
	echo := &gatewaytest.Echo{}
	up := httptest.NewServer(echo)
	t.Cleanup(up.Close)
	y := "endpoints:\n" +
		"  - name: chat\n    endpoint_type: llm/v1/chat\n    model: {provider: openai, name: m, config: {openai_api_key: k, openai_api_base: '" + up.URL + "'}}\n" +
		"  - name: completions\n    endpoint_type: llm/v1/completions\n    model: {provider: openai, name: m, config: {openai_api_key: k, openai_api_base: '" + up.URL + "'}}\n" +
		"  - name: embed\n    endpoint_type: llm/v1/embeddings\n    model: {provider: openai, name: m, config: {openai_api_key: k, openai_api_base: '" + up.URL + "'}}\n"
	cfg, err := config.Parse([]byte(y), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	g, err := gateway.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	gs := httptest.NewServer(g.Handler())
	t.Cleanup(gs.Close)
	return echo, gs.URL
}

// writeModel saves a promptlab model as create-promptlab-run does.
func writeModel(t *testing.T, route string, modelParams []prompt.Param) string {
	t.Helper()
	dir := t.TempDir()
	m := &prompt.Model{
		Template:         "Translate {{ text }} into {{language}} please.",
		PromptParameters: []prompt.Param{{Key: "text", Value: "good morning"}, {Key: "language", Value: "French"}},
		ModelParameters:  modelParams, Route: route, MLflowVersion: "2.17.2",
		RunID: "0123456789abcdef0123456789abcdef", ModelUUID: "fedcba9876543210fedcba9876543210", Created: time.Now(),
	}
	for name, data := range m.Files() {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func strs(name string, v ...string) *flavors.Tensor {
	return &flavors.Tensor{Name: name, DType: flavors.String, Shape: []int64{int64(len(v))}, Data: v}
}

func TestPredictThroughGateway(t *testing.T) {
	_, url := startGateway(t)
	t.Setenv(promptlab.TargetEnv, url)
	params := []prompt.Param{{Key: "temperature", Value: "0.5"}, {Key: "max_tokens", Value: "64"}, {Key: "stop", Value: "['END']"}}
	for _, tc := range []struct{ route, want0, want1 string }{
		{"chat", "echo: Translate good morning into French please.", "echo: Translate tea into German please."},
		{"completions", "echo: Translate good morning into French please.", "echo: Translate tea into German please."},
	} {
		t.Run(tc.route, func(t *testing.T) {
			l, err := flavors.Load(context.Background(), writeModel(t, tc.route, params), flavors.LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Predictor.Close()
			if l.Flavor != "python_function" {
				t.Errorf("flavor %q", l.Flavor)
			}
			in := l.Predictor.Inputs()
			if len(in) != 2 || in[0].Name != "text" || in[1].Name != "language" || in[0].DType != flavors.String {
				t.Errorf("inputs %+v, want text, language (the signature's order)", in)
			}
			out, err := l.Predictor.Predict(context.Background(), []*flavors.Tensor{
				strs("language", "French", "German"), strs("text", "good morning", "tea"),
			}, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := out[0].Data.([]string)
			if !reflect.DeepEqual(got, []string{tc.want0, tc.want1}) {
				t.Errorf("outputs %q", got)
			}
		})
	}
}

func TestPredictErrors(t *testing.T) {
	_, url := startGateway(t)
	t.Setenv(promptlab.TargetEnv, url)
	ctx := context.Background()
	for _, tc := range []struct{ route, want string }{
		{"nope", `gateway endpoint "nope"`},
		{"embed", "needs llm/v1/chat or llm/v1/completions"},
	} {
		l, err := flavors.Load(ctx, writeModel(t, tc.route, nil), flavors.LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = l.Predictor.Predict(ctx, []*flavors.Tensor{strs("text", "a"), strs("language", "b")}, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.route, err, tc.want)
		}
	}
	l, err := flavors.Load(ctx, writeModel(t, "chat", nil), flavors.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Predictor.Predict(ctx, []*flavors.Tensor{strs("text", "a")}, nil); err == nil || !strings.Contains(err.Error(), `missing input "language"`) {
		t.Errorf("missing input: %v", err)
	}
	if _, err := l.Predictor.Predict(ctx, []*flavors.Tensor{strs("text", "a", "b"), strs("language", "x")}, nil); err == nil {
		t.Error("ragged inputs: no error")
	}
	if _, err := flavors.Load(ctx, writeModel(t, "chat", []prompt.Param{{Key: "temperature", Value: "hot"}}), flavors.LoadOptions{}); err == nil {
		t.Error("temperature 'hot': no error")
	}
	t.Setenv(promptlab.TargetEnv, "")
	if _, err := flavors.Load(ctx, writeModel(t, "chat", nil), flavors.LoadOptions{}); err == nil || !strings.Contains(err.Error(), promptlab.TargetEnv) {
		t.Errorf("no target: %v", err)
	}
}

func TestOtherPythonFunctionRefused(t *testing.T) {
	dir := t.TempDir()
	mlmodel := "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    model_path: model.pkl\n"
	if err := os.WriteFile(filepath.Join(dir, "MLmodel"), []byte(mlmodel), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := flavors.Load(context.Background(), dir, flavors.LoadOptions{})
	if !errors.Is(err, promptlab.ErrNotPromptlab) {
		t.Errorf("sklearn pyfunc: %v", err)
	}
}

func TestSklearnPyfuncIsUnsupported(t *testing.T) {
	_, err := flavors.Load(context.Background(), "../../testdata/models/pyfunc_only", flavors.LoadOptions{})
	var uf *flavors.UnsupportedFlavorError
	if !errors.As(err, &uf) || !errors.Is(err, promptlab.ErrNotPromptlab) {
		t.Fatalf("err = %v, want an UnsupportedFlavorError and ErrNotPromptlab", err)
	}
	for _, want := range []string{"python_function", "sklearn", "mlflow.sklearn"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}
