package tracking

import "encoding/json"

// EvalDataset is an MLflow 3 evaluation dataset (mlflow.genai.datasets):
// a named set of records, each of inputs and, optionally, expectations and
// outputs, linked to experiments.
type EvalDataset struct {
	ID             string // "d-" + 32 hex digits
	Name           string
	Tags           map[string]string
	Schema         string // JSON, may be empty
	Profile        string // JSON: {"num_records": N}
	Digest         string
	CreatedTime    int64 // ms
	LastUpdateTime int64 // ms
	CreatedBy      string
	LastUpdatedBy  string
	ExperimentIDs  []string
}

// DatasetRecord is one record of an evaluation dataset. Inputs is a JSON
// object; Outputs, Expectations and Source are JSON or nil.
type DatasetRecord struct {
	ID             string // "dr-" + 32 hex digits
	DatasetID      string
	Inputs         json.RawMessage
	Outputs        json.RawMessage
	Expectations   json.RawMessage
	Tags           map[string]string
	Source         json.RawMessage
	SourceID       string
	SourceType     string // TRACE, HUMAN, DOCUMENT, CODE or ""
	CreatedTime    int64
	LastUpdateTime int64
	CreatedBy      string
	LastUpdatedBy  string
}

// DatasetUserTag is the tag whose value MLflow records as a dataset's
// creator.
const DatasetUserTag = "mlflow.user"
