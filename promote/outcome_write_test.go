package promote_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/berthml/berth/evaluate"
	"github.com/berthml/berth/promote"
)

func TestOutcomeWrite(t *testing.T) {
	metrics := map[string]float64{"f1_score": 0.9733, "accuracy_score": 1}
	for _, tt := range []struct {
		name string
		o    promote.Outcome
		want string
	}{
		{"already", promote.Outcome{Model: "iris", Alias: "champion", Candidate: "2", Holder: "2", AlreadyPromoted: true, Promoted: true},
			"@champion already points at iris version 2: nothing to do\n"},
		{"promoted", promote.Outcome{Model: "iris", Alias: "champion", Candidate: "2", Holder: "1", Promoted: true, Metrics: metrics,
			HolderMetrics: map[string]float64{"accuracy_score": 0.96}, CandidateRunID: "r2"},
			"METRIC          CANDIDATE (v2)  @champion (v1)\n" +
				"accuracy_score  1               0.96\n" +
				"f1_score        0.9733          -\n\n" +
				"promoted: @champion now points at iris version 2 (was 1); evaluation run r2\n"},
		{"no holder", promote.Outcome{Model: "iris", Alias: "champion", Candidate: "2", Promoted: true, SkippedChecks: true,
			Metrics: map[string]float64{"accuracy_score": 1}, CandidateRunID: "r2"},
			"METRIC          CANDIDATE (v2)  @champion (none)\n" +
				"accuracy_score  1               -\n\n" +
				"@champion points at no version yet: the change checks were skipped\n" +
				"promoted: @champion now points at iris version 2 (was none); evaluation run r2\n"},
		{"refused", promote.Outcome{Model: "iris", Alias: "champion", Candidate: "2", Holder: "1",
			Failures: []evaluate.Failure{{Message: "accuracy_score value threshold check failed"}}, CandidateRunID: "r2"},
			"METRIC  CANDIDATE (v2)  @champion (v1)\n\n" +
				"FAILED accuracy_score value threshold check failed\n" +
				"refused: @champion stays on version 1; evaluation run r2\n"},
		{"dry run passes", promote.Outcome{Alias: "champion", Candidate: "2", DryRun: true},
			"METRIC  CANDIDATE (v2)  @champion (none)\n\ndry run: every check passed; @champion would move to version 2\n"},
		{"dry run fails", promote.Outcome{Alias: "champion", Candidate: "2", DryRun: true, Failures: []evaluate.Failure{{Message: "m"}}},
			"METRIC  CANDIDATE (v2)  @champion (none)\n\nFAILED m\ndry run: @champion would stay on version none\n"},
	} {
		var b strings.Builder
		if err := tt.o.Write(&b, "table"); err != nil {
			t.Fatal(err)
		}
		if b.String() != tt.want {
			t.Errorf("%s:\n%s\nwant:\n%s", tt.name, b.String(), tt.want)
		}
	}
	var b strings.Builder
	o := promote.Outcome{Model: "iris", Alias: "champion", Candidate: "2", Promoted: true, Metrics: metrics}
	if err := o.Write(&b, "json"); err != nil {
		t.Fatal(err)
	}
	var back promote.Outcome
	if err := json.Unmarshal([]byte(b.String()), &back); err != nil || back.Alias != "champion" || back.Metrics["f1_score"] != 0.9733 {
		t.Errorf("json %s: %+v, %v", b.String(), back, err)
	}
	if !strings.HasPrefix(b.String(), "{\n  \"model\": \"iris\",") {
		t.Errorf("json is not indented: %s", b.String())
	}
}
