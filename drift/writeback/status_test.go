package writeback_test

import (
	"testing"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/drift/writeback"
)

func TestStatusOf(t *testing.T) {
	tag := func(k, v string) mlflowrest.ModelVersionTag { return mlflowrest.ModelVersionTag{Key: k, Value: v} }
	for _, tt := range []struct {
		name string
		tags []mlflowrest.ModelVersionTag
		want string
	}{
		{"never monitored", nil, "-"},
		{"other tags only", []mlflowrest.ModelVersionTag{tag("team", "a")}, "-"},
		{"ok", []mlflowrest.ModelVersionTag{tag(writeback.TagStatus, "ok")}, "ok"},
		{"ok keeps no feature", []mlflowrest.ModelVersionTag{tag(writeback.TagWorstFeature, "petal_length"), tag(writeback.TagStatus, "ok")}, "ok"},
		{"drift with feature", []mlflowrest.ModelVersionTag{tag(writeback.TagStatus, "drift"), tag(writeback.TagWorstFeature, "petal_length")}, "drift (petal_length)"},
		{"warning with feature", []mlflowrest.ModelVersionTag{tag(writeback.TagWorstFeature, "x"), tag(writeback.TagStatus, "warning")}, "warning (x)"},
		{"drift without feature", []mlflowrest.ModelVersionTag{tag(writeback.TagStatus, "drift")}, "drift"},
	} {
		if got := writeback.StatusOf(tt.tags); got != tt.want {
			t.Errorf("%s: StatusOf = %q, want %q", tt.name, got, tt.want)
		}
	}
}
