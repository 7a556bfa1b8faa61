package server

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/internal/pyvalue"
	"github.com/berthml/berth/tracking"
	"github.com/berthml/berth/tracking/search"
)

// MLflow 3's logged models: /api/2.0/mlflow/logged-models and the run,
// metric and registry routes that name them.

// defaultLoggedModelResults is SearchLoggedModels' default max_results.
const defaultLoggedModelResults = 100

// loggedModels returns the store's logged-model side.
func (s *Server) loggedModels() (tracking.LoggedModelStore, error) {
	lm, ok := s.store.(tracking.LoggedModelStore)
	if !ok {
		return nil, &routeError{http.StatusNotImplemented, "This server's store does not keep logged models."}
	}
	return lm, nil
}

func toLoggedModel(m *tracking.LoggedModel) mlflowrest.LoggedModel {
	out := mlflowrest.LoggedModel{Info: mlflowrest.LoggedModelInfo{
		ModelID:                m.ModelID,
		ExperimentID:           m.ExperimentID,
		Name:                   m.Name,
		CreationTimestampMS:    m.CreationTimestampMS,
		LastUpdatedTimestampMS: m.LastUpdatedTimestampMS,
		ArtifactURI:            m.ArtifactURI,
		Status:                 string(m.Status),
		StatusMessage:          m.StatusMessage,
		ModelType:              m.ModelType,
		SourceRunID:            m.SourceRunID,
	}}
	for _, t := range m.Tags {
		out.Info.Tags = append(out.Info.Tags, mlflowrest.LoggedModelTag{Key: t.Key, Value: t.Value})
	}
	for _, p := range m.Params {
		out.Data.Params = append(out.Data.Params, mlflowrest.LoggedModelParam{Key: p.Key, Value: p.Value})
	}
	for _, mm := range m.Metrics {
		out.Data.Metrics = append(out.Data.Metrics, mlflowrest.LoggedModelMetric{
			Key: mm.Key, Value: mlflowrest.Float64(mm.Value), Timestamp: mlflowrest.Int64(mm.Timestamp),
			Step: mlflowrest.Int64(mm.Step), DatasetName: mm.DatasetName, DatasetDigest: mm.DatasetDigest,
			ModelID: mm.ModelID, RunID: mm.RunID,
		})
	}
	return out
}

func paramsOf(ps []mlflowrest.LoggedModelParam) []tracking.Param {
	out := make([]tracking.Param, len(ps))
	for i, p := range ps {
		out[i] = tracking.Param{Key: p.Key, Value: p.Value}
	}
	return out
}

func modelTagsOf(ts []mlflowrest.LoggedModelTag) []tracking.Tag {
	out := make([]tracking.Tag, len(ts))
	for i, t := range ts {
		out[i] = tracking.Tag{Key: t.Key, Value: t.Value}
	}
	return out
}

func (s *Server) createLoggedModel(c *gin.Context) (any, error) {
	lm, err := s.loggedModels()
	if err != nil {
		return nil, err
	}
	var req mlflowrest.CreateLoggedModelRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	m, err := lm.CreateLoggedModel(c.Request.Context(), tracking.CreateLoggedModel{
		ExperimentID: req.ExperimentID, Name: req.Name, ModelType: req.ModelType, SourceRunID: req.SourceRunID,
		Params: paramsOf(req.Params), Tags: modelTagsOf(req.Tags),
	})
	if err != nil {
		return nil, err
	}
	return mlflowrest.LoggedModelResponse{Model: toLoggedModel(m)}, nil
}

func (s *Server) getLoggedModel(c *gin.Context) (any, error) {
	lm, err := s.loggedModels()
	if err != nil {
		return nil, err
	}
	m, err := lm.GetLoggedModel(c.Request.Context(), c.Param("model_id"))
	if err != nil {
		return nil, err
	}
	return mlflowrest.LoggedModelResponse{Model: toLoggedModel(m)}, nil
}

// finalizeLoggedModel is PATCH logged-models/{id}: it sets the status and
// answers the whole model.
func (s *Server) finalizeLoggedModel(c *gin.Context) (any, error) {
	lm, err := s.loggedModels()
	if err != nil {
		return nil, err
	}
	var req mlflowrest.FinalizeLoggedModelRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	st, ok := tracking.ParseLoggedModelStatus(req.Status)
	if !ok {
		return nil, invalidParam("Invalid value for parameter 'status' supplied: '%s'. Expected one of LOGGED_MODEL_PENDING, LOGGED_MODEL_READY, LOGGED_MODEL_UPLOAD_FAILED.", req.Status)
	}
	m, err := lm.FinalizeLoggedModel(c.Request.Context(), c.Param("model_id"), st)
	if err != nil {
		return nil, err
	}
	return mlflowrest.LoggedModelResponse{Model: toLoggedModel(m)}, nil
}

// deleteLoggedModel reads only the path: the client's body repeats the id.
func (s *Server) deleteLoggedModel(c *gin.Context) (any, error) {
	lm, err := s.loggedModels()
	if err != nil {
		return nil, err
	}
	return nil, lm.DeleteLoggedModel(c.Request.Context(), c.Param("model_id"))
}

func (s *Server) setLoggedModelTags(c *gin.Context) (any, error) {
	lm, err := s.loggedModels()
	if err != nil {
		return nil, err
	}
	var req mlflowrest.SetLoggedModelTagsRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	return nil, lm.SetLoggedModelTags(c.Request.Context(), c.Param("model_id"), modelTagsOf(req.Tags))
}

// deleteLoggedModelTag reads only the path; MLflow's client sends no body.
func (s *Server) deleteLoggedModelTag(c *gin.Context) (any, error) {
	lm, err := s.loggedModels()
	if err != nil {
		return nil, err
	}
	return nil, lm.DeleteLoggedModelTag(c.Request.Context(), c.Param("model_id"), c.Param("key"))
}

func (s *Server) logLoggedModelParams(c *gin.Context) (any, error) {
	lm, err := s.loggedModels()
	if err != nil {
		return nil, err
	}
	var req mlflowrest.LogLoggedModelParamsRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	return nil, lm.LogLoggedModelParams(c.Request.Context(), c.Param("model_id"), paramsOf(req.Params))
}

func (s *Server) searchLoggedModels(c *gin.Context) (any, error) {
	lm, err := s.loggedModels()
	if err != nil {
		return nil, err
	}
	var req mlflowrest.SearchLoggedModelsRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	n := defaultLoggedModelResults
	if req.MaxResults != nil {
		n = *req.MaxResults
	}
	q := tracking.LoggedModelQuery{ExperimentIDs: req.ExperimentIDs, MaxResults: n, PageToken: req.PageToken}
	f, err := search.ParseLoggedModelFilter(req.Filter)
	if err != nil {
		return nil, err
	}
	q.Filter = *f
	orders := make([]search.LoggedModelOrder, len(req.OrderBy))
	for i, o := range req.OrderBy {
		orders[i] = search.LoggedModelOrder{FieldName: o.FieldName, Ascending: o.Ascending == nil || *o.Ascending,
			DatasetName: o.DatasetName, DatasetDigest: o.DatasetDigest}
	}
	if q.OrderBy, err = search.ParseLoggedModelOrderBy(orders); err != nil {
		return nil, err
	}
	for _, d := range req.Datasets {
		if d.DatasetName == "" {
			return nil, invalidParam("Invalid dataset filter: 'dataset_name' is required.")
		}
		q.Datasets = append(q.Datasets, tracking.DatasetRef{Name: d.DatasetName, Digest: d.DatasetDigest})
	}
	page, err := lm.SearchLoggedModels(c.Request.Context(), q)
	if err != nil {
		return nil, err
	}
	resp := mlflowrest.SearchLoggedModelsResponse{Models: []mlflowrest.LoggedModel{}, NextPageToken: page.NextPageToken}
	for i := range page.Models {
		resp.Models = append(resp.Models, toLoggedModel(&page.Models[i]))
	}
	return resp, nil
}

// logOutputs is POST runs/outputs: logged models a run produced.
func (s *Server) logOutputs(c *gin.Context) (any, error) {
	lm, err := s.loggedModels()
	if err != nil {
		return nil, err
	}
	var req mlflowrest.LogOutputsRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	outs := make([]tracking.RunModelOutput, len(req.Models))
	for i, m := range req.Models {
		outs[i] = tracking.RunModelOutput{ModelID: m.ModelID, Step: int64(m.Step)}
	}
	return nil, lm.LogRunModels(c.Request.Context(), req.RunID, nil, outs)
}

// logModelInputs records the logged models of a runs/log-inputs request.
func (s *Server) logModelInputs(c *gin.Context, runID string, models []mlflowrest.ModelInput) error {
	if len(models) == 0 {
		return nil
	}
	lm, err := s.loggedModels()
	if err != nil {
		return err
	}
	ids := make([]string, len(models))
	for i, m := range models {
		ids[i] = m.ModelID
	}
	return lm.LogRunModels(c.Request.Context(), runID, ids, nil)
}

// checkMetricModels checks, before a run logs metrics (or model inputs),
// that the logged models they name exist, so that a bad model_id changes
// nothing.
func (s *Server) checkMetricModels(c *gin.Context, ms []mlflowrest.Metric) error {
	seen := map[string]bool{}
	for _, m := range ms {
		if m.ModelID == "" || seen[m.ModelID] {
			continue
		}
		seen[m.ModelID] = true
		lm, err := s.loggedModels()
		if err != nil {
			return err
		}
		if _, err := lm.GetLoggedModel(c.Request.Context(), m.ModelID); err != nil {
			return err
		}
	}
	return nil
}

// logModelMetrics copies the metrics that name a logged model onto it.
func (s *Server) logModelMetrics(c *gin.Context, runID string, ms []mlflowrest.Metric) error {
	var out []tracking.ModelMetric
	for _, m := range ms {
		if m.ModelID != "" {
			out = append(out, tracking.ModelMetric{Metric: fromMetric(m), ModelID: m.ModelID, RunID: runID,
				DatasetName: m.DatasetName, DatasetDigest: m.DatasetDigest})
		}
	}
	if len(out) == 0 {
		return nil
	}
	lm, err := s.loggedModels()
	if err != nil {
		return err
	}
	return lm.LogModelMetrics(c.Request.Context(), out)
}

// runModels fills the model inputs and outputs (MLflow 3) of run answers
// that carry inputs, in one store call.
func (s *Server) runModels(c *gin.Context, runs ...*mlflowrest.Run) error {
	var ids []string
	for _, run := range runs {
		if run.Inputs != nil {
			run.Outputs = &mlflowrest.RunOutputs{}
			ids = append(ids, run.Info.RunID)
		}
	}
	lm, ok := s.store.(tracking.LoggedModelStore)
	if !ok || len(ids) == 0 {
		return nil
	}
	byRun, err := lm.GetRunModels(c.Request.Context(), ids)
	if err != nil {
		return err
	}
	for _, run := range runs {
		rm := byRun[run.Info.RunID]
		if rm == nil || run.Inputs == nil {
			continue
		}
		for _, id := range rm.Inputs {
			run.Inputs.ModelInputs = append(run.Inputs.ModelInputs, mlflowrest.ModelInput{ModelID: id})
		}
		for _, o := range rm.Outputs {
			run.Outputs.ModelOutputs = append(run.Outputs.ModelOutputs, mlflowrest.ModelOutput{ModelID: o.ModelID, Step: mlflowrest.Int64(o.Step)})
		}
	}
	return nil
}

// loggedModelSource returns the logged model id a model version names, by
// model_id or by a source of models:/m-<id>, or "".
func loggedModelSource(modelID, source string) string {
	if modelID != "" {
		return modelID
	}
	rest, ok := strings.CutPrefix(source, "models:/"+tracking.LoggedModelIDPrefix)
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, "/")
	return tracking.LoggedModelIDPrefix + id
}

// registerLoggedModel prepares a version made from a logged model: the
// model must exist, and the version's run is the model's source run.
func (s *Server) registerLoggedModel(c *gin.Context, v *tracking.CreateModelVersion, modelID string) error {
	lm, err := s.loggedModels()
	if err != nil {
		return err
	}
	m, err := lm.GetLoggedModel(c.Request.Context(), modelID)
	if err != nil {
		return err
	}
	if v.RunID == "" {
		v.RunID = m.SourceRunID
	}
	return nil
}

// recordModelVersion appends {"name", "version"} to the logged model's
// mlflow.modelVersions tag, as MLflow's server does on model-versions/create
// (Python's json.dumps spacing; the version as a number).
func (s *Server) recordModelVersion(c *gin.Context, modelID string, mv *tracking.ModelVersion) error {
	lm, err := s.loggedModels()
	if err != nil {
		return err
	}
	entry := `{"name": ` + pyvalue.JSONString(mv.Name) + `, "version": ` + versionNumber(mv.Version) + `}`
	return lm.UpdateLoggedModelTag(c.Request.Context(), modelID, tracking.ModelVersionsTag, func(old string, ok bool) (string, error) {
		var prev []json.RawMessage
		if ok && json.Unmarshal([]byte(old), &prev) == nil && len(prev) > 0 {
			v := strings.TrimSpace(old)
			return v[:len(v)-1] + ", " + entry + "]", nil
		}
		return "[" + entry + "]", nil
	})
}

func versionNumber(v string) string {
	if _, err := strconv.ParseInt(v, 10, 64); err == nil {
		return v
	}
	return pyvalue.JSONString(v)
}

// loggedModelDownloadURI resolves a version source of models:/m-<id> to
// the logged model's artifact location, as MLflow does.
func (s *Server) loggedModelDownloadURI(c *gin.Context, source string) (string, error) {
	id := loggedModelSource("", source)
	if id == "" {
		return source, nil
	}
	lm, err := s.loggedModels()
	if err != nil {
		return "", err
	}
	m, err := lm.GetLoggedModel(c.Request.Context(), id)
	if err != nil {
		return "", err
	}
	rest := strings.TrimPrefix(source, "models:/"+id)
	return m.ArtifactURI + rest, nil
}
