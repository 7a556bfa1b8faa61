package drift_test

import (
	"strings"
	"testing"

	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/flavors"
)

var logOutputs = []drift.Column{{Name: "label", Type: flavors.ColLong, Kind: drift.Categorical}, {Name: "p.0", Type: flavors.ColFloat}, {Name: "p.1", Type: flavors.ColFloat}}

func readLog(in string) (*drift.Profile, *drift.Profile, error) {
	ib, ob := drift.NewBuilder(readerColumns), drift.NewBuilder(logOutputs)
	if err := drift.ReadLog(strings.NewReader(in), ib, ob); err != nil {
		return nil, nil, err
	}
	ip, err := ib.Profile()
	if err != nil {
		return nil, nil, err
	}
	op, err := ob.Profile()
	return ip, op, err
}

func TestReadLog(t *testing.T) {
	line := `{"time":"2026-11-28T08:00:00.000Z","model":"m","version":"1","request_id":"r","row":0,` +
		`"inputs":{"x":1.5,"n":2,"s":"a","b":true},"outputs":{"label":1,"p":[0.25,0.75]}}` + "\n"
	ip, op, err := readLog(line + "\n" + strings.Replace(line, `"p":[0.25,0.75]`, `"p":[0.5]`, 1))
	if err != nil {
		t.Fatal(err)
	}
	if x := ip.Feature("x"); x.Count != 2 || x.Numeric.Mean != 1.5 {
		t.Errorf("x = %+v", x)
	}
	if l := op.Feature("label"); l.Count != 2 || l.Categorical.Categories[0] != "1" {
		t.Errorf("label = %+v", l)
	}
	if p := op.Feature("p.0"); p.Count != 2 || p.Numeric.Mean != 0.375 {
		t.Errorf("p.0 = %+v", p.Numeric)
	}
	if p := op.Feature("p.1"); p.Count != 1 || p.Nulls != 1 {
		t.Errorf("p.1 count %d nulls %d, want 1 and 1 (a short array)", p.Count, p.Nulls)
	}
	if !drift.IsLog([]byte(line)) || drift.IsLog([]byte(`{"x": 1}`)) || drift.IsLog([]byte(`{"inputs": [1], "outputs": {}}`)) {
		t.Error("IsLog does not tell a request log line from a data row")
	}

	for _, tt := range []struct{ name, in, want string }{
		{"no inputs", `{"outputs": {}}`, `line 1: no "inputs" object: not a berth request log`},
		{"inputs not an object", `{"inputs": [1], "outputs": {}}`, `line 1: "inputs" is not a JSON object`},
		{"no outputs", `{"inputs": {}}`, `line 1: no "outputs" object`},
		{"null outputs", `{"inputs": {}, "outputs": null}`, `line 1: no "outputs" object`},
		{"bad value", `{"inputs": {"x": "abc"}, "outputs": {}}`, `line 1, column "x": "abc" is not a number`},
		{"bad array element", `{"inputs": {}, "outputs": {"p": [{"a": 1}]}}`, `column "p.0": got a JSON object`},
		{"broken array", `{"inputs": {}, "outputs": {"p": [1,}}`, "line 1: not a JSON object"},
		{"not json", "{\n", "line 1: not a JSON object"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := readLog(tt.in + "\n")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func FuzzReadLog(f *testing.F) {
	fuzzSeeds(f, `{"inputs":{"x":1,"n":2,"s":"a","b":true},"outputs":{"label":0,"p":[0.1,0.9]}}`+"\n",
		`{"inputs":{},"outputs":{"p":[]}}`, `{"inputs":{"x":null},"outputs":{"p":[null,"1"]}}`, "\n\n", `{"inputs":1}`)
	f.Fuzz(func(t *testing.T, data []byte) {
		ip, op, err := readLog(string(data))
		if err == nil {
			checkProfile(t, ip)
			checkProfile(t, op)
		}
	})
}
