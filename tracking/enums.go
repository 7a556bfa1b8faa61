package tracking

import "strings"

// RunStatus is the status of a run.
type RunStatus string

// The run statuses MLflow knows.
const (
	RunRunning   RunStatus = "RUNNING"
	RunScheduled RunStatus = "SCHEDULED"
	RunFinished  RunStatus = "FINISHED"
	RunFailed    RunStatus = "FAILED"
	RunKilled    RunStatus = "KILLED"
)

// ParseRunStatus returns the status named s (exact, upper-case names as on
// the wire) and whether s names one.
func ParseRunStatus(s string) (RunStatus, bool) {
	switch st := RunStatus(s); st {
	case RunRunning, RunScheduled, RunFinished, RunFailed, RunKilled:
		return st, true
	}
	return "", false
}

// ViewType selects active entities, deleted ones or both.
type ViewType int

// View types; the zero value is ViewActiveOnly.
const (
	ViewActiveOnly ViewType = iota
	ViewDeletedOnly
	ViewAll
)

// ParseViewType reads ACTIVE_ONLY, DELETED_ONLY or ALL ("" means ACTIVE_ONLY).
func ParseViewType(s string) (ViewType, error) {
	switch strings.ToUpper(s) {
	case "", "ACTIVE_ONLY", "1":
		return ViewActiveOnly, nil
	case "DELETED_ONLY", "2":
		return ViewDeletedOnly, nil
	case "ALL", "3":
		return ViewAll, nil
	}
	return 0, InvalidParameter("Invalid view type '%s'. Value must be one of ACTIVE_ONLY, DELETED_ONLY, ALL.", s)
}

// Lifecycles returns the lifecycle stages the view type selects.
func (v ViewType) Lifecycles() []string {
	switch v {
	case ViewDeletedOnly:
		return []string{LifecycleDeleted}
	case ViewAll:
		return []string{LifecycleActive, LifecycleDeleted}
	}
	return []string{LifecycleActive}
}

// Model version stages.
const (
	StageNone       = "None"
	StageStaging    = "Staging"
	StageProduction = "Production"
	StageArchived   = "Archived"
)

// AllStages lists the model version stages in MLflow's order.
var AllStages = []string{StageNone, StageStaging, StageProduction, StageArchived}

// CanonicalStage returns the stage named s, compared case-insensitively, or
// an INVALID_PARAMETER_VALUE error with MLflow's message.
func CanonicalStage(s string) (string, error) {
	for _, st := range AllStages {
		if strings.EqualFold(s, st) {
			return st, nil
		}
	}
	return "", InvalidParameter("Invalid Model Version stage: %s. Value must be one of %s.", s, strings.Join(AllStages, ", "))
}
