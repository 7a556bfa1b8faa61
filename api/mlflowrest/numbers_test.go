package mlflowrest_test

import (
	"encoding/json"
	"errors"
	"math"
	"testing"

	"github.com/berthml/berth/api/mlflowrest"
)

func TestFloat64JSON(t *testing.T) {
	tests := []struct {
		in      string
		want    float64
		out     string
		wantErr bool
	}{
		{in: `0.55`, want: 0.55, out: `0.55`},
		{in: `"NaN"`, want: math.NaN(), out: `"NaN"`},
		{in: `"Infinity"`, want: math.Inf(1), out: `"Infinity"`},
		{in: `"-Infinity"`, want: math.Inf(-1), out: `"-Infinity"`},
		{in: `"1.5"`, want: 1.5, out: `1.5`},
		{in: `1.7976931348623157e+308`, want: math.MaxFloat64, out: `1.7976931348623157e+308`},
		{in: `"abc"`, wantErr: true},
		{in: `true`, wantErr: true},
		{in: `[1]`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var f mlflowrest.Float64
			err := json.Unmarshal([]byte(tt.in), &f)
			if tt.wantErr {
				var ve *mlflowrest.ValueError
				if !errors.As(err, &ve) {
					t.Fatalf("Unmarshal(%s) = %v, want a *ValueError", tt.in, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Unmarshal(%s): %v", tt.in, err)
			}
			if got := float64(f); got != tt.want && !(math.IsNaN(got) && math.IsNaN(tt.want)) {
				t.Errorf("Unmarshal(%s) = %v, want %v", tt.in, got, tt.want)
			}
			b, err := json.Marshal(f)
			if err != nil || string(b) != tt.out {
				t.Errorf("Marshal = %s, %v; want %s", b, err, tt.out)
			}
		})
	}
}

func TestInt64JSON(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{in: `3`, want: 3},
		{in: `"3"`, want: 3},
		{in: `3.0`, want: 3},
		{in: `-1795839575004`, want: -1795839575004},
		{in: `"x"`, wantErr: true},
		{in: `3.5`, wantErr: true},
		{in: `true`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var n mlflowrest.Int64
			err := json.Unmarshal([]byte(tt.in), &n)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Unmarshal(%s) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if !tt.wantErr && int64(n) != tt.want {
				t.Errorf("Unmarshal(%s) = %d, want %d", tt.in, n, tt.want)
			}
		})
	}
}

func FuzzMetricJSON(f *testing.F) {
	for _, s := range []string{
		`{"key":"acc","value":0.5,"timestamp":1,"step":"3"}`,
		`{"key":"n","value":"NaN","timestamp":1,"step":0}`,
		`{"value":"Infinity"}`, `{"value":"abc"}`, `{"step":1e300}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var m mlflowrest.Metric
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			return
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("re-encoding %+v: %v", m, err)
		}
		var again mlflowrest.Metric
		if err := json.Unmarshal(b, &again); err != nil {
			t.Fatalf("decoding re-encoded %s: %v", b, err)
		}
		if again.Step != m.Step || again.Timestamp != m.Timestamp || again.Key != m.Key {
			t.Fatalf("round trip changed %+v into %+v", m, again)
		}
	})
}
