package serve

import (
	"strings"
	"testing"
	"time"
)

func TestParseModelArgs(t *testing.T) {
	cases := []struct {
		args    []string
		want    []ModelArg
		wantErr string
	}{
		{args: []string{"models/iris"}, want: []ModelArg{{"iris", "models/iris"}}},
		{args: []string{"models/iris/"}, want: []ModelArg{{"iris", "models/iris/"}}},
		{args: []string{"a=models/iris", "b=models/iris"}, want: []ModelArg{{"a", "models/iris"}, {"b", "models/iris"}}},
		{args: []string{"x/iris", "y/iris"}, wantErr: "given twice"},
		{args: []string{"iris="}, wantErr: "no model"},
		{args: []string{"bad name=dir"}, wantErr: "must be letters"},
		{args: []string{"=dir"}, wantErr: "must be letters"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			got, err := ParseModelArgs(c.args)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil || len(got) != len(c.want) {
				t.Fatalf("got %v, %v", got, err)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("arg %d = %v, want %v", i, got[i], c.want[i])
				}
			}
		})
	}
}

func TestParseModelBatch(t *testing.T) {
	models := []ModelArg{{"iris", "a"}, {"cnn", "b"}}
	def := BatchConfig{MaxBatchSize: 16, MaxQueueDelay: 2 * time.Millisecond, MaxQueueSize: 100}
	got, err := ParseModelBatch([]string{"iris=off", "cnn=32/5ms"}, def, models)
	if err != nil {
		t.Fatal(err)
	}
	if got["iris"].Enabled() || got["cnn"] != (BatchConfig{MaxBatchSize: 32, MaxQueueDelay: 5 * time.Millisecond, MaxQueueSize: 100}) {
		t.Errorf("got %+v", got)
	}
	if _, err := ParseModelBatch([]string{"iris=4", "iris=8"}, def, models); err == nil {
		t.Error("a model given twice was accepted")
	}
}
