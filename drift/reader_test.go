package drift_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/flavors"
)

var readerColumns = []drift.Column{
	{Name: "x", Type: flavors.ColDouble},
	{Name: "n", Type: flavors.ColLong},
	{Name: "s", Type: flavors.ColString},
	{Name: "b", Type: flavors.ColBoolean},
}

func TestFromCSV(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr string // empty: no error
		check   func(t *testing.T, p *drift.Profile)
	}{
		{name: "ok", in: "x,extra,n,s,b\n1.5,zz,2,a,true\n,zz,3,,0\nNaN,zz,2,b,False\n", check: func(t *testing.T, p *drift.Profile) {
			if x := p.Feature("x"); x.Count != 1 || x.Nulls != 2 {
				t.Errorf("x count %d nulls %d", x.Count, x.Nulls)
			}
			if s := p.Feature("s"); s.Count != 2 || s.Nulls != 1 {
				t.Errorf("s count %d nulls %d", s.Count, s.Nulls)
			}
			if b := p.Feature("b").Categorical; b.Categories[0] != "false" || b.Counts[0] != 2 {
				t.Errorf("b = %+v", b)
			}
			if n := p.Feature("n"); n.Kind != drift.Categorical || n.Categorical.Categories[0] != "2" {
				t.Errorf("n = %+v", n.Categorical)
			}
		}},
		{name: "bom and spaces in header", in: "\ufeffx, n,s,b\n1,2,a,true\n"},
		{name: "empty", in: "", wantErr: "no header row"},
		{name: "missing columns", in: "x,s\n1,a\n", wantErr: `data has no column "n", "b"`},
		{name: "malformed number", in: "x,n,s,b\n1.2.3,1,a,true\n", wantErr: `line 2, column "x": "1.2.3" is not a number`},
		{name: "infinite", in: "x,n,s,b\ninf,1,a,true\n", wantErr: `line 2, column "x": +Inf is not a finite number`},
		{name: "too large", in: "x,n,s,b\n1e200,1,a,true\n", wantErr: `line 2, column "x": 1e+200 is larger than 1e+150`},
		{name: "fractional long", in: "x,n,s,b\n1,1.5,a,true\n", wantErr: `column "n": 1.5 is not an integer`},
		{name: "bad boolean", in: "x,n,s,b\n1,1,a,maybe\n", wantErr: `column "b": "maybe" is not a boolean`},
		{name: "ragged row", in: "x,n,s,b\n1,1,a,true\n2,2\n", wantErr: "wrong number of fields"},
		{name: "bare quote", in: "x,n,s,b\n1,1,a\"b,true\n", wantErr: "bare \""},
		{name: "huge field", in: "x,n,s,b\n1,1," + strings.Repeat("a", drift.MaxFieldBytes+1) + ",true\n", wantErr: "field longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := drift.FromCSV(strings.NewReader(tt.in), readerColumns)
			checkRead(t, p, err, tt.wantErr, tt.check)
		})
	}
}

func TestFromJSONL(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr string
		check   func(t *testing.T, p *drift.Profile)
	}{
		{name: "ok", in: `{"x": 1.5, "n": 2, "s": "a", "b": true, "other": [1]}` + "\n\n" + `{"x": null, "n": "3", "b": "false"}` + "\n", check: func(t *testing.T, p *drift.Profile) {
			if x := p.Feature("x"); x.Count != 1 || x.Nulls != 1 {
				t.Errorf("x count %d nulls %d", x.Count, x.Nulls)
			}
			if s := p.Feature("s"); s.Count != 1 || s.Nulls != 1 {
				t.Errorf("s count %d nulls %d (a missing key is null)", s.Count, s.Nulls)
			}
			if n := p.Feature("n"); n.Count != 2 {
				t.Errorf("n count %d", n.Count)
			}
		}},
		{name: "empty input", in: "", check: func(t *testing.T, p *drift.Profile) {
			if p.Feature("x").Count != 0 {
				t.Error("empty input has values")
			}
		}},
		{name: "not an object", in: "[1, 2]\n", wantErr: "line 1: not a JSON object"},
		{name: "null line", in: "null\n", wantErr: "line 1: not a JSON object"},
		{name: "truncated", in: `{"x": 1` + "\n", wantErr: "line 1: not a JSON object"},
		{name: "string for number", in: `{"x": "abc"}` + "\n", wantErr: `line 1, column "x": "abc" is not a number`},
		{name: "nested", in: `{"x": {"a": 1}}` + "\n", wantErr: "want a scalar"},
		{name: "bool for number", in: `{"x": true}` + "\n", wantErr: "got a boolean for a double column"},
		{name: "huge number", in: `{"x": 1e999}` + "\n", wantErr: "is not a number"},
		{name: "huge line", in: `{"s": "` + strings.Repeat("a", drift.MaxFieldBytes) + `"}` + "\n", wantErr: "line 1: line longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := drift.FromJSONL(strings.NewReader(tt.in), readerColumns)
			checkRead(t, p, err, tt.wantErr, tt.check)
		})
	}
}

func checkRead(t *testing.T, p *drift.Profile, err error, wantErr string, check func(*testing.T, *drift.Profile)) {
	t.Helper()
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("err = %v, want it to contain %q", err, wantErr)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if check != nil {
		check(t, p)
	}
}

func TestMissingColumnsErrorIsTyped(t *testing.T) {
	_, err := drift.FromCSV(strings.NewReader("a\n1\n"), readerColumns)
	var me *drift.MissingColumnsError
	if !errors.As(err, &me) || len(me.Columns) != 4 {
		t.Errorf("err = %v, want a MissingColumnsError naming 4 columns", err)
	}
}

func fuzzSeeds(f *testing.F, seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
}

func FuzzFromCSV(f *testing.F) {
	fuzzSeeds(f, "x,n,s,b\n1,2,a,true\n", "x,n,s,b\n1e400,1,\"a\"\"b\",1\n", "x,n\n1\n", "", "\ufeffx,n,s,b\nNaN,,,\n")
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := drift.FromCSV(strings.NewReader(string(data)), readerColumns)
		if err == nil {
			checkProfile(t, p)
		}
	})
}

func FuzzFromJSONL(f *testing.F) {
	fuzzSeeds(f, `{"x": 1, "n": 2, "s": "a", "b": true}`+"\n", `{"x": null}`, "[]\n", `{"x": "1e5", "b": "T"}`, "\n\n{}\n")
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := drift.FromJSONL(strings.NewReader(string(data)), readerColumns)
		if err == nil {
			checkProfile(t, p)
		}
	})
}

// checkProfile asserts invariants every profile holds.
func checkProfile(t *testing.T, p *drift.Profile) {
	t.Helper()
	for _, f := range p.Features {
		var sum int64
		switch {
		case f.Numeric != nil:
			for _, c := range f.Numeric.Counts {
				sum += c
			}
			n := f.Numeric
			slack := 1e-12 * max(math.Abs(n.Min), math.Abs(n.Max))
			if f.Count > 0 && (n.Min > n.Mean+slack || n.Mean > n.Max+slack || n.Variance < 0) {
				t.Errorf("%s: min %v mean %v max %v var %v", f.Name, f.Numeric.Min, f.Numeric.Mean, f.Numeric.Max, f.Numeric.Variance)
			}
		case f.Categorical != nil:
			sum = f.Categorical.Other
			for _, c := range f.Categorical.Counts {
				sum += c
			}
		default:
			t.Fatalf("%s: no statistics", f.Name)
		}
		if sum != f.Count {
			t.Errorf("%s: histogram holds %d values, count %d", f.Name, sum, f.Count)
		}
	}
	if _, err := json.Marshal(p); err != nil {
		t.Errorf("marshalling the profile: %v", err)
	}
	if _, err := drift.Compare(p, p, drift.DefaultThresholds()); err != nil {
		t.Errorf("comparing a profile with itself: %v", err)
	}
}
