package serve

import (
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
