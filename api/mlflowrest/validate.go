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

// A request type whose proto marks fields as required has a Validate method
// that reports the first one missing, in the order MLflow checks them. The
// request types without one (CreateRunRequest and the searches) have no
// required field: their limits, such as max_results, belong to the store.

// Validate reports a missing name.
func (r CreateExperimentRequest) Validate() error {
	if r.Name == "" {
		return missing("name")
	}
	return nil
}

// Validate reports a missing experiment_id.
func (r GetExperimentRequest) Validate() error {
	if r.ExperimentID == "" {
		return missing("experiment_id")
	}
	return nil
}

// Validate reports a missing experiment_name.
func (r GetExperimentByNameRequest) Validate() error {
	if r.ExperimentName == "" {
		return missing("experiment_name")
	}
	return nil
}

// Validate reports a missing experiment_id.
func (r ExperimentIDRequest) Validate() error {
	if r.ExperimentID == "" {
		return missing("experiment_id")
	}
	return nil
}

// Validate reports a missing experiment_id or new_name.
func (r UpdateExperimentRequest) Validate() error {
	switch {
	case r.ExperimentID == "":
		return missing("experiment_id")
	case r.NewName == "":
		return missing("new_name")
	}
	return nil
}

// Validate reports a missing experiment_id or key.
func (r SetExperimentTagRequest) Validate() error {
	switch {
	case r.ExperimentID == "":
		return missing("experiment_id")
	case r.Key == "":
		return missing("key")
	}
	return nil
}

// Validate reports a missing experiment_id or key.
func (r DeleteExperimentTagRequest) Validate() error {
	switch {
	case r.ExperimentID == "":
		return missing("experiment_id")
	case r.Key == "":
		return missing("key")
	}
	return nil
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
	if RunIDOf(r.RunID, r.RunUUID) == "" {
		return missing("run_id")
	}
	return nil
}

// Validate reports a run given by neither run_id nor run_uuid.
func (r UpdateRunRequest) Validate() error {
	if RunIDOf(r.RunID, r.RunUUID) == "" {
		return missing("run_id")
	}
	return nil
}

// Validate reports a missing run_id.
func (r RunIDRequest) Validate() error {
	if r.RunID == "" {
		return missing("run_id")
	}
	return nil
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
	switch {
	case RunIDOf(r.RunID, r.RunUUID) == "":
		return missing("run_id")
	case r.Key == "":
		return missing("key")
	}
	return nil
}

// Validate reports a missing run (run_id or run_uuid) or key.
func (r SetTagRequest) Validate() error {
	switch {
	case RunIDOf(r.RunID, r.RunUUID) == "":
		return missing("run_id")
	case r.Key == "":
		return missing("key")
	}
	return nil
}

// Validate reports a missing run_id or key.
func (r DeleteTagRequest) Validate() error {
	switch {
	case r.RunID == "":
		return missing("run_id")
	case r.Key == "":
		return missing("key")
	}
	return nil
}

// Validate reports a missing run_id.
func (r LogBatchRequest) Validate() error {
	if r.RunID == "" {
		return missing("run_id")
	}
	return nil
}

// Validate reports a missing run_id or model_json.
func (r LogModelRequest) Validate() error {
	switch {
	case r.RunID == "":
		return missing("run_id")
	case r.ModelJSON == "":
		return missing("model_json")
	}
	return nil
}

// Validate reports a missing run_id.
func (r LogInputsRequest) Validate() error {
	if r.RunID == "" {
		return missing("run_id")
	}
	return nil
}

// Validate reports a missing run (run_id or run_uuid) or metric_key.
func (r GetMetricHistoryRequest) Validate() error {
	switch {
	case RunIDOf(r.RunID, r.RunUUID) == "":
		return missing("run_id")
	case r.MetricKey == "":
		return missing("metric_key")
	}
	return nil
}

// Validate reports a missing name.
func (r CreateRegisteredModelRequest) Validate() error {
	if r.Name == "" {
		return missing("name")
	}
	return nil
}

// Validate reports a missing name or new_name.
func (r RenameRegisteredModelRequest) Validate() error {
	switch {
	case r.Name == "":
		return missing("name")
	case r.NewName == "":
		return missing("new_name")
	}
	return nil
}

// Validate reports a missing name.
func (r UpdateRegisteredModelRequest) Validate() error {
	if r.Name == "" {
		return missing("name")
	}
	return nil
}

// Validate reports a missing name.
func (r RegisteredModelNameRequest) Validate() error {
	if r.Name == "" {
		return missing("name")
	}
	return nil
}

// Validate reports a missing name.
func (r GetLatestVersionsRequest) Validate() error {
	if r.Name == "" {
		return missing("name")
	}
	return nil
}

// Validate reports a missing name or key.
func (r SetRegisteredModelTagRequest) Validate() error {
	switch {
	case r.Name == "":
		return missing("name")
	case r.Key == "":
		return missing("key")
	}
	return nil
}

// Validate reports a missing name or key.
func (r DeleteRegisteredModelTagRequest) Validate() error {
	switch {
	case r.Name == "":
		return missing("name")
	case r.Key == "":
		return missing("key")
	}
	return nil
}

// Validate reports a missing name, alias or version.
func (r SetRegisteredModelAliasRequest) Validate() error {
	switch {
	case r.Name == "":
		return missing("name")
	case r.Alias == "":
		return missing("alias")
	case r.Version == "":
		return missing("version")
	}
	return nil
}

// Validate reports a missing name or alias.
func (r RegisteredModelAliasRequest) Validate() error {
	switch {
	case r.Name == "":
		return missing("name")
	case r.Alias == "":
		return missing("alias")
	}
	return nil
}

// Validate reports a missing name or source.
func (r CreateModelVersionRequest) Validate() error {
	switch {
	case r.Name == "":
		return missing("name")
	case r.Source == "":
		return missing("source")
	}
	return nil
}

// Validate reports a missing name or version.
func (r ModelVersionRequest) Validate() error {
	switch {
	case r.Name == "":
		return missing("name")
	case r.Version == "":
		return missing("version")
	}
	return nil
}

// Validate reports a missing name or version.
func (r UpdateModelVersionRequest) Validate() error {
	switch {
	case r.Name == "":
		return missing("name")
	case r.Version == "":
		return missing("version")
	}
	return nil
}

// Validate reports a missing name, version or stage.
func (r TransitionModelVersionStageRequest) Validate() error {
	switch {
	case r.Name == "":
		return missing("name")
	case r.Version == "":
		return missing("version")
	case r.Stage == "":
		return missing("stage")
	}
	return nil
}

// Validate reports a missing name, version or key.
func (r SetModelVersionTagRequest) Validate() error {
	switch {
	case r.Name == "":
		return missing("name")
	case r.Version == "":
		return missing("version")
	case r.Key == "":
		return missing("key")
	}
	return nil
}

// Validate reports a missing name, version or key.
func (r DeleteModelVersionTagRequest) Validate() error {
	switch {
	case r.Name == "":
		return missing("name")
	case r.Version == "":
		return missing("version")
	case r.Key == "":
		return missing("key")
	}
	return nil
}
