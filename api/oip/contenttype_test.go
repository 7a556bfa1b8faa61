package oip_test

import (
	"errors"
	"testing"

	"github.com/berthml/berth/api/oip"
	"github.com/berthml/berth/flavors"
)

func TestCheckContentType(t *testing.T) {
	cases := []struct {
		contentType, headerLen string
		infer, v1              bool // accepted by each
	}{
		{"application/json", "", true, true},
		{"application/json; charset=utf-8", "", true, true},
		{"application/json;charset=UTF-8", "", true, true},
		{"APPLICATION/JSON", "", true, true},
		{"application/octet-stream", "12", true, false},
		{"application/octet-stream", "", true, false},
		{"", "12", true, false},
		{"", "", false, false},
		{"   ", "", false, false},
		{"text/plain", "", false, false},
		{"text/plain;charset=UTF-8", "12", false, false},
		{"application/x-www-form-urlencoded", "", false, false},
		{"multipart/form-data; boundary=--x", "", false, false},
		{"application/json; charset=latin1", "", false, false},
		{"application/json;", "", true, true}, // as mime.ParseMediaType and MLflow read it
		{"application/json; charset", "", false, false},
		{"application/jsonx", "", false, false},
		{"application/json/x", "", false, false},
		{"\x00", "", false, false},
	}
	for _, c := range cases {
		err := oip.CheckInferContentType(c.contentType, c.headerLen)
		if (err == nil) != c.infer {
			t.Errorf("CheckInferContentType(%q, %q) = %v, want accepted %v", c.contentType, c.headerLen, err, c.infer)
		}
		var e *oip.Error
		if err != nil && (!errors.As(err, &e) || e.Kind != oip.KindUnsupportedMediaType) {
			t.Errorf("CheckInferContentType(%q): %T %v, want a KindUnsupportedMediaType *Error", c.contentType, err, err)
		}
		if err := oip.CheckV1ContentType(c.contentType); (err == nil) != c.v1 {
			t.Errorf("CheckV1ContentType(%q) = %v, want accepted %v", c.contentType, err, c.v1)
		}
	}
}

func FuzzCheckContentType(f *testing.F) {
	for _, s := range []string{"application/json", "text/plain", "", "application/json; charset=utf-8", "a/b; c=\"d\""} {
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, contentType, headerLen string) {
		for _, err := range []error{oip.CheckInferContentType(contentType, headerLen), oip.CheckV1ContentType(contentType)} {
			var e *oip.Error
			if err != nil && (!errors.As(err, &e) || e.Kind != oip.KindUnsupportedMediaType || len(e.Msg) > 400) {
				t.Fatalf("%q: %v", contentType, err)
			}
		}
	})
}

func TestEncodeLimit(t *testing.T) {
	data := make([]float32, 3000)
	for i := range data {
		data[i] = 0.123456
	}
	outs := []*flavors.Tensor{
		{Name: "label", DType: flavors.Int64, Shape: []int64{1000}, Data: make([]int64, 1000)},
		{Name: "probabilities", DType: flavors.Float32, Shape: []int64{1000, 3}, Data: data},
	}
	full, _, err := oip.EncodeInferResponse("m", "1", "", outs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, _, err := oip.EncodeInferResponseLimit("m", "1", "", outs, nil, len(full)); err != nil || string(got) != string(full) {
		t.Errorf("a response exactly at the limit: %v", err)
	}
	if _, _, err := oip.EncodeInferResponseLimit("m", "1", "", outs, nil, len(full)-1); !errors.Is(err, oip.ErrResponseTooLarge) {
		t.Errorf("one byte over: %v, want ErrResponseTooLarge", err)
	}
	if _, _, err := oip.EncodeInferResponseLimit("m", "1", "", outs, nil, 1000); !errors.Is(err, oip.ErrResponseTooLarge) {
		t.Errorf("limit 1000: %v, want ErrResponseTooLarge", err)
	}
	v1, err := oip.EncodeV1Predict(outs)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range [][]*flavors.Tensor{outs, outs[1:]} {
		if _, err := oip.EncodeV1PredictLimit(o, 1000); !errors.Is(err, oip.ErrResponseTooLarge) {
			t.Errorf("V1, %d outputs, limit 1000: %v, want ErrResponseTooLarge", len(o), err)
		}
	}
	if got, err := oip.EncodeV1PredictLimit(outs, len(v1)); err != nil || string(got) != string(v1) {
		t.Errorf("V1 exactly at the limit: %v", err)
	}
}

// TestCheckInferContentTypeAllocs: the usual headers are accepted without
// parsing; every request passes here.
func TestCheckInferContentTypeAllocs(t *testing.T) {
	for _, ct := range []string{oip.ContentTypeJSON, oip.ContentTypeBinary} {
		if n := testing.AllocsPerRun(100, func() {
			if err := oip.CheckInferContentType(ct, ""); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("%s: %.0f allocations per check, want 0", ct, n)
		}
	}
}
