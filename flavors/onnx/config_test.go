package onnx_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/flavors/onnx"
)

func ptr[T any](v T) *T { return &v }

func TestParseSessionConfig(t *testing.T) {
	cases := []struct {
		name string
		conf map[string]any
		want onnx.SessionConfig
		warn string // logged when not empty
	}{
		{"null options", map[string]any{"onnx_session_options": nil}, onnx.SessionConfig{}, ""},
		{"absent", map[string]any{}, onnx.SessionConfig{}, ""},
		{"MLflow's example", map[string]any{"onnx_session_options": map[string]any{
			"intra_op_num_threads": 2, "inter_op_num_threads": uint64(3),
			"execution_mode": "sequential", "graph_optimization_level": 99}},
			onnx.SessionConfig{IntraOpThreads: 2, InterOpThreads: 3, ExecutionMode: onnx.ExecutionModeSequential,
				OptimizationLevel: onnx.OptimizationAll}, ""},
		{"parallel, upper case", map[string]any{"onnx_session_options": map[string]any{"execution_mode": "PARALLEL"}},
			onnx.SessionConfig{ExecutionMode: onnx.ExecutionModeParallel}, ""},
		{"ORT_ names", map[string]any{"onnx_session_options": map[string]any{
			"execution_mode": "ORT_PARALLEL", "graph_optimization_level": "ORT_ENABLE_EXTENDED"}},
			onnx.SessionConfig{ExecutionMode: onnx.ExecutionModeParallel, OptimizationLevel: onnx.OptimizationExtended}, ""},
		{"level 0 as float", map[string]any{"onnx_session_options": map[string]any{"graph_optimization_level": 0.0}},
			onnx.SessionConfig{OptimizationLevel: onnx.OptimizationDisableAll}, ""},
		{"level 1 as text", map[string]any{"onnx_session_options": map[string]any{"graph_optimization_level": "1"}},
			onnx.SessionConfig{OptimizationLevel: onnx.OptimizationBasic}, ""},
		{"level name, lower case", map[string]any{"onnx_session_options": map[string]any{"graph_optimization_level": "enable_basic"}},
			onnx.SessionConfig{OptimizationLevel: onnx.OptimizationBasic}, ""},
		{"arena, pattern, extra config", map[string]any{"onnx_session_options": map[string]any{
			"enable_cpu_mem_arena": false, "enable_mem_pattern": true,
			"extra_session_config": map[string]any{"session.intra_op.allow_spinning": "0", "session.x": 1}}},
			onnx.SessionConfig{CPUMemArena: ptr(false), MemPattern: ptr(true),
				ConfigEntries: map[string]string{"session.intra_op.allow_spinning": "0", "session.x": "1"}}, ""},
		{"unknown key", map[string]any{"onnx_session_options": map[string]any{"enable_profiling": true, "intra_op_num_threads": 1}},
			onnx.SessionConfig{IntraOpThreads: 1}, "key=enable_profiling"},
		{"providers", map[string]any{"providers": []any{"CUDAExecutionProvider", "CPUExecutionProvider"}},
			onnx.SessionConfig{Providers: []string{onnx.ProviderCUDA, onnx.ProviderCPU}}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			log, buf := newLogger()
			got, err := onnx.ParseSessionConfig(c.conf, log)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
			if logged := buf.String(); c.warn == "" && logged != "" || !strings.Contains(logged, c.warn) {
				t.Errorf("logged %q, want %q", logged, c.warn)
			}
		})
	}
}

func TestParseSessionConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		conf map[string]any
		want string
	}{
		{"options not a mapping", map[string]any{"onnx_session_options": "fast"}, "want a mapping"},
		{"negative threads", map[string]any{"onnx_session_options": map[string]any{"intra_op_num_threads": -1}}, "intra_op_num_threads: thread count -1 out of range"},
		{"fractional threads", map[string]any{"onnx_session_options": map[string]any{"inter_op_num_threads": 1.5}}, "want a whole number, got 1.5"},
		{"threads as bool", map[string]any{"onnx_session_options": map[string]any{"inter_op_num_threads": true}}, "want a whole number"},
		{"bad mode", map[string]any{"onnx_session_options": map[string]any{"execution_mode": "turbo"}}, `execution_mode: want "sequential" or "parallel", got "turbo"`},
		{"mode as number", map[string]any{"onnx_session_options": map[string]any{"execution_mode": 1}}, "execution_mode: want"},
		{"bad level", map[string]any{"onnx_session_options": map[string]any{"graph_optimization_level": 3}}, "graph_optimization_level: want 0, 1, 2, 99"},
		{"bad level name", map[string]any{"onnx_session_options": map[string]any{"graph_optimization_level": "ORT_ENABLE_MOST"}}, "graph_optimization_level: want"},
		{"arena not bool", map[string]any{"onnx_session_options": map[string]any{"enable_cpu_mem_arena": "yes"}}, "want true or false"},
		{"extra config not a mapping", map[string]any{"onnx_session_options": map[string]any{"extra_session_config": []any{"a"}}}, "want a mapping of strings"},
		{"providers not a list", map[string]any{"providers": "CPUExecutionProvider"}, "want a list of provider names"},
		{"provider not text", map[string]any{"providers": []any{1}}, "entry 0: want a provider name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := onnx.ParseSessionConfig(c.conf, nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want one containing %q", err, c.want)
			}
		})
	}
}

// TestSessionOptionsApplied loads models with each kind of setting, and
// with a bad one, through Load.
func TestSessionOptionsApplied(t *testing.T) {
	opts := map[string]any{"onnx_session_options": map[string]any{
		"intra_op_num_threads": 1, "inter_op_num_threads": 1, "execution_mode": "parallel",
		"graph_optimization_level": 1, "enable_cpu_mem_arena": false, "enable_mem_pattern": false,
		"extra_session_config": map[string]any{"session.intra_op.allow_spinning": "0"}}}
	m := load(t, "example_dynamic_axes.onnx", opts, onnx.WithIntraOpThreads(2), onnx.WithOptimizationLevel(onnx.OptimizationAll))
	sc := m.SessionConfig()
	if sc.IntraOpThreads != 2 || sc.InterOpThreads != 1 || sc.OptimizationLevel != onnx.OptimizationAll ||
		sc.ExecutionMode != onnx.ExecutionModeParallel {
		t.Errorf("config = %+v: options not applied over MLmodel", sc)
	}
	out := predict(t, m, []*flavors.Tensor{tensor("input_vectors", flavors.Float32, []int64{1, 10}, make([]float32, 10))})
	if len(out) != 1 {
		t.Fatalf("%d outputs", len(out))
	}

	err := loadErr(t, testModel("testdata", "example_dynamic_axes.onnx",
		map[string]any{"onnx_session_options": map[string]any{"execution_mode": "sideways"}}))
	if !strings.Contains(err.Error(), "execution_mode") {
		t.Errorf("err = %v", err)
	}
}

// TestServingDefaults: settings the MLmodel leaves unset get berth's serving
// defaults (one intra-op thread, no spinning); settings it makes win.
func TestServingDefaults(t *testing.T) {
	sc := load(t, "example_dynamic_axes.onnx", nil).SessionConfig()
	if sc.IntraOpThreads != onnx.DefaultIntraOpThreads || sc.ConfigEntries["session.intra_op.allow_spinning"] != "0" {
		t.Errorf("unset MLmodel: config = %+v, want 1 intra-op thread and spinning off", sc)
	}
	sc = load(t, "example_dynamic_axes.onnx", map[string]any{"onnx_session_options": map[string]any{
		"intra_op_num_threads": 2, "extra_session_config": map[string]any{"session.intra_op.allow_spinning": "1"}}}).SessionConfig()
	if sc.IntraOpThreads != 2 || sc.ConfigEntries["session.intra_op.allow_spinning"] != "1" {
		t.Errorf("MLmodel's own settings: config = %+v, want them kept", sc)
	}
}

// TestProviderFallback asks for GPU providers on the CPU-only library: each
// is logged as unavailable and the model still loads and runs on CPU.
func TestProviderFallback(t *testing.T) {
	log, buf := newLogger()
	providers := []any{onnx.ProviderTensorRT, onnx.ProviderCUDA, onnx.ProviderOpenVINO, "NoSuchExecutionProvider", onnx.ProviderCPU}
	m := loadFrom(t, testModel("testdata", "example_dynamic_axes.onnx", map[string]any{"providers": providers}),
		flavors.LoadOptions{Logger: log})
	predict(t, m, []*flavors.Tensor{tensor("input_vectors", flavors.Float32, []int64{1, 10}, make([]float32, 10))})
	logged := buf.String()
	t.Log(logged)
	for _, p := range providers[:4] {
		want := "provider " + p.(string) + " not available in this ONNX Runtime build, falling back to CPU"
		if !strings.Contains(logged, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	if strings.Contains(logged, "provider CPUExecutionProvider") {
		t.Error("CPU provider reported as unavailable")
	}
}

// TestRegistered loads through flavors.LoadModel, as berth's server does.
func TestRegistered(t *testing.T) {
	if f, ok := flavors.Lookup("onnx"); !ok || f.Name() != "onnx" {
		t.Fatalf("onnx flavor not registered: %v %v", f, ok)
	}
	ortestInit(t)
	mm := testModel("testdata", "example_dynamic_axes.onnx", nil)
	mm.MLmodel.Flavors["python_function"] = map[string]any{"loader_module": "mlflow.onnx"}
	loaded, err := flavors.LoadModel(context.Background(), mm, flavors.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer loaded.Predictor.Close()
	if loaded.Flavor != "onnx" || len(loaded.Predictor.Inputs()) != 1 {
		t.Errorf("loaded %s with inputs %v", loaded.Flavor, loaded.Predictor.Inputs())
	}
}

func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name string
		m    *flavors.Model
		want string
	}{
		{"no onnx flavor", &flavors.Model{Dir: "testdata", MLmodel: &flavors.MLmodel{Flavors: map[string]map[string]any{}}}, `no "onnx" flavor`},
		{"no data", &flavors.Model{Dir: "testdata", MLmodel: &flavors.MLmodel{Flavors: map[string]map[string]any{"onnx": {}}}}, "no data file"},
		{"escaping path", testModel("testdata", "../model.onnx", nil), "leaves the model directory"},
		{"missing file", testModel("testdata", "nope.onnx", nil), "nope.onnx"},
		{"not an onnx file", testModel("testdata", "README.md", nil), "README.md"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := loadErr(t, c.m); !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %q", err, c.want)
			}
		})
	}
}

// TestLoadOptionsThreads: berth's thread flags override the MLmodel's.
func TestLoadOptionsThreads(t *testing.T) {
	m := loadFrom(t, testModel("testdata", "example_dynamic_axes.onnx", map[string]any{
		"onnx_session_options": map[string]any{"intra_op_num_threads": 3}}),
		flavors.LoadOptions{IntraOpThreads: 2, InterOpThreads: 4})
	if sc := m.SessionConfig(); sc.IntraOpThreads != 2 || sc.InterOpThreads != 4 {
		t.Errorf("session config %+v, want intra 2 and inter 4", sc)
	}
	m = loadFrom(t, testModel("testdata", "example_dynamic_axes.onnx", map[string]any{
		"onnx_session_options": map[string]any{"intra_op_num_threads": 3}}), flavors.LoadOptions{})
	if sc := m.SessionConfig(); sc.IntraOpThreads != 3 {
		t.Errorf("without overrides: intra %d, want the MLmodel's 3", sc.IntraOpThreads)
	}
}
