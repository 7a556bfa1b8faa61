package serve

import (
	"slices"
	"testing"

	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/flavors"
)

func TestDriftTaps(t *testing.T) {
	ref := &drift.Profile{Version: drift.ProfileVersion, Features: []drift.Feature{{Name: "a"}, {Name: "b"}, {Name: "c"}}}
	cols := func(names ...string) *flavors.Signature {
		s := &flavors.Signature{Inputs: &flavors.Schema{}}
		for _, n := range names {
			s.Inputs.Columns = append(s.Inputs.Columns, flavors.ColSpec{Name: n, Type: flavors.ColDouble})
		}
		return s
	}
	in := func(name string, shape ...int64) flavors.TensorInfo {
		return flavors.TensorInfo{Name: name, DType: flavors.Float32, Shape: shape}
	}
	tests := []struct {
		name   string
		sig    *flavors.Signature
		inputs []flavors.TensorInfo
		want   []driftTap
	}{
		{"stacked columns", cols("a", "x", "c"), []flavors.TensorInfo{in("input", -1, 3)},
			[]driftTap{{tensor: "input", col: 0, width: 3, feature: 0}, {tensor: "input", col: 2, width: 3, feature: 2}}},
		{"one input per column", cols("a", "b"), []flavors.TensorInfo{in("a", -1, 1), in("b", -1)},
			[]driftTap{{tensor: "a", width: 1, feature: 0}, {tensor: "b", width: 1, feature: 1}}},
		{"tensor signature by name", &flavors.Signature{Inputs: &flavors.Schema{Tensors: []flavors.TensorSpec{{Name: "c", DType: flavors.Float32, Shape: []int64{-1}}}}},
			[]flavors.TensorInfo{in("c", -1)}, []driftTap{{tensor: "c", width: 1, feature: 2}}},
		{"no signature, unknown names", nil, []flavors.TensorInfo{in("input", -1, 3)}, nil},
		{"a matrix input named like a feature", nil, []flavors.TensorInfo{in("a", -1, 3)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := driftTaps(tt.sig, tt.inputs, ref)
			if len(got) != len(tt.want) {
				t.Fatalf("taps = %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("tap %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// TestDriftSourceTaps maps the features of a reference made for a model
// whose inputs are tensors: by the input's name, or the only input.
func TestDriftSourceTaps(t *testing.T) {
	col := func(name, tensor string, j int) drift.Feature {
		return drift.Feature{Name: name, Source: &drift.Source{Tensor: tensor, Rank: 2, Column: j, Width: 2}}
	}
	sum := func(name string, c int, s drift.Stat) drift.Feature {
		return drift.Feature{Name: name, Source: &drift.Source{Tensor: "x", Rank: 4, Column: c, Axis: 1, Channels: 2, Stat: s, Shape: []int64{-1, 2, 8, 8}}}
	}
	matrix := &drift.Profile{Features: []drift.Feature{col("a", "input", 0), col("b", "input", 1)}}
	image := &drift.Profile{Features: []drift.Feature{sum("x.c0.mean", 0, drift.StatMean), sum("x.c1.max", 1, drift.StatMax)}}
	in := func(name string, shape ...int64) flavors.TensorInfo {
		return flavors.TensorInfo{Name: name, DType: flavors.Float32, Shape: shape}
	}
	wantSum := &summaryTap{rank: 4, axis: 1, channels: 2, feats: []int{0, -1, -1, -1, -1, -1, -1, -1, 1, -1}}
	tests := []struct {
		name   string
		ref    *drift.Profile
		inputs []flavors.TensorInfo
		want   []driftTap
	}{
		{"columns by name", matrix, []flavors.TensorInfo{in("other", -1, 2), in("input", -1, 2)},
			[]driftTap{{tensor: "input", col: 0, width: 2, feature: 0}, {tensor: "input", col: 1, width: 2, feature: 1}}},
		{"the only input, whatever its name", matrix, []flavors.TensorInfo{in("float_input", -1, 2)},
			[]driftTap{{tensor: "float_input", col: 0, width: 2, feature: 0}, {tensor: "float_input", col: 1, width: 2, feature: 1}}},
		{"another rank", matrix, []flavors.TensorInfo{in("input", -1, 2, 2)}, nil},
		{"no such input among several", matrix, []flavors.TensorInfo{in("p", -1, 2), in("q", -1, 2)}, nil},
		{"channel summaries", image, []flavors.TensorInfo{in("x", -1, 2, 8, 8)}, []driftTap{{tensor: "x", width: 1, feature: -1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := driftTaps(nil, tt.inputs, tt.ref)
			if len(got) != len(tt.want) {
				t.Fatalf("taps = %+v, want %+v", got, tt.want)
			}
			for i := range got {
				g := got[i]
				if (g.sum != nil) != (tt.want[i].feature == -1) {
					t.Fatalf("tap %d = %+v: summary tap %v", i, g, g.sum != nil)
				}
				if g.sum != nil {
					if g.sum.rank != wantSum.rank || g.sum.axis != wantSum.axis || g.sum.channels != wantSum.channels || !slices.Equal(g.sum.feats, wantSum.feats) {
						t.Errorf("summary tap = %+v, want %+v", *g.sum, *wantSum)
					}
					g.sum = nil
				}
				if g != tt.want[i] {
					t.Errorf("tap %d = %+v, want %+v", i, g, tt.want[i])
				}
			}
		})
	}
}
