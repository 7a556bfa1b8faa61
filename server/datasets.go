package server

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/tracking"
	"github.com/berthml/berth/tracking/search"
)

// datasetStore is what the evaluation-dataset routes need of the store;
// sqlstore has it.
type datasetStore interface {
	CreateDataset(ctx context.Context, d tracking.EvalDataset) (*tracking.EvalDataset, error)
	GetDataset(ctx context.Context, id string) (*tracking.EvalDataset, error)
	ListDatasets(ctx context.Context, experimentIDs []string) ([]tracking.EvalDataset, error)
	DeleteDataset(ctx context.Context, id string) error
	SetDatasetTags(ctx context.Context, id string, tags map[string]string) error
	DeleteDatasetTag(ctx context.Context, id, key string) error
	GetDatasetExperimentIDs(ctx context.Context, id string) ([]string, error)
	DeleteDatasetRecords(ctx context.Context, id string, recordIDs []string) (int, error)
	AddDatasetExperiments(ctx context.Context, id string, exps []string) (*tracking.EvalDataset, error)
	RemoveDatasetExperiments(ctx context.Context, id string, exps []string) (*tracking.EvalDataset, error)
	UpsertDatasetRecords(ctx context.Context, id string, recs []tracking.DatasetRecord) (inserted, updated int, err error)
	GetDatasetRecords(ctx context.Context, id string, maxResults int, pageToken string) ([]tracking.DatasetRecord, string, error)
}

const (
	defaultDatasetResults = 1000 // MLflow's search_datasets default
	maxDatasetResults     = 1000
	defaultRecordResults  = 1000
	maxRecordResults      = 10000
)

func (s *Server) datasetStore() datasetStore {
	ds, _ := s.store.(datasetStore)
	return ds
}

func toDataset(d *tracking.EvalDataset) mlflowrest.EvaluationDataset {
	tags, _ := json.Marshal(d.Tags)
	if len(d.Tags) == 0 {
		tags = []byte("{}")
	}
	return mlflowrest.EvaluationDataset{DatasetID: d.ID, Name: d.Name, Tags: string(tags), Schema: d.Schema, Profile: d.Profile,
		Digest: d.Digest, CreatedTime: d.CreatedTime, LastUpdateTime: d.LastUpdateTime, CreatedBy: d.CreatedBy,
		LastUpdatedBy: d.LastUpdatedBy, ExperimentIDs: d.ExperimentIDs}
}

// parseTagsJSON reads the JSON object of string values that dataset
// requests carry as text.
func parseTagsJSON(param, text string) (map[string]string, error) {
	if text == "" {
		return nil, nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		return nil, invalidParam("Invalid value for '%s': a JSON object of string values is expected (%v)", param, err)
	}
	return m, nil
}

func (s *Server) createDataset(c *gin.Context) (any, error) {
	var req mlflowrest.CreateDatasetRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	tags, err := parseTagsJSON("tags", req.Tags)
	if err != nil {
		return nil, err
	}
	d, err := s.datasetStore().CreateDataset(c.Request.Context(), tracking.EvalDataset{Name: req.Name, Tags: tags, ExperimentIDs: req.ExperimentIDs})
	if err != nil {
		return nil, err
	}
	return mlflowrest.DatasetResponse{Dataset: toDataset(d)}, nil
}

func (s *Server) getDataset(c *gin.Context) (any, error) {
	d, err := s.datasetStore().GetDataset(c.Request.Context(), c.Param("dataset_id"))
	if err != nil {
		return nil, err
	}
	return mlflowrest.DatasetResponse{Dataset: toDataset(d)}, nil
}

func (s *Server) deleteDataset(c *gin.Context) (any, error) {
	return nil, s.datasetStore().DeleteDataset(c.Request.Context(), c.Param("dataset_id"))
}

// datasetOrderAttributes are the dataset fields order_by takes, by the
// names MLflow's dataset search uses; search.ParseExperimentOrderBy
// checks the clauses' grammar under the experiments' names.
var datasetOrderAttributes = map[string]string{"name": "name", "created_time": "creation_time", "last_update_time": "last_update_time"}

// searchDatasets filters the datasets of the experiments asked for (all
// when none) with MLflow's filter grammar for experiments (name, tags.<key>,
// creation_time, last_update_time) and orders them (default: newest
// first).
func (s *Server) searchDatasets(c *gin.Context) (any, error) {
	var req mlflowrest.SearchEvaluationDatasetsRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	n, err := maxResults(req.MaxResults, defaultDatasetResults, maxDatasetResults)
	if err != nil {
		return nil, err
	}
	offset, err := tracking.DecodePageToken(req.PageToken)
	if err != nil {
		return nil, err
	}
	filter, err := search.ParseExperimentFilter(req.FilterString)
	if err != nil {
		return nil, err
	}
	clauses := make([]string, len(req.OrderBy))
	for i, o := range req.OrderBy {
		field, rest, _ := strings.Cut(strings.TrimSpace(o), " ")
		if mapped, ok := datasetOrderAttributes[strings.TrimPrefix(field, "attribute.")]; ok {
			field = mapped
		} else {
			return nil, invalidParam("Invalid order_by field '%s' for datasets: use name, created_time or last_update_time", field)
		}
		clauses[i] = strings.TrimSpace(field + " " + rest)
	}
	order, err := search.ParseExperimentOrderBy(clauses)
	if err != nil {
		return nil, err
	}
	all, err := s.datasetStore().ListDatasets(c.Request.Context(), req.ExperimentIDs)
	if err != nil {
		return nil, err
	}
	var hits []tracking.EvalDataset
	for i := range all {
		d := &all[i]
		if search.Match(filter, func(kind, key string) (any, bool) { return datasetValue(d, kind, key) }) {
			hits = append(hits, *d)
		}
	}
	sortDatasets(hits, order)
	resp := mlflowrest.SearchEvaluationDatasetsResponse{}
	if offset > len(hits) {
		offset = len(hits)
	}
	page := hits[offset:]
	if len(page) > n {
		page = page[:n]
		resp.NextPageToken = tracking.EncodePageToken(offset + n)
	}
	for i := range page {
		resp.Datasets = append(resp.Datasets, toDataset(&page[i]))
	}
	return resp, nil
}

func datasetValue(d *tracking.EvalDataset, kind, key string) (any, bool) {
	switch kind {
	case tracking.KindTag:
		v, ok := d.Tags[key]
		return v, ok
	case tracking.KindAttribute:
		switch key {
		case "name":
			return d.Name, true
		case "creation_time":
			return d.CreatedTime, true
		case "last_update_time":
			return d.LastUpdateTime, true
		}
	}
	return nil, false
}

func sortDatasets(ds []tracking.EvalDataset, order []tracking.OrderBy) {
	if len(order) == 0 {
		order = []tracking.OrderBy{{Kind: tracking.KindAttribute, Key: "creation_time"}}
	}
	sort.SliceStable(ds, func(i, j int) bool {
		for _, o := range order {
			a, b := ds[i], ds[j]
			var c int
			switch o.Key {
			case "name":
				c = strings.Compare(a.Name, b.Name)
			case "creation_time":
				c = cmpInt(a.CreatedTime, b.CreatedTime)
			case "last_update_time":
				c = cmpInt(a.LastUpdateTime, b.LastUpdateTime)
			}
			if c != 0 {
				return (c < 0) == o.Asc
			}
		}
		return ds[i].ID < ds[j].ID
	})
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (s *Server) upsertDatasetRecords(c *gin.Context) (any, error) {
	var req mlflowrest.UpsertDatasetRecordsRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	recs, err := mlflowrest.ParseDatasetRecords(req.Records)
	if err != nil {
		var re *mlflowrest.RecordsError
		if errors.As(err, &re) {
			return nil, invalidParam("%s", re.Msg)
		}
		return nil, err
	}
	out := make([]tracking.DatasetRecord, len(recs))
	for i, r := range recs {
		out[i] = tracking.DatasetRecord{Inputs: r.Inputs, Outputs: r.Outputs, Expectations: r.Expectations, Tags: r.Tags,
			SourceID: r.SourceID, SourceType: r.SourceType}
		if r.Source != nil {
			out[i].Source, _ = json.Marshal(r.Source)
		}
	}
	ins, upd, err := s.datasetStore().UpsertDatasetRecords(c.Request.Context(), c.Param("dataset_id"), out)
	if err != nil {
		return nil, err
	}
	return mlflowrest.UpsertDatasetRecordsResponse{InsertedCount: ins, UpdatedCount: upd}, nil
}

func (s *Server) getDatasetRecords(c *gin.Context) (any, error) {
	var req mlflowrest.GetDatasetRecordsRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	n, err := maxResults(req.MaxResults, defaultRecordResults, maxRecordResults)
	if err != nil {
		return nil, err
	}
	recs, next, err := s.datasetStore().GetDatasetRecords(c.Request.Context(), c.Param("dataset_id"), n, req.PageToken)
	if err != nil {
		return nil, err
	}
	wire := make([]mlflowrest.DatasetRecord, len(recs))
	for i, r := range recs {
		w := mlflowrest.DatasetRecord{DatasetRecordID: r.ID, DatasetID: r.DatasetID, Inputs: r.Inputs, Outputs: r.Outputs,
			Expectations: r.Expectations, Tags: r.Tags, SourceID: r.SourceID, SourceType: r.SourceType,
			CreatedTime: r.CreatedTime, LastUpdateTime: r.LastUpdateTime, CreatedBy: r.CreatedBy, LastUpdatedBy: r.LastUpdatedBy}
		if w.Tags == nil {
			w.Tags = map[string]string{}
		}
		if len(r.Source) > 0 {
			var src mlflowrest.DatasetRecordSource
			if json.Unmarshal(r.Source, &src) == nil {
				w.Source = &src
			}
		}
		wire[i] = w
	}
	b, err := json.Marshal(wire)
	if err != nil {
		return nil, err
	}
	return mlflowrest.GetDatasetRecordsResponse{Records: string(b), NextPageToken: next}, nil
}

func (s *Server) setDatasetTags(c *gin.Context) (any, error) {
	var req mlflowrest.SetDatasetTagsRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	tags, err := parseTagsJSON("tags", req.Tags)
	if err != nil {
		return nil, err
	}
	return nil, s.datasetStore().SetDatasetTags(c.Request.Context(), c.Param("dataset_id"), tags)
}

func (s *Server) deleteDatasetTag(c *gin.Context) (any, error) {
	return nil, s.datasetStore().DeleteDatasetTag(c.Request.Context(), c.Param("dataset_id"), c.Param("key"))
}

func (s *Server) getDatasetExperimentIDs(c *gin.Context) (any, error) {
	ids, err := s.datasetStore().GetDatasetExperimentIDs(c.Request.Context(), c.Param("dataset_id"))
	if err != nil {
		return nil, err
	}
	return mlflowrest.GetDatasetExperimentIDsResponse{ExperimentIDs: ids}, nil
}

// addDatasetExperiments links the path's dataset to more experiments.
func (s *Server) addDatasetExperiments(c *gin.Context) (any, error) {
	return s.changeDatasetExperiments(c, s.datasetStore().AddDatasetExperiments)
}

// removeDatasetExperiments unlinks the path's dataset from experiments.
func (s *Server) removeDatasetExperiments(c *gin.Context) (any, error) {
	return s.changeDatasetExperiments(c, s.datasetStore().RemoveDatasetExperiments)
}

func (s *Server) changeDatasetExperiments(c *gin.Context,
	change func(ctx context.Context, id string, exps []string) (*tracking.EvalDataset, error)) (any, error) {
	var req mlflowrest.DatasetExperimentsRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	id := c.Param("dataset_id")
	if req.DatasetID != "" && req.DatasetID != id {
		return nil, invalidParam("Invalid value '%s' for parameter 'dataset_id': the path names dataset '%s'.", req.DatasetID, id)
	}
	d, err := change(c.Request.Context(), id, req.ExperimentIDs)
	if err != nil {
		return nil, err
	}
	return mlflowrest.DatasetResponse{Dataset: toDataset(d)}, nil
}

// deleteDatasetRecords deletes records of the path's dataset.
func (s *Server) deleteDatasetRecords(c *gin.Context) (any, error) {
	var req mlflowrest.DeleteDatasetRecordsRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	id := c.Param("dataset_id")
	if req.DatasetID != "" && req.DatasetID != id {
		return nil, invalidParam("Invalid value '%s' for parameter 'dataset_id': the path names dataset '%s'.", req.DatasetID, id)
	}
	n, err := s.datasetStore().DeleteDatasetRecords(c.Request.Context(), id, req.DatasetRecordIDs)
	if err != nil {
		return nil, err
	}
	return mlflowrest.DeleteDatasetRecordsResponse{DeletedCount: n}, nil
}
