package onnx_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/flavors/onnx"
	"github.com/berthml/berth/internal/ortest"
)

func tensor(name string, dt flavors.DType, shape []int64, data any) *flavors.Tensor {
	return &flavors.Tensor{Name: name, DType: dt, Shape: shape, Data: data}
}

// TestDTypes sends every element type through identity_dtypes.onnx, whose
// outputs have a dynamic batch dimension, so the runtime allocates them.
func TestDTypes(t *testing.T) {
	m := load(t, "identity_dtypes.onnx", nil)
	shape := []int64{3, 2}
	cases := []struct {
		dtype flavors.DType
		in    any
		want  any // nil: same as in
	}{
		{flavors.Float32, []float32{1.5, -2, 0, math.MaxFloat32, float32(math.Inf(-1)), 1e-30}, nil},
		{flavors.Float64, []float64{1.5, -2, 0, math.MaxFloat64, math.Inf(1), 1e-300}, nil},
		// float16 and bfloat16 come back rounded to their precision.
		{flavors.Float16, []float32{1.5, -2, 0, 65504, 0.1, 1e6},
			[]float32{1.5, -2, 0, 65504, 0.0999755859375, float32(math.Inf(1))}},
		{flavors.BFloat16, []float32{1.5, -2, 0, 3.0e38, 0.1, 1.00390625},
			[]float32{1.5, -2, 0, 3.0040553e38, 0.10009765625, 1}},
		{flavors.Int8, []int8{math.MinInt8, -1, 0, 1, 2, math.MaxInt8}, nil},
		{flavors.Int16, []int16{math.MinInt16, -1, 0, 1, 2, math.MaxInt16}, nil},
		{flavors.Int32, []int32{math.MinInt32, -1, 0, 1, 2, math.MaxInt32}, nil},
		{flavors.Int64, []int64{math.MinInt64, -1, 0, 1, 2, math.MaxInt64}, nil},
		{flavors.Uint8, []uint8{0, 1, 2, 3, 4, math.MaxUint8}, nil},
		{flavors.Uint16, []uint16{0, 1, 2, 3, 4, math.MaxUint16}, nil},
		{flavors.Uint32, []uint32{0, 1, 2, 3, 4, math.MaxUint32}, nil},
		{flavors.Uint64, []uint64{0, 1, 2, 3, 4, math.MaxUint64}, nil},
		{flavors.Bool, []bool{true, false, false, true, true, true}, nil},
		{flavors.String, []string{"", "a", "héllo, 世界", strings.Repeat("x", 1000), "with\x00nul?", "z"},
			[]string{"", "a", "héllo, 世界", strings.Repeat("x", 1000), "with", "z"}},
	}
	var inputs []*flavors.Tensor
	for _, c := range cases {
		inputs = append(inputs, tensor("x_"+string(c.dtype), c.dtype, shape, c.in))
	}
	out := predict(t, m, inputs)
	if len(out) != len(cases) {
		t.Fatalf("got %d outputs, want %d", len(out), len(cases))
	}
	for i, c := range cases {
		t.Run(string(c.dtype), func(t *testing.T) {
			want := c.want
			if want == nil {
				want = c.in
			}
			got := out[i]
			if got.Name != "y_"+string(c.dtype) || got.DType != c.dtype || !reflect.DeepEqual(got.Shape, shape) {
				t.Errorf("got %s %s %v, want %s %s %v", got.Name, got.DType, got.Shape, "y_"+c.dtype, c.dtype, shape)
			}
			if err := got.Validate(); err != nil {
				t.Error(err)
			}
			if !reflect.DeepEqual(got.Data, want) {
				t.Errorf("data = %v, want %v", got.Data, want)
			}
		})
	}
}

func TestStrings(t *testing.T) {
	m := load(t, "strings.onnx", nil)
	in := []string{"Hello", "wOrLd", "", "berth 1.0"}
	out := predict(t, m, []*flavors.Tensor{tensor("text", flavors.String, []int64{4}, in)}, "lower", "upper")
	if got, want := out[0].Data, []string{"hello", "world", "", "berth 1.0"}; !reflect.DeepEqual(got, want) {
		t.Errorf("lower = %q, want %q", got, want)
	}
	if got, want := out[1].Data, []string{"HELLO", "WORLD", "", "BERTH 1.0"}; !reflect.DeepEqual(got, want) {
		t.Errorf("upper = %q, want %q", got, want)
	}
}

func TestScalars(t *testing.T) {
	m := load(t, "scalar.onnx", nil)
	out := predict(t, m, []*flavors.Tensor{
		tensor("scale", flavors.Float32, []int64{}, []float32{2}),
		tensor("v", flavors.Float32, []int64{3}, []float32{1, 2, 3.5}),
	})
	want := []*flavors.Tensor{
		tensor("scaled", flavors.Float32, []int64{3}, []float32{2, 4, 7}),
		tensor("total", flavors.Float32, []int64{}, []float32{6.5}),
		tensor("count", flavors.Int64, []int64{}, []int64{3}),
	}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("got %v, want %v", str(out), str(want))
	}
}

func TestFloat16Model(t *testing.T) {
	m := load(t, "example_float16.onnx", nil)
	// OutputA = bfloat16(InputA * 3); the inputs are exact in float16.
	in := []float32{0, 0.5, 1, 1.5, 2, 2.5, 3, -3.5}
	out := predict(t, m, []*flavors.Tensor{tensor("InputA", flavors.Float16, []int64{1, 2, 2, 2}, in)})
	want := tensor("OutputA", flavors.BFloat16, []int64{1, 2, 2, 2}, []float32{0, 1.5, 3, 4.5, 6, 7.5, 9, -10.5})
	if !reflect.DeepEqual(out[0], want) {
		t.Errorf("got %v, want %v", out[0], want)
	}
}

func TestZeroSizedOutput(t *testing.T) {
	m := load(t, "example_0_dim_output.onnx", nil)
	out := predict(t, m, []*flavors.Tensor{tensor("x", flavors.Float32, []int64{2, 8}, make([]float32, 16))})
	if got, want := out[0].Shape, []int64{2, 0, 8}; !reflect.DeepEqual(got, want) {
		t.Errorf("shape = %v, want %v", got, want)
	}
	if err := out[0].Validate(); err != nil {
		t.Error(err)
	}
}

func TestMultitype(t *testing.T) {
	m := load(t, "example_multitype.onnx", nil)
	// OutputA = int16(InputB * InputA - 512), OutputB = int64(InputA) * 1234.
	out := predict(t, m, []*flavors.Tensor{
		tensor("InputB", flavors.Float64, []int64{1, 2, 2}, []float64{1, 2, 3, 4.5}),
		tensor("InputA", flavors.Uint8, []int64{1, 1, 1}, []uint8{200}),
	})
	want := []*flavors.Tensor{
		tensor("OutputA", flavors.Int16, []int64{1, 2, 2}, []int16{-312, -112, 88, 388}),
		tensor("OutputB", flavors.Int64, []int64{1, 1, 1}, []int64{246800}),
	}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("got %v, want %v", str(out), str(want))
	}
}

func TestSeveralInputsAndOutputs(t *testing.T) {
	m := load(t, "example_several_inputs_and_outputs.onnx", nil)
	a := make([]int32, 100)
	for i := range a {
		a[i] = int32(i)
	}
	b := make([]float32, 120)
	for i := range b {
		b[i] = float32(i) / 4
	}
	c := []float32{7, 0, 0, 0, 0, 0, 0, 0, 0}
	out := predict(t, m, []*flavors.Tensor{
		tensor("input 1", flavors.Int32, []int64{2, 5, 2, 5}, a),
		tensor("input 2", flavors.Float32, []int64{2, 3, 20}, b),
		tensor("input 3", flavors.BFloat16, []int64{9}, c),
	}, "output 2", "output 1")
	if out[0].Name != "output 2" || out[1].Name != "output 1" {
		t.Fatalf("outputs %s, %s: not in the order asked", out[0].Name, out[1].Name)
	}
	o1 := out[1].Data.([]int64)
	if o1[0] != 7 || o1[1] != 1 || o1[99] != 99 {
		t.Errorf("output 1 = %v...", o1[:3])
	}
	o2 := out[0].Data.([]float64)
	if !reflect.DeepEqual(out[0].Shape, []int64{1, 2, 3, 4, 5}) || o2[119] != 29.75 {
		t.Errorf("output 2 = %v %v...", out[0].Shape, o2[:3])
	}
}

func TestDynamicAxes(t *testing.T) {
	m := load(t, "example_dynamic_axes.onnx", nil)
	for _, batch := range []int64{1, 7, 64} {
		in := make([]float32, batch*10)
		for i := range in {
			in[i] = float32(i % 10)
		}
		out := predict(t, m, []*flavors.Tensor{tensor("input_vectors", flavors.Float32, []int64{batch, 10}, in)})
		sums := out[0].Data.([]float32)
		if int64(len(sums)) != batch || sums[0] != 45 || sums[batch-1] != 45 {
			t.Errorf("batch %d: sums %v", batch, sums)
		}
	}
}

// TestSequenceOfMaps runs a real sklearn classifier whose
// output_probability is a sequence of maps from int64 labels.
func TestSequenceOfMaps(t *testing.T) {
	m := loadFrom(t, testModel(randomForestDir, "model.onnx", nil), flavors.LoadOptions{})
	if got := m.Outputs()[1]; got.DType != flavors.Map {
		t.Errorf("output_probability info = %v, want dtype map", got)
	}
	// Inputs and expectations from onnxruntime_go's TestSklearnNetwork.
	in := []float32{
		5.9, 3.0, 5.1, 1.8,
		6.8, 2.8, 4.8, 1.4,
		6.3, 2.3, 4.4, 1.3,
		6.5, 3.0, 5.5, 1.8,
		7.7, 2.8, 6.7, 2.0,
		5.5, 2.5, 4.0, 1.3,
	}
	out := predict(t, m, []*flavors.Tensor{tensor("X", flavors.Float32, []int64{6, 4}, in)})
	if got, want := out[0].Data, []int64{2, 1, 1, 2, 2, 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("labels = %v, want %v", got, want)
	}
	want := []map[string]float32{
		{"0": 0, "1": 0.13, "2": 0.87},
		{"0": 0, "1": 0.77, "2": 0.23},
		{"0": 0, "1": 0.97, "2": 0.03},
		{"0": 0, "1": 0, "2": 1},
		{"0": 0, "1": 0, "2": 1},
		{"0": 0, "1": 1, "2": 0},
	}
	probs := out[1]
	if probs.DType != flavors.Map || !reflect.DeepEqual(probs.Shape, []int64{6}) {
		t.Fatalf("probabilities: %s %v", probs.DType, probs.Shape)
	}
	if err := probs.Validate(); err != nil {
		t.Error(err)
	}
	for i, row := range probs.Data.([]map[string]float32) {
		if len(row) != len(want[i]) {
			t.Errorf("row %d = %v, want %v", i, row, want[i])
		}
		for k, v := range want[i] {
			if math.Abs(float64(row[k]-v)) > 1e-5 {
				t.Errorf("row %d[%s] = %v, want %v", i, k, row[k], v)
			}
		}
	}
}

// TestConformanceModels loads real MLflow model directories, among them one
// whose weights are in an ONNX external-data file beside model.onnx.
// Expectations are MLflow's own predictions (models-pyfunc-check.json).
func TestConformanceModels(t *testing.T) {
	iris := []float32{5.1, 3.5, 1.4, 0.2, 5.0, 2.0, 3.5, 1.0, 6.9, 3.2, 5.7, 2.3}
	mlp := [][]float32{
		{0.9997004270553589, 0.0002996006514877081, 2.4420900857080596e-08},
		{0.00430296128615737, 0.9651892185211182, 0.030507797375321388},
		{1.9468618120299652e-05, 0.018054502084851265, 0.9819260239601135},
	}
	cases := []struct {
		dir   string
		probs [][]float32
	}{
		{"a_logreg_tensor", [][]float32{
			{0.9815837740898132, 0.01841624453663826, 1.450589603990693e-08},
			{0.05576678365468979, 0.9377630949020386, 0.006470080465078354},
			{5.6078802117554005e-06, 0.023843444883823395, 0.9761509895324707},
		}},
		{"c_mlp_external_data", mlp},
		{"c2_mlp_inline", mlp},
	}
	for _, c := range cases {
		t.Run(c.dir, func(t *testing.T) {
			dir := filepath.Join(conformanceDir, c.dir)
			if _, err := os.Stat(filepath.Join(dir, "model.onnx")); err != nil {
				t.Fatalf("the conformance models are committed under testdata/conformance/models (git checkout -- testdata/conformance): %v", err)
			}
			// As MLflow writes it: CUDA first, then CPU.
			mm := testModel(dir, "model.onnx", map[string]any{
				"providers": []any{onnx.ProviderCUDA, onnx.ProviderCPU}, "onnx_version": "1.12.0", "code": nil})
			m := loadFrom(t, mm, flavors.LoadOptions{})
			in := m.Inputs()
			if len(in) != 1 || in[0].DType != flavors.Float32 || !reflect.DeepEqual(in[0].Shape, []int64{-1, 4}) {
				t.Fatalf("inputs = %v", in)
			}
			out := predict(t, m, []*flavors.Tensor{tensor(in[0].Name, flavors.Float32, []int64{3, 4}, iris)}, "label", "probabilities")
			if got, want := out[0].Data, []int64{0, 1, 2}; !reflect.DeepEqual(got, want) {
				t.Errorf("labels = %v, want %v", got, want)
			}
			probs := out[1].Data.([]float32)
			for i, row := range c.probs {
				for j, p := range row {
					if got := probs[i*3+j]; math.Abs(float64(got-p)) > 1e-6 {
						t.Errorf("probabilities[%d][%d] = %v, want %v", i, j, got, p)
					}
				}
			}
		})
	}
}

func TestExternalDataMissing(t *testing.T) {
	src := filepath.Join(conformanceDir, "c_mlp_external_data")
	if _, err := os.Stat(src); err != nil {
		t.Fatalf("the conformance models are committed under testdata/conformance/models (git checkout -- testdata/conformance): %v", err)
	}
	// model.onnx alone, without its external-data file, must fail to load.
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join(src, "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "model.onnx"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	loadErr(t, testModel(dir, "model.onnx", nil))
}

func loadErr(t *testing.T, mm *flavors.Model) error {
	t.Helper()
	ortestInit(t)
	m, err := onnx.Load(context.Background(), mm, flavors.LoadOptions{})
	if err == nil {
		m.Close()
		t.Fatal("Load succeeded, want an error")
	}
	t.Logf("Load: %v", err)
	return err
}

func TestInputErrors(t *testing.T) {
	m := load(t, "example_multitype.onnx", nil)
	a := func() *flavors.Tensor { return tensor("InputA", flavors.Uint8, []int64{1, 1, 1}, []uint8{1}) }
	b := func() *flavors.Tensor {
		return tensor("InputB", flavors.Float64, []int64{1, 2, 2}, []float64{1, 2, 3, 4})
	}
	dyn := load(t, "example_dynamic_axes.onnx", nil)
	cases := []struct {
		name    string
		model   *onnx.Model
		inputs  []*flavors.Tensor
		outputs []string
		field   string
		msg     string
	}{
		{"unknown name", m, []*flavors.Tensor{a(), b(), tensor("InputC", flavors.Uint8, []int64{1}, []uint8{1})}, nil,
			"InputC", `unknown input; the model's inputs are ["InputA" "InputB"]`},
		{"missing", m, []*flavors.Tensor{a()}, nil, "InputB", "missing; the model wants float64 [1 2 2]"},
		{"twice", m, []*flavors.Tensor{a(), a(), b()}, nil, "InputA", "given more than once"},
		{"dtype", m, []*flavors.Tensor{a(), tensor("InputB", flavors.Float32, []int64{1, 2, 2}, []float32{1, 2, 3, 4})}, nil,
			"InputB", "dtype float32 does not match the model's float64"},
		{"rank", dyn, []*flavors.Tensor{tensor("input_vectors", flavors.Float32, []int64{10}, make([]float32, 10))}, nil,
			"input_vectors", "shape [10] does not match the model's [-1 10]"},
		{"fixed dim", dyn, []*flavors.Tensor{tensor("input_vectors", flavors.Float32, []int64{1, 3}, make([]float32, 3))}, nil,
			"input_vectors", "shape [1 3] does not match the model's [-1 10]"},
		{"data length", dyn, []*flavors.Tensor{tensor("input_vectors", flavors.Float32, []int64{2, 10}, make([]float32, 10))}, nil,
			"input_vectors", `tensor "input_vectors": shape [2 10] holds 20 elements, data has 10`},
		{"data type", dyn, []*flavors.Tensor{tensor("input_vectors", flavors.Float32, []int64{1, 10}, make([]float64, 10))}, nil,
			"input_vectors", `tensor "input_vectors": data is []float64, want []float32 for float32`},
		{"unknown output", m, []*flavors.Tensor{a(), b()}, []string{"OutputA", "OutputC"},
			"", `unknown output "OutputC"; the model's outputs are ["OutputA" "OutputB"]`},
		{"unnamed input to a two-input model", m, []*flavors.Tensor{tensor("", flavors.Uint8, []int64{1, 1, 1}, []uint8{1})}, nil,
			"", `unknown input; the model's inputs are ["InputA" "InputB"]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.model.Predict(context.Background(), c.inputs, c.outputs)
			var ie *flavors.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v, want an *InputError", err)
			}
			if ie.Field != c.field || ie.Msg != c.msg {
				t.Errorf("err = %q %q, want %q %q", ie.Field, ie.Msg, c.field, c.msg)
			}
		})
	}
	// A single unnamed tensor feeds a single-input model.
	out := predict(t, dyn, []*flavors.Tensor{tensor("", flavors.Float32, []int64{1, 10}, make([]float32, 10))})
	if len(out) != 1 {
		t.Errorf("got %d outputs", len(out))
	}
}

func TestOutputSelection(t *testing.T) {
	m := load(t, "scalar.onnx", nil)
	in := []*flavors.Tensor{
		tensor("scale", flavors.Float32, []int64{}, []float32{2}),
		tensor("v", flavors.Float32, []int64{2}, []float32{1, 2}),
	}
	for _, want := range [][]string{{"count"}, {"total", "scaled"}, {"count", "count"}, {"scaled", "total", "count"}} {
		out := predict(t, m, in, want...)
		var got []string
		for _, o := range out {
			got = append(got, o.Name)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("asked %v, got %v", want, got)
		}
	}
}

func TestConcurrentPredict(t *testing.T) {
	m := loadFrom(t, testModel(randomForestDir, "model.onnx", nil), flavors.LoadOptions{})
	const goroutines, calls = 16, 25
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			for i := range calls {
				batch := int64(1 + (g+i)%5)
				in := make([]float32, batch*4)
				for j := range in {
					in[j] = []float32{6.3, 2.3, 4.4, 1.3}[j%4]
				}
				out, err := m.Predict(context.Background(), []*flavors.Tensor{tensor("X", flavors.Float32, []int64{batch, 4}, in)}, nil)
				if err != nil {
					errs <- err
					return
				}
				labels := out[0].Data.([]int64)
				rows := out[1].Data.([]map[string]float32)
				if int64(len(labels)) != batch || int64(len(rows)) != batch || labels[0] != 1 || math.Abs(float64(rows[0]["1"]-0.97)) > 1e-5 {
					errs <- fmt.Errorf("goroutine %d call %d: labels %v rows %v", g, i, labels, rows)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestClose(t *testing.T) {
	ortestInit(t)
	m, err := onnx.Load(context.Background(), testModel("testdata", "example_dynamic_axes.onnx", nil), flavors.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	in := []*flavors.Tensor{tensor("input_vectors", flavors.Float32, []int64{1, 10}, make([]float32, 10))}
	if _, err := m.Predict(context.Background(), in, nil); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := m.Predict(context.Background(), in, nil); !errors.Is(err, onnx.ErrClosed) {
		t.Errorf("Predict after Close: %v, want ErrClosed", err)
	}
}

func TestContext(t *testing.T) {
	m := load(t, "example_dynamic_axes.onnx", nil)
	in := []*flavors.Tensor{tensor("input_vectors", flavors.Float32, []int64{1, 10}, make([]float32, 10))}
	ctx, cancel := context.WithCancel(context.Background())
	// A context that can be cancelled but is not runs normally.
	if _, err := m.Predict(ctx, in, nil); err != nil {
		t.Fatal(err)
	}
	// Run options terminated by an earlier cancelled run are reset before reuse.
	if err := onnx.TerminateIdleRunOptions(m); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := m.Predict(ctx, in, nil); err != nil {
			t.Fatalf("Predict after a terminated run: %v", err)
		}
	}
	cancel()
	if _, err := m.Predict(ctx, in, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Predict with a cancelled context: %v", err)
	}
}

func str(ts []*flavors.Tensor) string {
	var b strings.Builder
	for _, t := range ts {
		fmt.Fprintf(&b, "%s %s %v %v; ", t.Name, t.DType, t.Shape, t.Data)
	}
	return b.String()
}

// TestPredictBefore: a deadline stops a running inference through the
// terminate flag, with an error that wraps context.DeadlineExceeded; a
// deadline already past does not run; run options and their timer are
// reused after a stopped run; a far deadline runs normally. (The whole
// run of the 256 images takes seconds here.)
func TestPredictBefore(t *testing.T) {
	ortest.Init(t)
	loaded, err := flavors.Load(context.Background(), filepath.Join("..", "..", "testdata", "models", "cnn64"), flavors.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { loaded.Predictor.Close() })
	m := loaded.Predictor.(*onnx.Model)
	// 256 images of 3x64x64: far longer than a millisecond.
	big := []*flavors.Tensor{tensor("input", flavors.Float32, []int64{256, 3, 64, 64}, make([]float32, 256*3*64*64))}
	small := []*flavors.Tensor{tensor("input", flavors.Float32, []int64{1, 3, 64, 64}, make([]float32, 3*64*64))}
	if name := m.Inputs()[0].Name; name != "input" {
		big[0].Name, small[0].Name = name, name
	}
	for _, ctx := range []context.Context{context.Background(), t.Context()} {
		start := time.Now()
		if _, err := m.PredictBefore(ctx, time.Now().Add(time.Millisecond), big, nil); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("a run past its deadline: %v, want context.DeadlineExceeded", err)
		}
		stopped := time.Since(start)
		if _, err := m.PredictBefore(ctx, time.Now().Add(-time.Second), small, nil); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("a deadline already past: %v", err)
		}
		for range 3 {
			if _, err := m.PredictBefore(ctx, time.Now().Add(time.Minute), small, nil); err != nil {
				t.Fatalf("a run after a stopped one: %v", err)
			}
		}
		t.Logf("stopped after %v", stopped)
	}
}
