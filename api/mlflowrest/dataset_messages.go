package mlflowrest

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// MLflow 3's evaluation datasets (datasets.proto), under
// /api/3.0/mlflow/datasets. Tags, records and their parts travel as JSON
// text inside the JSON messages, as MLflow sends them.

// EvaluationDataset is a dataset as the server answers it. Tags, Schema and
// Profile are JSON text.
type EvaluationDataset struct {
	DatasetID      string   `json:"dataset_id"`
	Name           string   `json:"name"`
	Tags           string   `json:"tags,omitempty"`
	Schema         string   `json:"schema,omitempty"`
	Profile        string   `json:"profile,omitempty"`
	Digest         string   `json:"digest,omitempty"`
	CreatedTime    int64    `json:"created_time"`
	LastUpdateTime int64    `json:"last_update_time"`
	CreatedBy      string   `json:"created_by,omitempty"`
	LastUpdatedBy  string   `json:"last_updated_by,omitempty"`
	ExperimentIDs  []string `json:"experiment_ids,omitempty"`
}

// CreateDatasetRequest is the body of POST /datasets/create; Tags is a JSON
// object as text.
type CreateDatasetRequest struct {
	Name          string   `json:"name"`
	ExperimentIDs []string `json:"experiment_ids,omitempty"`
	Tags          string   `json:"tags,omitempty"`
}

// Validate reports a missing name.
func (r CreateDatasetRequest) Validate() error {
	if r.Name == "" {
		return missing("name")
	}
	return nil
}

// DatasetResponse answers create and get.
type DatasetResponse struct {
	Dataset EvaluationDataset `json:"dataset"`
}

// SearchEvaluationDatasetsRequest is the body of POST /datasets/search.
type SearchEvaluationDatasetsRequest struct {
	ExperimentIDs []string `json:"experiment_ids,omitempty"`
	FilterString  string   `json:"filter_string,omitempty"`
	MaxResults    Int64    `json:"max_results,omitempty"`
	OrderBy       []string `json:"order_by,omitempty"`
	PageToken     string   `json:"page_token,omitempty"`
}

// SearchEvaluationDatasetsResponse answers POST /datasets/search.
type SearchEvaluationDatasetsResponse struct {
	Datasets      []EvaluationDataset `json:"datasets,omitempty"`
	NextPageToken string              `json:"next_page_token,omitempty"`
}

// UpsertDatasetRecordsRequest is the body of POST /datasets/{id}/records:
// Records is a JSON list of record objects as text.
type UpsertDatasetRecordsRequest struct {
	Records string `json:"records"`
}

// Validate reports missing records.
func (r UpsertDatasetRecordsRequest) Validate() error {
	if r.Records == "" {
		return missing("records")
	}
	return nil
}

// UpsertDatasetRecordsResponse answers POST /datasets/{id}/records.
type UpsertDatasetRecordsResponse struct {
	InsertedCount int `json:"inserted_count"`
	UpdatedCount  int `json:"updated_count"`
}

// GetDatasetRecordsRequest is the query of GET /datasets/{id}/records.
type GetDatasetRecordsRequest struct {
	MaxResults Int64  `json:"max_results,omitempty"`
	PageToken  string `json:"page_token,omitempty"`
}

// GetDatasetRecordsResponse answers GET /datasets/{id}/records: Records is
// a JSON list of DatasetRecord as text.
type GetDatasetRecordsResponse struct {
	Records       string `json:"records,omitempty"`
	NextPageToken string `json:"next_page_token,omitempty"`
}

// SetDatasetTagsRequest is the body of PATCH /datasets/{id}/tags: Tags is
// a JSON object as text, merged into the dataset's tags.
type SetDatasetTagsRequest struct {
	Tags string `json:"tags"`
}

// Validate reports missing tags.
func (r SetDatasetTagsRequest) Validate() error {
	if r.Tags == "" {
		return missing("tags")
	}
	return nil
}

// DatasetExperimentsRequest is the body of POST
// /datasets/{id}/add-experiments and /datasets/{id}/remove-experiments
// (MLflow's AddDatasetToExperiments and RemoveDatasetFromExperiments): the
// experiments to link the dataset to, or to unlink it from. The path names
// the dataset; DatasetID, when sent, must agree with it.
type DatasetExperimentsRequest struct {
	DatasetID     string   `json:"dataset_id,omitempty"`
	ExperimentIDs []string `json:"experiment_ids"`
}

// Validate reports a missing experiment_ids.
func (r DatasetExperimentsRequest) Validate() error {
	if len(r.ExperimentIDs) == 0 {
		return missing("experiment_ids")
	}
	return nil
}

// DeleteDatasetRecordsRequest is the body of DELETE /datasets/{id}/records
// (MLflow's DeleteDatasetRecords): the records to delete. The path names
// the dataset; DatasetID, when sent, must agree with it.
type DeleteDatasetRecordsRequest struct {
	DatasetID        string   `json:"dataset_id,omitempty"`
	DatasetRecordIDs []string `json:"dataset_record_ids"`
}

// Validate reports a missing dataset_record_ids.
func (r DeleteDatasetRecordsRequest) Validate() error {
	if len(r.DatasetRecordIDs) == 0 {
		return missing("dataset_record_ids")
	}
	return nil
}

// DeleteDatasetRecordsResponse answers DELETE /datasets/{id}/records: how
// many of the named records the dataset had.
type DeleteDatasetRecordsResponse struct {
	DeletedCount int `json:"deleted_count"`
}

// GetDatasetExperimentIDsResponse answers GET /datasets/{id}/experiment-ids.
type GetDatasetExperimentIDsResponse struct {
	ExperimentIDs []string `json:"experiment_ids,omitempty"`
}

// DatasetRecordSource is where a record came from.
type DatasetRecordSource struct {
	SourceType string          `json:"source_type"`
	SourceData json.RawMessage `json:"source_data,omitempty"`
}

// DatasetRecord is one record, in a records list: as the client sends it
// (Inputs required, the rest optional) and as the server answers it (with
// its ids and times).
type DatasetRecord struct {
	DatasetRecordID string               `json:"dataset_record_id,omitempty"`
	DatasetID       string               `json:"dataset_id,omitempty"`
	Inputs          json.RawMessage      `json:"inputs"`
	Outputs         json.RawMessage      `json:"outputs,omitempty"`
	Expectations    json.RawMessage      `json:"expectations,omitempty"`
	Tags            map[string]string    `json:"tags,omitempty"`
	Source          *DatasetRecordSource `json:"source,omitempty"`
	SourceID        string               `json:"source_id,omitempty"`
	SourceType      string               `json:"source_type,omitempty"`
	CreatedTime     int64                `json:"created_time,omitempty"`
	LastUpdateTime  int64                `json:"last_update_time,omitempty"`
	CreatedBy       string               `json:"created_by,omitempty"`
	LastUpdatedBy   string               `json:"last_updated_by,omitempty"`
}

// recordSourceTypes are DatasetRecordSource.SourceType's names.
var recordSourceTypes = map[string]bool{"TRACE": true, "HUMAN": true, "DOCUMENT": true, "CODE": true}

// ParseDatasetRecords reads the records of an upsert: a JSON list of
// objects, each with "inputs" a JSON object; "expectations", when present,
// an object too; "tags" string values; a "source" with a known
// source_type. The source id is taken from the source's data as MLflow
// takes it (trace_id for a TRACE source, else source_id). A problem is a
// *RecordsError naming the record.
func ParseDatasetRecords(text string) ([]DatasetRecord, error) {
	var recs []DatasetRecord
	if err := json.Unmarshal([]byte(text), &recs); err != nil {
		return nil, &RecordsError{Msg: fmt.Sprintf("Invalid value for 'records': a JSON list of record objects is expected (%v)", err)}
	}
	for i := range recs {
		r := &recs[i]
		if !isObject(r.Inputs) {
			return nil, &RecordsError{Msg: fmt.Sprintf("Record %d: 'inputs' must be a JSON object", i)}
		}
		if len(r.Expectations) > 0 && !isNull(r.Expectations) && !isObject(r.Expectations) {
			return nil, &RecordsError{Msg: fmt.Sprintf("Record %d: 'expectations' must be a JSON object", i)}
		}
		if r.Source != nil {
			if !recordSourceTypes[r.Source.SourceType] {
				return nil, &RecordsError{Msg: fmt.Sprintf("Record %d: unknown source_type %q; want TRACE, HUMAN, DOCUMENT or CODE", i, r.Source.SourceType)}
			}
			var data map[string]any
			if len(r.Source.SourceData) > 0 && !isNull(r.Source.SourceData) {
				if err := json.Unmarshal(r.Source.SourceData, &data); err != nil {
					return nil, &RecordsError{Msg: fmt.Sprintf("Record %d: 'source_data' must be a JSON object", i)}
				}
			}
			key := "source_id"
			if r.Source.SourceType == "TRACE" {
				key = "trace_id"
			}
			if id, ok := data[key].(string); ok && r.SourceID == "" {
				r.SourceID = id
			}
			r.SourceType = r.Source.SourceType
		}
	}
	return recs, nil
}

func isObject(b json.RawMessage) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{'
}

func isNull(b json.RawMessage) bool { return string(bytes.TrimSpace(b)) == "null" }

// RecordsError is a records list that breaks ParseDatasetRecords' rules: the
// client's mistake.
type RecordsError struct{ Msg string }

func (e *RecordsError) Error() string { return e.Msg }
