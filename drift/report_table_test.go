package drift_test

import (
	"strings"
	"testing"

	"github.com/berthml/berth/drift"
)

func TestReportWriteTable(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	r := &drift.Report{Status: drift.StatusDrift, DriftedFeatures: 1, DriftedOutputs: 0,
		Rule: drift.Rule{KSQ: 0.05, Chi2Q: 0.05},
		Features: []drift.FeatureResult{
			{Feature: "petal_length", Kind: drift.Numeric, PSI: f(0.51234), KSStatistic: f(0.4), KSPValue: f(1.23456e-7), JSDistance: f(0.3), Status: drift.StatusDrift},
			{Feature: "colour", Kind: drift.Categorical, PSI: f(0.01), JSDistance: f(0.02), Chi2: f(1.5), Chi2PValue: f(0.47), Status: drift.StatusOK},
			{Feature: "label", Kind: drift.Categorical, Output: true, Status: drift.StatusOK},
		}}
	var b strings.Builder
	if err := r.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	want := "FEATURE       ROLE    KIND         PSI     KS   KS P       JS    CHI2  CHI2 P  STATUS\n" +
		"petal_length  input   numeric      0.5123  0.4  1.235e-07  0.3   -     -       drift\n" +
		"colour        input   categorical  0.01    -    -          0.02  1.5   0.47    ok\n" +
		"label         output  categorical  -       -    -          -     -     -       ok\n" +
		"\n" + r.Summary() + "\n"
	if b.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}
	if !strings.HasPrefix(r.Summary(), "drift: 1 of 2 features") {
		t.Errorf("summary %q", r.Summary())
	}
}
