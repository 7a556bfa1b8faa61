package server

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"path"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/prompt"
	"github.com/berthml/berth/tracking"
)

// POST /ajax-api/2.0/mlflow/runs/create-promptlab-run, as MLflow 2.17.2's
// tracking server answers it (testdata/conformance/mlflow-promptlab): the
// prompt engineering UI's "save as run". It creates a FINISHED run whose
// params are the model parameters, model_route and prompt_template, tags
// it PROMPT_ENGINEERING, and writes eval_results_table.json and the
// promptlab model directory (package prompt) as its artifacts.
//
// One deliberate difference: MLflow answers 500 to any non-empty "tags"
// (its handler reads them wrongly); berth sets a list of {key, value} tags
// on the run and answers 400 to tags of any other shape, since the
// client's mistake is never a 5xx.

// promptlabRunSourceType is the mlflow.runSourceType of a prompt lab run.
const promptlabRunSourceType = "PROMPT_ENGINEERING"

type promptlabRequest struct {
	ExperimentID          json.RawMessage `json:"experiment_id"`
	RunName               json.RawMessage `json:"run_name"`
	Tags                  json.RawMessage `json:"tags"`
	PromptTemplate        json.RawMessage `json:"prompt_template"`
	PromptParameters      json.RawMessage `json:"prompt_parameters"`
	ModelRoute            json.RawMessage `json:"model_route"`
	ModelParameters       json.RawMessage `json:"model_parameters"`
	ModelInput            json.RawMessage `json:"model_input"`
	ModelOutput           json.RawMessage `json:"model_output"`
	ModelOutputParameters json.RawMessage `json:"model_output_parameters"`
	MLflowVersion         json.RawMessage `json:"mlflow_version"`
	UserID                json.RawMessage `json:"user_id"`
	StartTime             json.RawMessage `json:"start_time"`
}

// falsy is Python's "not value" for a JSON value: missing, null, false, 0,
// "", [] or {}.
func falsy(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	switch string(t) {
	case "", "null", "false", `""`:
		return true
	}
	if len(t) >= 2 && (t[0] == '[' || t[0] == '{') && len(bytes.TrimSpace(t[1:len(t)-1])) == 0 {
		return true
	}
	if f, err := strconv.ParseFloat(string(t), 64); err == nil && f == 0 {
		return true
	}
	return false
}

// textField reads a field that must be a string (a number is taken in its
// Python text, as MLflow's handler does with an experiment id).
func textField(name string, raw json.RawMessage) (string, error) {
	if falsy(raw) {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return prompt.PyStr(raw)
	}
	return "", invalidParam("Invalid value for parameter '%s' supplied: it must be a string.", name)
}

// paramList reads a list of {key, value}. With strict, values must be
// strings; otherwise they are stringified with Python's str(), as MLflow
// does.
func paramList(name string, raw json.RawMessage, strict bool) ([]prompt.Param, error) {
	if falsy(raw) {
		return nil, nil
	}
	var items []struct {
		Key   *string         `json:"key"`
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, invalidParam("Invalid value for parameter '%s' supplied: it must be a list of {\"key\": ..., \"value\": ...} objects.", name)
	}
	out := make([]prompt.Param, len(items))
	for i, it := range items {
		if it.Key == nil || *it.Key == "" {
			return nil, invalidParam("Invalid value for parameter '%s' supplied: entry %d has no key.", name, i)
		}
		var v string
		if strict {
			if err := json.Unmarshal(it.Value, &v); err != nil {
				return nil, invalidParam("Invalid value for parameter '%s' supplied: the value of %q must be a string.", name, *it.Key)
			}
		} else {
			s, err := prompt.PyStr(it.Value)
			if err != nil || len(bytes.TrimSpace(it.Value)) == 0 {
				return nil, invalidParam("Invalid value for parameter '%s' supplied: entry %q has no value.", name, *it.Key)
			}
			v = s
		}
		out[i] = prompt.Param{Key: *it.Key, Value: v}
	}
	return out, nil
}

func (s *Server) createPromptlabRun(c *gin.Context) (any, error) {
	ct := c.GetHeader("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		return nil, invalidParam("Bad Request. Content-Type must be one of ['application/json'].")
	}
	body, err := s.readJSON(c)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	var req promptlabRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, invalidParam("Bad Request. The request body must be a JSON object: %v", err)
	}
	for _, f := range []struct {
		name string
		raw  json.RawMessage
	}{
		{"experiment_id", req.ExperimentID}, {"prompt_template", req.PromptTemplate},
		{"prompt_parameters", req.PromptParameters}, {"model_route", req.ModelRoute},
		{"model_input", req.ModelInput}, {"mlflow_version", req.MLflowVersion},
	} {
		if falsy(f.raw) {
			return nil, invalidParam("CreatePromptlabRun request must specify %s.", f.name)
		}
	}
	text := map[string]*string{}
	var expID, runName, template, route, input, version, userID string
	for name, dst := range map[string]*string{
		"experiment_id": &expID, "run_name": &runName, "prompt_template": &template,
		"model_route": &route, "model_input": &input, "mlflow_version": &version, "user_id": &userID,
	} {
		text[name] = dst
	}
	for name, raw := range map[string]json.RawMessage{
		"experiment_id": req.ExperimentID, "run_name": req.RunName, "prompt_template": req.PromptTemplate,
		"model_route": req.ModelRoute, "model_input": req.ModelInput, "mlflow_version": req.MLflowVersion,
		"user_id": req.UserID,
	} {
		v, err := textField(name, raw)
		if err != nil {
			return nil, err
		}
		*text[name] = v
	}
	if userID == "" {
		userID = "unknown"
	}
	var output *string
	if !isNull(req.ModelOutput) {
		var o string
		if err := json.Unmarshal(req.ModelOutput, &o); err != nil {
			return nil, invalidParam("Invalid value for parameter 'model_output' supplied: it must be a string.")
		}
		output = &o
	}
	var startTime int64
	if !falsy(req.StartTime) {
		if err := json.Unmarshal(req.StartTime, &startTime); err != nil {
			return nil, invalidParam("Invalid value for parameter 'start_time' supplied: it must be an integer (milliseconds).")
		}
	}
	promptParams, err := paramList("prompt_parameters", req.PromptParameters, true)
	if err != nil {
		return nil, err
	}
	modelParams, err := paramList("model_parameters", req.ModelParameters, false)
	if err != nil {
		return nil, err
	}
	outputParams, err := paramList("model_output_parameters", req.ModelOutputParameters, false)
	if err != nil {
		return nil, err
	}
	tags, err := paramList("tags", req.Tags, true)
	if err != nil {
		return nil, err
	}
	ctx := c.Request.Context()
	if _, err := s.store.GetExperiment(ctx, expID); err != nil {
		return nil, err
	}

	runTags := make([]tracking.Tag, 0, len(tags))
	for _, t := range tags {
		runTags = append(runTags, tracking.Tag{Key: t.Key, Value: t.Value})
	}
	run, err := s.store.CreateRun(ctx, tracking.CreateRun{
		ExperimentID: expID, UserID: userID, RunName: runName, StartTime: startTime, Tags: runTags,
	})
	if err != nil {
		return nil, err
	}
	runID := run.Info.RunID
	if err := s.finishPromptlabRun(c, run, promptlabRun{
		template: template, route: route, input: input, output: output, version: version,
		promptParams: promptParams, modelParams: modelParams, outputParams: outputParams,
	}); err != nil {
		// A failed call leaves no run behind, as in MLflow.
		if derr := s.store.DeleteRun(ctx, runID); derr != nil {
			s.opts.logger.Warn("deleting a half-made prompt lab run", "run_id", runID, "error", derr)
		}
		return nil, err
	}
	run, err = s.store.GetRun(ctx, runID)
	if err != nil {
		return nil, err
	}
	return mlflowrest.RunResponse{Run: toRun(run, true)}, nil
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null"
}

type promptlabRun struct {
	template, route, input, version         string
	output                                  *string
	promptParams, modelParams, outputParams []prompt.Param
}

// finishPromptlabRun logs the run's params and tags, writes its artifacts
// and ends it.
func (s *Server) finishPromptlabRun(c *gin.Context, run *tracking.Run, r promptlabRun) error {
	ctx := c.Request.Context()
	runID := run.Info.RunID
	m := &prompt.Model{
		Template: r.template, PromptParameters: r.promptParams, ModelParameters: r.modelParams,
		Route: r.route, MLflowVersion: r.version, RunID: runID, ModelUUID: newModelUUID(),
		Created: time.Now(),
	}
	params := make([]tracking.Param, 0, len(r.modelParams)+2)
	for _, p := range r.modelParams {
		params = append(params, tracking.Param{Key: p.Key, Value: p.Value})
	}
	params = append(params, tracking.Param{Key: "model_route", Value: r.route},
		tracking.Param{Key: "prompt_template", Value: r.template})
	tags := []tracking.Tag{
		{Key: "mlflow.loggedArtifacts", Value: prompt.LoggedArtifactsTag},
		{Key: "mlflow.runSourceType", Value: promptlabRunSourceType},
		{Key: loggedModelsTag, Value: m.HistoryEntry()},
	}
	if err := s.store.LogBatch(ctx, runID, nil, params, tags); err != nil {
		return err
	}
	root, err := s.artifactPathOf(run.Info.ArtifactURI)
	if err != nil {
		return fmt.Errorf("prompt lab run %s: %w", runID, err)
	}
	put := func(name string, data []byte) error {
		if err := s.artifacts.Put(ctx, path.Join(root, name), bytes.NewReader(data)); err != nil {
			return fmt.Errorf("writing artifact %s of prompt lab run %s: %w", name, runID, err)
		}
		return nil
	}
	if err := put(prompt.EvalTableFile, prompt.EvalTable(r.promptParams, r.input, r.output, r.outputParams)); err != nil {
		return err
	}
	for name, data := range m.Files() {
		if err := put(path.Join(prompt.ModelArtifactPath, name), data); err != nil {
			return err
		}
	}
	end := time.Now().UnixMilli()
	_, err = s.store.UpdateRun(ctx, runID, tracking.RunUpdate{Status: tracking.RunFinished, EndTime: &end})
	return err
}

func newModelUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // a version 4 UUID, as Python's uuid4().hex
	b[8] = b[8]&0x3f | 0x80
	return hex.EncodeToString(b[:])
}
