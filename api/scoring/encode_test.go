package scoring_test

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/berthml/berth/api/scoring"
	"github.com/berthml/berth/flavors"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestEncode(t *testing.T) {
	label := tensor("label", flavors.Int64, []int64{2}, []int64{0, 2})
	probs := tensor("probabilities", flavors.Float32, []int64{2, 3}, []float32{0.97, 0.02, 0.01, 0.001, 0.099, 0.9})
	maps := tensor("output_probability", flavors.Map, []int64{2}, []map[string]float32{
		{"0": 0.97, "1": 0.02, "2": 0.01, "10": 0},
		{"0": 0.001, "1": 0.099, "2": 0.9, "10": 0},
	})
	namedOut := &flavors.Signature{Outputs: &flavors.Schema{Tensors: []flavors.TensorSpec{
		{Name: "probabilities", DType: flavors.Float32, Shape: []int64{-1, 3}},
		{Name: "label", DType: flavors.Int64, Shape: []int64{-1}},
	}}}
	columnar := &scoring.Request{Rows: 2, Columnar: true}
	tensorReq := &scoring.Request{Rows: 2}
	tests := []struct {
		name    string
		outputs []*flavors.Tensor
		req     *scoring.Request
		sig     *flavors.Signature
	}{
		{"labels", []*flavors.Tensor{label}, columnar, nil},
		{"unnamed_long_picks_first", []*flavors.Tensor{label, maps}, columnar, &flavors.Signature{Outputs: longOutput}},
		{"matrix_float32", []*flavors.Tensor{probs}, columnar, nil},
		{"maps", []*flavors.Tensor{maps}, columnar, nil},
		{"records", []*flavors.Tensor{label, probs}, columnar, nil},
		{"records_signature_order", []*flavors.Tensor{label, probs}, columnar, namedOut},
		{"dict_for_tensor_request", []*flavors.Tensor{label, probs}, tensorReq, nil},
		{"dict_when_rows_differ", []*flavors.Tensor{label, probs}, &scoring.Request{Rows: 3, Columnar: true}, nil},
		{"scalar", []*flavors.Tensor{tensor("s", flavors.Float64, []int64{}, []float64{0.1})}, tensorReq, nil},
		{"float64_and_specials", []*flavors.Tensor{tensor("f", flavors.Float64, []int64{7}, []float64{
			0.1, 1, math.Copysign(0, -1), math.NaN(), math.Inf(1), 1e-7, 1e16})}, tensorReq, nil},
		{"float32_precision", []*flavors.Tensor{tensor("f", flavors.Float32, []int64{4}, []float32{
			0.97, 1.0 / 3, 3e-5, float32(math.Inf(-1))})}, tensorReq, nil},
		{"strings_bools_ints", []*flavors.Tensor{
			tensor("s", flavors.String, []int64{3}, []string{"a\"b\\", "é\n\x01", "\xff"}),
			tensor("b", flavors.Bool, []int64{3}, []bool{true, false, true}),
			tensor("u", flavors.Uint8, []int64{3}, []uint8{0, 255, 7}),
		}, &scoring.Request{Rows: 3, Columnar: true}, nil},
		{"rank3", []*flavors.Tensor{tensor("x", flavors.Int32, []int64{2, 2, 2}, []int32{1, 2, 3, 4, 5, 6, 7, 8})}, tensorReq, nil},
		{"empty_batch", []*flavors.Tensor{tensor("x", flavors.Int64, []int64{0}, []int64{})}, tensorReq, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := scoring.Encode(tt.outputs, tt.req, tt.sig)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "encode_"+tt.name+".golden")
			if *update {
				if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(append(got, '\n'), want) {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func TestEncodeRejectsBadTensors(t *testing.T) {
	_, err := scoring.Encode([]*flavors.Tensor{tensor("x", flavors.Float32, []int64{3}, []float32{1})}, nil, nil)
	if err == nil {
		t.Fatal("a tensor whose data does not fill its shape was encoded")
	}
	if _, err := scoring.Encode(nil, nil, nil); err == nil {
		t.Fatal("no outputs were encoded")
	}
}

func TestDecoderOutputNames(t *testing.T) {
	dec, err := scoring.NewDecoder(colspecSpec())
	if err != nil {
		t.Fatal(err)
	}
	if got := dec.OutputNames(); len(got) != 1 || got[0] != "output_label" {
		t.Errorf("OutputNames() = %v, want [output_label]", got)
	}
	dec, err = scoring.NewDecoder(noSigSpec())
	if err != nil {
		t.Fatal(err)
	}
	if got := dec.OutputNames(); got != nil {
		t.Errorf("OutputNames() = %v, want nil (all)", got)
	}
}
