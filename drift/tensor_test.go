package drift_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/flavors"
)

func TestChannelAxis(t *testing.T) {
	tests := []struct {
		shape []int64
		want  int
	}{
		{[]int64{-1, 3, 64, 64}, 1},    // NCHW
		{[]int64{-1, 1, 28, 28}, 1},    // grey NCHW
		{[]int64{-1, 64, 64, 3}, 3},    // NHWC
		{[]int64{-1, 28, 28, 1}, 3},    // grey NHWC
		{[]int64{-1, 50, 8}, 2},        // a [batch, time, features] sequence
		{[]int64{-1, 3, 4, 4}, 3},      // tiny trailing dims: not NCHW, last axis
		{[]int64{-1, 100, 300}, 0},     // too many features: the whole sample
		{[]int64{-1, 3, 64, 64, 2}, 4}, // trailing dim 2 is not "larger": last axis
		{[]int64{-1, 4}, 0},            // rank 2 has no channels
	}
	for _, tt := range tests {
		if got := drift.ChannelAxis(tt.shape); got != tt.want {
			t.Errorf("ChannelAxis(%v) = %d, want %d", tt.shape, got, tt.want)
		}
	}
}

func TestTensorInputs(t *testing.T) {
	tensor := func(name string, shape ...int64) flavors.TensorSpec {
		return flavors.TensorSpec{Name: name, DType: flavors.Float32, Shape: shape}
	}
	info := func(name string, shape ...int64) flavors.TensorInfo {
		return flavors.TensorInfo{Name: name, DType: flavors.Float32, Shape: shape}
	}
	tests := []struct {
		name    string
		sig     *flavors.Schema
		runtime []flavors.TensorInfo
		names   []string // Name/Label pairs
		wantErr string
	}{
		{"unnamed signature tensor", &flavors.Schema{Tensors: []flavors.TensorSpec{tensor("", -1, 4)}}, nil, []string{"input", "input"}, ""},
		{"unnamed, runtime name", &flavors.Schema{Tensors: []flavors.TensorSpec{tensor("", -1, 4)}}, []flavors.TensorInfo{info("float_input", -1, 4)}, []string{"float_input", "input"}, ""},
		{"named signature tensor", &flavors.Schema{Tensors: []flavors.TensorSpec{tensor("x", -1, 4)}}, []flavors.TensorInfo{info("x", -1, 4)}, []string{"x", "x"}, ""},
		{"no signature, one input", nil, []flavors.TensorInfo{info("X", -1, 4)}, []string{"X", "input"}, ""},
		{"no signature, two inputs", nil, []flavors.TensorInfo{info("a", -1, 2), info("b", -1, 2)}, []string{"a", "a", "b", "b"}, ""},
		{"column signature", &flavors.Schema{Columns: []flavors.ColSpec{{Name: "a", Type: flavors.ColDouble}}}, nil, nil, "named columns"},
		{"nothing known", nil, nil, nil, "not known"},
		{"strings", nil, []flavors.TensorInfo{{Name: "s", DType: flavors.String, Shape: []int64{-1}}}, nil, "cannot be profiled"},
		{"scalar", nil, []flavors.TensorInfo{info("s")}, nil, "scalar"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ins, err := drift.TensorInputs(tt.sig, tt.runtime)
			if checkErr(t, err, tt.wantErr) {
				return
			}
			var got []string
			for _, in := range ins {
				got = append(got, in.Name, in.Label)
			}
			if !slices.Equal(got, tt.names) {
				t.Errorf("name, label = %v, want %v", got, tt.names)
			}
		})
	}
}

func TestTensorColumns(t *testing.T) {
	in := drift.TensorInput{Name: "input", Label: "input", DType: flavors.Float32, Shape: []int64{-1, 3}}
	names := func(cols []drift.Column) []string {
		var out []string
		for _, c := range cols {
			out = append(out, c.Name)
		}
		return out
	}
	tests := []struct {
		name      string
		in        drift.TensorInput
		head      drift.DataHead
		drop      []string
		want      []string
		wantNotes int
		wantErr   string
	}{
		{"csv header", in, drift.DataHead{Header: []string{"a", "b", "c"}}, nil, []string{"a", "b", "c"}, 0, ""},
		{"csv target dropped", in, drift.DataHead{Header: []string{"a", "y", "b", "c"}}, []string{"y"}, []string{"a", "b", "c"}, 1, ""},
		{"csv extra columns", in, drift.DataHead{Header: []string{"a", "b", "c", "id"}}, nil, []string{"a", "b", "c"}, 1, ""},
		{"csv too few", in, drift.DataHead{Header: []string{"a", "b"}}, nil, nil, 0, "takes 3"},
		{"csv unknown target", in, drift.DataHead{Header: []string{"a", "b", "c"}}, []string{"y"}, nil, 0, `no column "y"`},
		{"csv duplicate", in, drift.DataHead{Header: []string{"a", "a", "c"}}, nil, nil, 0, "two features"},
		{"json keys in order", in, drift.DataHead{First: []byte(`{"z": 1, "a": 2, "m": 3, "t": 0}`)}, []string{"t"}, []string{"z", "a", "m"}, 1, ""},
		{"json array", in, drift.DataHead{First: []byte(`[1, 2, 3]`)}, nil, []string{"input[0]", "input[1]", "input[2]"}, 0, ""},
		{"json array of the wrong width", in, drift.DataHead{First: []byte(`[1, 2]`)}, nil, nil, 0, "want [3]"},
		{"json under the input's name", in, drift.DataHead{First: []byte(`{"input": [1, 2, 3], "id": 7}`)}, nil, []string{"input[0]", "input[1]", "input[2]"}, 0, ""},
		{"request log", in, drift.DataHead{First: []byte(`{"inputs": {"input": [1, 2, 3]}, "outputs": {"label": 0}}`)}, nil, []string{"input[0]", "input[1]", "input[2]"}, 0, ""},
		{"dynamic width from the header", drift.TensorInput{Name: "x", Label: "x", DType: flavors.Float64, Shape: []int64{-1, -1}},
			drift.DataHead{Header: []string{"p", "q"}}, nil, []string{"p", "q"}, 0, ""},
		{"rank 1", drift.TensorInput{Name: "x", Label: "x", DType: flavors.Float64, Shape: []int64{-1}}, drift.DataHead{Header: []string{"p"}}, nil, []string{"x"}, 0, ""},
		{"image", drift.TensorInput{Name: "img", Label: "input", DType: flavors.Float32, Shape: []int64{-1, 2, 8, 8}}, drift.DataHead{},
			nil, []string{"input.c0.mean", "input.c0.std", "input.c0.min", "input.c0.max", "input.c0.zeros", "input.c1.mean", "input.c1.std", "input.c1.min", "input.c1.max", "input.c1.zeros"}, 0, ""},
		{"sequence, dynamic length from the data", drift.TensorInput{Name: "s", Label: "s", DType: flavors.Float32, Shape: []int64{-1, -1, 2}},
			drift.DataHead{First: []byte(`[[1, 2], [3, 4], [5, 6]]`)}, nil,
			[]string{"s.c0.mean", "s.c0.std", "s.c0.min", "s.c0.max", "s.c0.zeros", "s.c1.mean", "s.c1.std", "s.c1.min", "s.c1.max", "s.c1.zeros"}, 0, ""},
		{"dynamic dims without a sample", drift.TensorInput{Name: "s", Label: "s", DType: flavors.Float32, Shape: []int64{-1, -1, 2}},
			drift.DataHead{Header: []string{"a"}}, nil, nil, 0, "must give a sample"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cols, notes, err := drift.TensorColumns([]drift.TensorInput{tt.in}, tt.head, tt.drop)
			if checkErr(t, err, tt.wantErr) {
				return
			}
			if got := names(cols); !slices.Equal(got, tt.want) {
				t.Errorf("columns = %v, want %v", got, tt.want)
			}
			if len(notes) != tt.wantNotes {
				t.Errorf("notes = %q, want %d", notes, tt.wantNotes)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	// NCHW [2, 2, 2]: channel 0 = 0, 1, 2, 3; channel 1 = 4, 4, 4, NaN.
	nchw, err := drift.NewSummarizer([]int64{2, 2, 2}, 1)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float64, 10)
	drift.Summarize(nchw, []float32{0, 1, 2, 3, 4, 4, 4, float32(math.NaN())}, out)
	want := []float64{1.5, math.Sqrt(1.25), 0, 3, 0.25, 4, 0, 4, 4, 0}
	if !slices.Equal(out, want) {
		t.Errorf("NCHW summaries = %v, want %v", out, want)
	}
	// The same values laid out NHWC [2, 2, 2]: channel c at every other position.
	nhwc, err := drift.NewSummarizer([]int64{2, 2, 2}, 3)
	if err != nil {
		t.Fatal(err)
	}
	drift.Summarize(nhwc, []float64{0, 4, 1, 4, 2, 4, 3, math.NaN()}, out)
	if !slices.Equal(out, want) {
		t.Errorf("NHWC summaries = %v, want %v", out, want)
	}
	// The whole sample, and a sample of NaNs only.
	whole, err := drift.NewSummarizer([]int64{2, 2}, 0)
	if err != nil {
		t.Fatal(err)
	}
	drift.Summarize(whole, []int64{-2, 0, 2, 0}, out[:5])
	if want := []float64{0, math.Sqrt(2), -2, 2, 0.5}; !slices.Equal(out[:5], want) {
		t.Errorf("whole-sample summaries = %v, want %v", out[:5], want)
	}
	nan := math.NaN()
	drift.Summarize(whole, []float64{nan, nan, nan, nan}, out[:5])
	for _, v := range out[:5] {
		if !math.IsNaN(v) {
			t.Errorf("summaries of NaNs = %v, want NaN", out[:5])
		}
	}
	if _, err := drift.NewSummarizer([]int64{3, -1}, 1); err == nil {
		t.Error("NewSummarizer with a dynamic dimension: no error")
	}
}

func TestParseNested(t *testing.T) {
	tests := []struct {
		in        string
		want      []float64
		wantShape []int
		wantErr   string
	}{
		{"1.5", []float64{1.5}, []int{}, ""},
		{"[1, 2, 3]", []float64{1, 2, 3}, []int{3}, ""},
		{" [[1,2],[3,-4e2]] ", []float64{1, 2, 3, -400}, []int{2, 2}, ""},
		{"[[[1]],[[2]]]", []float64{1, 2}, []int{2, 1, 1}, ""},
		{"[1, null]", []float64{1, math.NaN()}, []int{2}, ""},
		{"[[1, 2], [3]]", nil, nil, "ragged"},
		{"[[1, 2], 3]", nil, nil, "ragged"},
		{"[1, [2]]", nil, nil, "ragged"},
		{"[]", nil, nil, "empty"},
		{"[[], []]", nil, nil, "empty"},
		{`[1, "2"]`, nil, nil, "a string"},
		{`[true]`, nil, nil, "a boolean"},
		{`{"a": 1}`, nil, nil, "an object"},
		{"[1e999]", nil, nil, "magnitude"},
		{"[1e200]", nil, nil, "magnitude"},
		{"[1, 2", nil, nil, "not valid JSON"},
		{"[NaN]", nil, nil, "not valid JSON"},
		{strings.Repeat("[", 40) + "1" + strings.Repeat("]", 40), nil, nil, "deeper"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			vals, shape, err := drift.ParseNested([]byte(tt.in), nil)
			if checkErr(t, err, tt.wantErr) {
				return
			}
			if !slices.EqualFunc(vals, tt.want, func(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }) || !slices.Equal(shape, tt.wantShape) {
				t.Errorf("= %v %v, want %v %v", vals, shape, tt.want, tt.wantShape)
			}
		})
	}
}

func FuzzParseNested(f *testing.F) {
	for _, s := range []string{"1", "[1,2]", "[[1,2],[3,4]]", "[[1],[2,3]]", "[null]", "[]", `[1,"a"]`, "[[[-1e3]]]"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		vals, shape, err := drift.ParseNested(data, nil)
		if err != nil {
			return
		}
		n := 1
		for _, d := range shape {
			if d < 1 {
				t.Fatalf("shape %v", shape)
			}
			n *= d
		}
		if n != len(vals) {
			t.Fatalf("shape %v for %d values", shape, len(vals))
		}
		// What parses is JSON of numbers that encoding/json reads alike.
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			t.Fatalf("ParseNested took %q, which is not JSON: %v", data, err)
		}
	})
}

// tensorBuilder returns a builder of a [-1, 2] input's two columns and a
// [-1, 1, 8, 8] input's channel summaries.
func tensorBuilder(t testing.TB) *drift.Builder {
	t.Helper()
	m := drift.TensorInput{Name: "m", Label: "m", DType: flavors.Float64, Shape: []int64{-1, 2}}
	img := drift.TensorInput{Name: "img", Label: "img", DType: flavors.Float32, Shape: []int64{-1, 1, 8, 8}}
	cols, _, err := drift.TensorColumns([]drift.TensorInput{m, img}, drift.DataHead{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return drift.NewBuilder(cols)
}

func TestReadJSONLTensors(t *testing.T) {
	flat := "[" + strings.TrimSuffix(strings.Repeat("0.5,", 64), ",") + "]"
	nested := "[[" + strings.TrimSuffix(strings.Repeat("[1,0,1,0,1,0,1,0],", 8), ",") + "]]"
	tests := []struct {
		name    string
		in      string
		wantErr string
	}{
		{"objects by input name", `{"m": [1, 2], "img": ` + flat + "}\n" + `{"m": [3, 4], "img": ` + nested + "}\n", ""},
		{"a request log's inputs", `{"inputs": {"m": [1, 2], "img": ` + flat + `}, "outputs": {}}` + "\n", ""},
		{"a missing input is null", `{"m": [1, 2]}` + "\n", ""},
		{"an array line with two inputs", "[1, 2]\n", "one input"},
		{"a row of the wrong width", `{"m": [1, 2, 3]}` + "\n", "want a row of 2"},
		{"a sample of the wrong size", `{"img": [1, 2, 3]}` + "\n", "want [1 8 8] or 64 values"},
		{"a sample with other channels", `{"img": [[[1]], [[2]]]}` + "\n", "channels"},
		{"a string", `{"m": [1, "a"]}` + "\n", "a string"},
		{"not JSON", "{\"m\": [1,\n", "not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tensorBuilder(t)
			var err error
			if strings.Contains(tt.in, `"inputs"`) {
				err = drift.ReadLog(strings.NewReader(tt.in), b, nil)
			} else {
				err = drift.ReadJSONL(strings.NewReader(tt.in), b)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				var pe *drift.ParseError
				if !errors.As(err, &pe) || pe.Line != 1 {
					t.Errorf("err = %v, want a ParseError on line 1", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := b.Profile(); err != nil {
				t.Fatal(err)
			}
		})
	}

	// The values: m's columns as given, img's summaries of flat 0.5s and
	// of the nested 1, 0 pattern.
	b := tensorBuilder(t)
	in := `{"m": [1, 2], "img": ` + flat + "}\n" + `{"m": [3, 4], "img": ` + nested + "}\n" + `{"m": null}` + "\n"
	if err := drift.ReadJSONL(strings.NewReader(in), b); err != nil {
		t.Fatal(err)
	}
	p, err := b.Profile()
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, count, nulls int64, mean float64) {
		t.Helper()
		f := p.Feature(name)
		if f == nil || f.Count != count || f.Nulls != nulls || f.Numeric.Mean != mean {
			t.Errorf("%s = %+v %+v, want count %d, nulls %d, mean %v", name, f, f.Numeric, count, nulls, mean)
		}
	}
	check("m[0]", 2, 1, 2)
	check("m[1]", 2, 1, 3)
	check("img.c0.mean", 2, 1, 0.5)
	check("img.c0.zeros", 2, 1, 0.25) // 0 and 0.5
	check("img.c0.max", 2, 1, 0.75)   // 0.5 and 1
	if s := p.Feature("img.c0.std").Source; s == nil || s.Stat != drift.StatStd || !slices.Equal(s.Shape, []int64{-1, 1, 8, 8}) {
		t.Errorf("img.c0.std's source = %+v", s)
	}
}

func FuzzReadJSONLTensors(f *testing.F) {
	for _, s := range []string{
		`{"m": [1, 2], "img": [[[1,0,1,0,1,0,1,0],[1,0,1,0,1,0,1,0],[1,0,1,0,1,0,1,0],[1,0,1,0,1,0,1,0],[1,0,1,0,1,0,1,0],[1,0,1,0,1,0,1,0],[1,0,1,0,1,0,1,0],[1,0,1,0,1,0,1,0]]]}`,
		`{"m": [1, null]}`,
		`{"inputs": {"m": [1, 2]}, "outputs": {}}`,
		`[1, 2]`,
		`{"img": [1, 2, 3]}`,
	} {
		f.Add([]byte(s + "\n"))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b := tensorBuilder(t)
		if err := drift.ReadJSONL(bytes.NewReader(data), b); err != nil {
			return
		}
		p, err := b.Profile()
		if err != nil {
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("a profile read from %q does not validate: %v", data, err)
		}
	})
}

// TestOldProfileLoads reads a profile written before features had a
// source: it loads, and its features have none.
func TestOldProfileLoads(t *testing.T) {
	old := `{"version": 1, "features": [{"name": "x", "kind": "numeric", "type": "double", "count": 2, "nulls": 0,
		"numeric": {"min": 1, "max": 2, "mean": 1.5, "variance": 0.25, "edges": [1, 2], "counts": [0, 2, 0]}}]}`
	p, err := drift.ReadProfile(strings.NewReader(old))
	if err != nil {
		t.Fatal(err)
	}
	if p.Features[0].Source != nil {
		t.Errorf("source = %+v, want none", p.Features[0].Source)
	}
	out, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte("source")) {
		t.Errorf("re-encoded profile %s has a source", out)
	}
}

func TestSourceValidates(t *testing.T) {
	feature := func(s drift.Source) string {
		return `{"version": 1, "features": [{"name": "x", "kind": "numeric", "count": 0, "nulls": 0,
			"numeric": {"min": 0, "max": 0, "mean": 0, "variance": 0, "edges": [], "counts": []}, "source": ` + mustJSON(s) + `}]}`
	}
	tests := []struct {
		name string
		src  drift.Source
		ok   bool
	}{
		{"column", drift.Source{Tensor: "t", Rank: 2, Column: 1, Width: 2}, true},
		{"column past the width", drift.Source{Tensor: "t", Rank: 2, Column: 2, Width: 2}, false},
		{"summary", drift.Source{Tensor: "t", Rank: 4, Column: 0, Axis: 1, Channels: 3, Stat: drift.StatMean, Shape: []int64{-1, 3, 8, 8}}, true},
		{"whole-sample summary", drift.Source{Tensor: "t", Rank: 3, Column: -1, Stat: drift.StatMax, Shape: []int64{-1, 50, 300}}, true},
		{"unknown statistic", drift.Source{Tensor: "t", Rank: 4, Column: 0, Axis: 1, Channels: 3, Stat: "median", Shape: []int64{-1, 3, 8, 8}}, false},
		{"channel past the channels", drift.Source{Tensor: "t", Rank: 4, Column: 3, Axis: 1, Channels: 3, Stat: drift.StatMean, Shape: []int64{-1, 3, 8, 8}}, false},
		{"shape disagrees with the channels", drift.Source{Tensor: "t", Rank: 4, Column: 0, Axis: 1, Channels: 3, Stat: drift.StatMean, Shape: []int64{-1, 4, 8, 8}}, false},
		{"huge shape", drift.Source{Tensor: "t", Rank: 4, Column: 0, Axis: 1, Channels: 3, Stat: drift.StatMean, Shape: []int64{-1, 3, 1 << 20, 1 << 20}}, false},
		{"rank 0", drift.Source{Tensor: "t"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := drift.ReadProfile(strings.NewReader(feature(tt.src)))
			if (err == nil) != tt.ok {
				t.Errorf("ReadProfile: %v, want ok %v", err, tt.ok)
			}
		})
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// BenchmarkSummarizeCNN64 is the live monitor's cost per scored image of
// cnn64 (float32 [3, 64, 64], NCHW): one pass over the sample.
func BenchmarkSummarizeCNN64(b *testing.B) {
	s, err := drift.NewSummarizer([]int64{3, 64, 64}, 1)
	if err != nil {
		b.Fatal(err)
	}
	img := make([]float32, s.Size())
	for i := range img {
		img[i] = float32(i%251) / 251
	}
	out := make([]float64, 3*len(drift.SummaryStats))
	b.ReportAllocs()
	for b.Loop() {
		drift.Summarize(s, img, out)
	}
}

// TestSummarizeHuge: summaries that overflow are missing, not infinite.
func TestSummarizeHuge(t *testing.T) {
	s, err := drift.NewSummarizer([]int64{2}, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float64, 5)
	drift.Summarize(s, []float64{1e300, -1e300}, out)
	if out[0] != 0 || out[4] != 0 {
		t.Errorf("mean, zeros = %v, %v; want 0, 0", out[0], out[4])
	}
	for i, v := range out[1:4] { // std overflows; min and max are beyond MaxAbsValue
		if !math.IsNaN(v) {
			t.Errorf("summary %s = %v, want NaN", drift.SummaryStats[i+1], v)
		}
	}
}

func TestNewSummarizerTooLarge(t *testing.T) {
	for _, shape := range [][]int64{{1 << 40, 1 << 40}, {1 << 16, 1 << 16}, {3, 0}} {
		if _, err := drift.NewSummarizer(shape, 0); err == nil {
			t.Errorf("NewSummarizer(%v): no error", shape)
		}
	}
}

// checkErr fails t unless err contains want, or is nil where want is
// empty; it reports whether an error was wanted, so the case ends there.
func checkErr(t *testing.T, err error, want string) bool {
	t.Helper()
	if want != "" {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("err = %v, want %q", err, want)
		}
		return true
	}
	if err != nil {
		t.Fatal(err)
	}
	return false
}
