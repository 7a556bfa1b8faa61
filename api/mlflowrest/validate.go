package mlflowrest

import "fmt"

// MissingParamError is a required request parameter that is absent or
// empty, as a request's Validate finds it. Param is its name on the wire;
// the message is MLflow's own, so a server can answer it unchanged as
// INVALID_PARAMETER_VALUE.
type MissingParamError struct {
	Param string
}

// Error implements error with MLflow's message.
func (e *MissingParamError) Error() string {
	return fmt.Sprintf("Missing value for required parameter '%s'. See the API docs for more information about request parameters.", e.Param)
}

func missing(param string) error { return &MissingParamError{Param: param} }

// field is a required string parameter: its name on the wire and its value.
type field struct{ name, value string }

// firstMissing reports the first of fields whose value is empty.
func firstMissing(fields ...field) error {
	for _, f := range fields {
		if f.value == "" {
			return missing(f.name)
		}
	}
	return nil
}

// A request type whose proto marks fields as required has a Validate method
// that reports the first one missing, in the order MLflow checks them. The
// request types without one (CreateRunRequest and the searches) have no
// required field: their limits, such as max_results, belong to the store.

// Validate reports a missing name.
func (r CreateExperimentRequest) Validate() error {
	return firstMissing(field{"name", r.Name})
}

// Validate reports a missing experiment_id.
func (r GetExperimentRequest) Validate() error {
	return firstMissing(field{"experiment_id", r.ExperimentID})
}

// Validate reports a missing experiment_name.
func (r GetExperimentByNameRequest) Validate() error {
	return firstMissing(field{"experiment_name", r.ExperimentName})
}

// Validate reports a missing experiment_id.
func (r ExperimentIDRequest) Validate() error {
	return firstMissing(field{"experiment_id", r.ExperimentID})
}

// Validate reports a missing experiment_id or new_name.
func (r UpdateExperimentRequest) Validate() error {
	return firstMissing(field{"experiment_id", r.ExperimentID}, field{"new_name", r.NewName})
}

// Validate reports a missing experiment_id or key.
func (r SetExperimentTagRequest) Validate() error {
	return firstMissing(field{"experiment_id", r.ExperimentID}, field{"key", r.Key})
}

// Validate reports a missing experiment_id or key.
func (r DeleteExperimentTagRequest) Validate() error {
	return firstMissing(field{"experiment_id", r.ExperimentID}, field{"key", r.Key})
}

// RunIDOf returns a request's run id: run_id, or the deprecated run_uuid
// when run_id is empty (MLflow's client sends both).
func RunIDOf(runID, runUUID string) string {
	if runID == "" {
		return runUUID
	}
	return runID
}

// Validate reports a run given by neither run_id nor run_uuid.
func (r GetRunRequest) Validate() error {
	return firstMissing(field{"run_id", RunIDOf(r.RunID, r.RunUUID)})
}

// Validate reports a run given by neither run_id nor run_uuid.
func (r UpdateRunRequest) Validate() error {
	return firstMissing(field{"run_id", RunIDOf(r.RunID, r.RunUUID)})
}

// Validate reports a missing run_id.
func (r RunIDRequest) Validate() error {
	return firstMissing(field{"run_id", r.RunID})
}

// Validate reports a missing run (run_id or run_uuid), key, value or
// timestamp. A missing step is 0.
func (r LogMetricRequest) Validate() error {
	switch {
	case RunIDOf(r.RunID, r.RunUUID) == "":
		return missing("run_id")
	case r.Key == "":
		return missing("key")
	case r.Value == nil:
		return missing("value")
	case r.Timestamp == nil:
		return missing("timestamp")
	}
	return nil
}

// Validate reports a missing run (run_id or run_uuid) or key. A missing
// value is logged as "".
func (r LogParamRequest) Validate() error {
	return firstMissing(field{"run_id", RunIDOf(r.RunID, r.RunUUID)}, field{"key", r.Key})
}

// Validate reports a missing run (run_id or run_uuid) or key.
func (r SetTagRequest) Validate() error {
	return firstMissing(field{"run_id", RunIDOf(r.RunID, r.RunUUID)}, field{"key", r.Key})
}

// Validate reports a missing run_id or key.
func (r DeleteTagRequest) Validate() error {
	return firstMissing(field{"run_id", r.RunID}, field{"key", r.Key})
}

// Validate reports a missing run_id.
func (r LogBatchRequest) Validate() error {
	return firstMissing(field{"run_id", r.RunID})
}

// Validate reports a missing run_id or model_json.
func (r LogModelRequest) Validate() error {
	return firstMissing(field{"run_id", r.RunID}, field{"model_json", r.ModelJSON})
}

// Validate reports a missing run_id.
func (r LogInputsRequest) Validate() error {
	return firstMissing(field{"run_id", r.RunID})
}

// Validate reports a missing run (run_id or run_uuid) or metric_key.
func (r GetMetricHistoryRequest) Validate() error {
	return firstMissing(field{"run_id", RunIDOf(r.RunID, r.RunUUID)}, field{"metric_key", r.MetricKey})
}

// Validate reports a missing name.
func (r CreateRegisteredModelRequest) Validate() error {
	return firstMissing(field{"name", r.Name})
}

// Validate reports a missing name or new_name.
func (r RenameRegisteredModelRequest) Validate() error {
	return firstMissing(field{"name", r.Name}, field{"new_name", r.NewName})
}

// Validate reports a missing name.
func (r UpdateRegisteredModelRequest) Validate() error {
	return firstMissing(field{"name", r.Name})
}

// Validate reports a missing name.
func (r RegisteredModelNameRequest) Validate() error {
	return firstMissing(field{"name", r.Name})
}

// Validate reports a missing name.
func (r GetLatestVersionsRequest) Validate() error {
	return firstMissing(field{"name", r.Name})
}

// Validate reports a missing name or key.
func (r SetRegisteredModelTagRequest) Validate() error {
	return firstMissing(field{"name", r.Name}, field{"key", r.Key})
}

// Validate reports a missing name or key.
func (r DeleteRegisteredModelTagRequest) Validate() error {
	return firstMissing(field{"name", r.Name}, field{"key", r.Key})
}

// Validate reports a missing name, alias or version.
func (r SetRegisteredModelAliasRequest) Validate() error {
	return firstMissing(field{"name", r.Name}, field{"alias", r.Alias}, field{"version", r.Version})
}

// Validate reports a missing name or alias.
func (r RegisteredModelAliasRequest) Validate() error {
	return firstMissing(field{"name", r.Name}, field{"alias", r.Alias})
}

// Validate reports a missing name or source.
func (r CreateModelVersionRequest) Validate() error {
	return firstMissing(field{"name", r.Name}, field{"source", r.Source})
}

// Validate reports a missing name or version.
func (r ModelVersionRequest) Validate() error {
	return firstMissing(field{"name", r.Name}, field{"version", r.Version})
}

// Validate reports a missing name or version.
func (r UpdateModelVersionRequest) Validate() error {
	return firstMissing(field{"name", r.Name}, field{"version", r.Version})
}

// Validate reports a missing name, version or stage.
func (r TransitionModelVersionStageRequest) Validate() error {
	return firstMissing(field{"name", r.Name}, field{"version", r.Version}, field{"stage", r.Stage})
}

// Validate reports a missing name, version or key.
func (r SetModelVersionTagRequest) Validate() error {
	return firstMissing(field{"name", r.Name}, field{"version", r.Version}, field{"key", r.Key})
}

// Validate reports a missing name, version or key.
func (r DeleteModelVersionTagRequest) Validate() error {
	return firstMissing(field{"name", r.Name}, field{"version", r.Version}, field{"key", r.Key})
}
