package writeback

import (
	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/drift"
)

// StatusOf reads back, from a model version's tags, the drift status a
// Writer wrote: "drift (petal_length)" or "warning (petal_length)" with
// the worst feature, "ok", or "-" when the version was never monitored.
func StatusOf(tags []mlflowrest.ModelVersionTag) string {
	var status, worst string
	for _, t := range tags {
		switch t.Key {
		case TagStatus:
			status = t.Value
		case TagWorstFeature:
			worst = t.Value
		}
	}
	switch {
	case status == "":
		return "-"
	case worst != "" && status != string(drift.StatusOK):
		return status + " (" + worst + ")"
	}
	return status
}
