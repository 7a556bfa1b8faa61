package scoring_test

import (
	"errors"
	"testing"

	"github.com/berthml/berth/api/scoring"
	"github.com/berthml/berth/flavors"
)

func TestEncodeLimit(t *testing.T) {
	data := make([]float32, 3000)
	for i := range data {
		data[i] = 0.123456
	}
	outs := []*flavors.Tensor{
		{Name: "label", DType: flavors.Int64, Shape: []int64{1000}, Data: make([]int64, 1000)},
		{Name: "probabilities", DType: flavors.Float32, Shape: []int64{1000, 3}, Data: data},
	}
	full, err := scoring.AppendEncode(nil, outs, &scoring.Request{Columnar: true, Rows: 1000}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, req := range []*scoring.Request{nil, {Columnar: true, Rows: 1000}} {
		for _, outs := range [][]*flavors.Tensor{outs, outs[1:]} {
			if _, err := scoring.AppendEncodeLimit(nil, outs, req, nil, 1000); !errors.Is(err, scoring.ErrResponseTooLarge) {
				t.Errorf("%d outputs, columnar %v, limit 1000: err %v, want ErrResponseTooLarge", len(outs), req != nil, err)
			}
		}
	}
	got, err := scoring.AppendEncodeLimit([]byte("prefix"), outs, &scoring.Request{Columnar: true, Rows: 1000}, nil, len(full))
	if err != nil || string(got) != "prefix"+string(full) {
		t.Errorf("a response exactly at the limit: err %v", err)
	}
	if _, err := scoring.AppendEncodeLimit(nil, outs, &scoring.Request{Columnar: true, Rows: 1000}, nil, len(full)-1); !errors.Is(err, scoring.ErrResponseTooLarge) {
		t.Errorf("one byte over the limit: err %v", err)
	}
}
