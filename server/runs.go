package server

import (
	"encoding/json"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/tracking"
	"github.com/berthml/berth/tracking/search"
)

// loggedModelsTag is the run tag where runs/log-model appends each logged
// model's MLmodel, as MLflow does.
const loggedModelsTag = "mlflow.log-model.history"

// Search defaults, as in MLflow's protos.
const (
	defaultRunResults             = 1000
	defaultRegisteredModelResults = 100
	defaultModelVersionResults    = 10000
)

func (s *Server) createRun(c *gin.Context) (any, error) {
	var req mlflowrest.CreateRunRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	run, err := s.store.CreateRun(c.Request.Context(), tracking.CreateRun{
		ExperimentID: req.ExperimentID,
		UserID:       req.UserID,
		RunName:      req.RunName,
		StartTime:    int64(req.StartTime),
		Tags:         tagsOf(req.Tags),
	})
	if err != nil {
		return nil, err
	}
	// MLflow 3 answers runs/create with an empty "inputs" object too.
	return mlflowrest.RunResponse{Run: toRun(run, true)}, nil
}

func (s *Server) getRun(c *gin.Context) (any, error) {
	var req mlflowrest.GetRunRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	id := mlflowrest.RunIDOf(req.RunID, req.RunUUID)
	run, err := s.store.GetRun(c.Request.Context(), id)
	if err != nil {
		return nil, err
	}
	out := toRun(run, true)
	if err := s.runModels(c, &out); err != nil {
		return nil, err
	}
	return mlflowrest.RunResponse{Run: out}, nil
}

// updateRun ignores an unknown status name, as MLflow does.
func (s *Server) updateRun(c *gin.Context) (any, error) {
	var req mlflowrest.UpdateRunRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	id := mlflowrest.RunIDOf(req.RunID, req.RunUUID)
	u := tracking.RunUpdate{RunName: req.RunName}
	if st, ok := tracking.ParseRunStatus(req.Status); ok {
		u.Status = st
	}
	if req.EndTime != nil {
		end := int64(*req.EndTime)
		u.EndTime = &end
	}
	info, err := s.store.UpdateRun(c.Request.Context(), id, u)
	if err != nil {
		return nil, err
	}
	return mlflowrest.UpdateRunResponse{RunInfo: toRunInfo(info)}, nil
}

func (s *Server) deleteRun(c *gin.Context) (any, error) {
	var req mlflowrest.RunIDRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	return nil, s.store.DeleteRun(c.Request.Context(), req.RunID)
}

func (s *Server) restoreRun(c *gin.Context) (any, error) {
	var req mlflowrest.RunIDRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	return nil, s.store.RestoreRun(c.Request.Context(), req.RunID)
}

func (s *Server) logMetric(c *gin.Context) (any, error) {
	var req mlflowrest.LogMetricRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	id := mlflowrest.RunIDOf(req.RunID, req.RunUUID)
	m := tracking.Metric{Key: req.Key, Value: float64(*req.Value), Timestamp: int64(*req.Timestamp), Step: int64(req.Step)}
	// MLflow 3: a model_id logs the value on that logged model too.
	onModel := []mlflowrest.Metric{{Key: req.Key, Value: *req.Value, Timestamp: *req.Timestamp,
		Step: req.Step, ModelID: req.ModelID, DatasetName: req.DatasetName, DatasetDigest: req.DatasetDigest}}
	if err := s.checkMetricModels(c, onModel); err != nil {
		return nil, err
	}
	if err := s.store.LogMetric(c.Request.Context(), id, m); err != nil {
		return nil, err
	}
	return nil, s.logModelMetrics(c, id, onModel)
}

// logParam logs a param; a missing value is logged as "", as MLflow does.
func (s *Server) logParam(c *gin.Context) (any, error) {
	var req mlflowrest.LogParamRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	id := mlflowrest.RunIDOf(req.RunID, req.RunUUID)
	return nil, s.store.LogParam(c.Request.Context(), id, tracking.Param{Key: req.Key, Value: req.Value})
}

func (s *Server) setTag(c *gin.Context) (any, error) {
	var req mlflowrest.SetTagRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	id := mlflowrest.RunIDOf(req.RunID, req.RunUUID)
	return nil, s.store.SetTag(c.Request.Context(), id, tracking.Tag{Key: req.Key, Value: req.Value})
}

func (s *Server) deleteTag(c *gin.Context) (any, error) {
	var req mlflowrest.DeleteTagRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	return nil, s.store.DeleteTag(c.Request.Context(), req.RunID, req.Key)
}

func (s *Server) logBatch(c *gin.Context) (any, error) {
	var req mlflowrest.LogBatchRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	metrics := make([]tracking.Metric, len(req.Metrics))
	for i, m := range req.Metrics {
		metrics[i] = fromMetric(m)
	}
	params := make([]tracking.Param, len(req.Params))
	for i, p := range req.Params {
		params[i] = tracking.Param{Key: p.Key, Value: p.Value}
	}
	if err := s.checkMetricModels(c, req.Metrics); err != nil {
		return nil, err
	}
	if err := s.store.LogBatch(c.Request.Context(), req.RunID, metrics, params, tagsOf(req.Tags)); err != nil {
		return nil, err
	}
	return nil, s.logModelMetrics(c, req.RunID, req.Metrics)
}

// logModel appends the model's MLmodel (as JSON) to the run's
// mlflow.log-model.history tag.
func (s *Server) logModel(c *gin.Context) (any, error) {
	var req mlflowrest.LogModelRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	var model map[string]any
	if err := json.Unmarshal([]byte(req.ModelJSON), &model); err != nil {
		return nil, invalidParam("Invalid value for parameter 'model_json' supplied: it must be a JSON object: %v", err)
	}
	// Append to the JSON list as text, keeping each entry as the client
	// wrote it (Python's json.dumps spacing), as MLflow does; the store
	// makes the read and the write one step.
	return nil, s.store.UpdateTag(c.Request.Context(), req.RunID, loggedModelsTag, func(old string, ok bool) (string, error) {
		value := "[" + req.ModelJSON + "]"
		var prev []json.RawMessage
		if ok && json.Unmarshal([]byte(old), &prev) == nil && len(prev) > 0 {
			v := strings.TrimSpace(old)
			value = v[:len(v)-1] + ", " + req.ModelJSON + "]"
		}
		if len(value) > tracking.MaxTagValueLength {
			return "", invalidParam("The history of models logged to run %s would exceed %d characters.", req.RunID, tracking.MaxTagValueLength)
		}
		return value, nil
	})
}

func (s *Server) logInputs(c *gin.Context) (any, error) {
	var req mlflowrest.LogInputsRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	inputs := make([]tracking.DatasetInput, len(req.Datasets))
	for i, d := range req.Datasets {
		inputs[i] = fromDatasetInput(d)
	}
	ms := make([]mlflowrest.Metric, len(req.Models))
	for i, m := range req.Models {
		ms[i].ModelID = m.ModelID
	}
	if err := s.checkMetricModels(c, ms); err != nil {
		return nil, err
	}
	if len(inputs) > 0 || len(req.Models) == 0 {
		if err := s.store.LogInputs(c.Request.Context(), req.RunID, inputs); err != nil {
			return nil, err
		}
	}
	return nil, s.logModelInputs(c, req.RunID, req.Models)
}

func (s *Server) searchRuns(c *gin.Context) (any, error) {
	var req mlflowrest.SearchRunsRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	n, err := maxResults(req.MaxResults, defaultRunResults, tracking.MaxRunResults)
	if err != nil {
		return nil, err
	}
	q := tracking.RunQuery{ExperimentIDs: req.ExperimentIDs, MaxResults: n, PageToken: req.PageToken}
	if q.ViewType, err = tracking.ParseViewType(req.RunViewType); err != nil {
		return nil, err
	}
	if req.Filter != "" {
		f, err := search.ParseRunFilter(req.Filter)
		if err != nil {
			return nil, err
		}
		q.Filter = *f
	}
	if q.OrderBy, err = search.ParseRunOrderBy(req.OrderBy); err != nil {
		return nil, err
	}
	page, err := s.store.SearchRuns(c.Request.Context(), q)
	if err != nil {
		return nil, err
	}
	resp := mlflowrest.SearchRunsResponse{NextPageToken: page.NextPageToken}
	ptrs := make([]*mlflowrest.Run, len(page.Runs))
	for i := range page.Runs {
		resp.Runs = append(resp.Runs, toRun(&page.Runs[i], true))
	}
	for i := range resp.Runs {
		ptrs[i] = &resp.Runs[i]
	}
	if err := s.runModels(c, ptrs...); err != nil {
		return nil, err
	}
	return resp, nil
}

// getMetricHistory answers every value of the metric in one page; an
// unknown key gives {}.
func (s *Server) getMetricHistory(c *gin.Context) (any, error) {
	var req mlflowrest.GetMetricHistoryRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	id := mlflowrest.RunIDOf(req.RunID, req.RunUUID)
	ms, err := s.store.GetMetricHistory(c.Request.Context(), id, req.MetricKey)
	if err != nil {
		return nil, err
	}
	var resp mlflowrest.GetMetricHistoryResponse
	for _, m := range ms {
		resp.Metrics = append(resp.Metrics, toMetric(m))
	}
	return resp, nil
}
