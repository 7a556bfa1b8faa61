package server

import (
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/berthml/berth/tracing"
)

func init() { gin.SetMode(gin.ReleaseMode) }

// apiPrefixes are the prefixes MLflow serves its REST API under; the UI
// uses /ajax-api.
var apiPrefixes = []string{"/api/2.0", "/ajax-api/2.0"}

// Access is what a route asks of a request when the server has tokens
// (WithTokens). Routes are classed by what they do, not by their method:
// a search sent as POST only reads.
type Access int

// The access classes. The zero value is no class, so a route added to the
// table without one is refused when the server is built.
const (
	_ Access = iota
	// Open routes need no token: health checks, the version, the UI's
	// static files.
	Open
	// Read routes need a read or a write token.
	Read
	// Write routes change something and need a write token.
	Write
)

func (a Access) String() string {
	switch a {
	case Open:
		return "open"
	case Read:
		return "read"
	case Write:
		return "write"
	}
	return "unclassified"
}

// Route is one route of the server and the access it needs.
type Route struct {
	Method string
	Path   string // gin's template: /api/2.0/mlflow-artifacts/artifacts/*path
	Access Access
}

// route is a table row: a Route and its handler.
type route struct {
	Route
	h gin.HandlerFunc
}

// Routes returns every route the server answers, with its access class.
func (s *Server) Routes() []Route {
	out := make([]Route, len(s.table))
	for i, r := range s.table {
		out[i] = r.Route
	}
	return out
}

// routeTable is the one table of the server's routes: method, path, what
// a token must allow, handler.
func (s *Server) routeTable() []route {
	var t []route
	add := func(method, path string, a Access, h gin.HandlerFunc) {
		t = append(t, route{Route{method, path, a}, h})
	}
	if s.opts.registerer != nil {
		a := Read
		if s.opts.metricsOpen {
			a = Open
		}
		add("GET", "/metrics", a, metricsHandler(s.opts.gatherer))
	}
	add("GET", "/health", Open, func(c *gin.Context) { c.String(http.StatusOK, "OK") })
	add("GET", "/version", Open, func(c *gin.Context) { c.String(http.StatusOK, s.opts.version) })
	if s.opts.ui != nil {
		// The UI's pages and scripts are public; the API calls they make
		// carry the user's token.
		ui := gin.WrapH(s.opts.ui)
		for _, p := range []string{"/", "/static/*path"} {
			add("GET", p, Open, ui)
			add("HEAD", p, Open, ui)
		}
	}
	add("GET", "/get-artifact", Read, s.getRunArtifact)
	add("GET", "/model-versions/get-artifact", Read, s.getModelVersionArtifact)

	for _, p := range apiPrefixes {
		m := p + "/mlflow"
		api := func(method, path string, a Access, h handler) { add(method, m+path, a, s.api(h)) }
		// Tracking.
		api("POST", "/experiments/create", Write, s.createExperiment)
		api("GET", "/experiments/get", Read, s.getExperiment)
		api("GET", "/experiments/get-by-name", Read, s.getExperimentByName)
		api("GET", "/experiments/search", Read, s.searchExperiments)
		api("POST", "/experiments/search", Read, s.searchExperiments)
		api("POST", "/experiments/update", Write, s.updateExperiment)
		api("POST", "/experiments/delete", Write, s.deleteExperiment)
		api("POST", "/experiments/restore", Write, s.restoreExperiment)
		api("POST", "/experiments/set-experiment-tag", Write, s.setExperimentTag)
		api("POST", "/experiments/delete-experiment-tag", Write, s.deleteExperimentTag)
		api("POST", "/experiments/delete-tag", Write, s.deleteExperimentTag)
		api("POST", "/runs/create", Write, s.createRun)
		api("GET", "/runs/get", Read, s.getRun)
		api("POST", "/runs/update", Write, s.updateRun)
		api("POST", "/runs/delete", Write, s.deleteRun)
		api("POST", "/runs/restore", Write, s.restoreRun)
		api("POST", "/runs/log-metric", Write, s.logMetric)
		api("POST", "/runs/log-parameter", Write, s.logParam)
		api("POST", "/runs/log-batch", Write, s.logBatch)
		api("POST", "/runs/log-model", Write, s.logModel)
		api("POST", "/runs/log-inputs", Write, s.logInputs)
		api("POST", "/runs/set-tag", Write, s.setTag)
		api("POST", "/runs/delete-tag", Write, s.deleteTag)
		api("POST", "/runs/search", Read, s.searchRuns)
		api("GET", "/metrics/get-history", Read, s.getMetricHistory)
		api("GET", "/artifacts/list", Read, s.listRunArtifacts)
		// Model registry.
		api("POST", "/registered-models/create", Write, s.createRegisteredModel)
		api("GET", "/registered-models/get", Read, s.getRegisteredModel)
		api("POST", "/registered-models/rename", Write, s.renameRegisteredModel)
		api("PATCH", "/registered-models/update", Write, s.updateRegisteredModel)
		api("DELETE", "/registered-models/delete", Write, s.deleteRegisteredModel)
		api("GET", "/registered-models/search", Read, s.searchRegisteredModels)
		api("POST", "/registered-models/get-latest-versions", Read, s.getLatestVersions)
		api("GET", "/registered-models/get-latest-versions", Read, s.getLatestVersions)
		api("POST", "/registered-models/set-tag", Write, s.setRegisteredModelTag)
		api("DELETE", "/registered-models/delete-tag", Write, s.deleteRegisteredModelTag)
		api("POST", "/registered-models/alias", Write, s.setAlias)
		api("DELETE", "/registered-models/alias", Write, s.deleteAlias)
		api("GET", "/registered-models/alias", Read, s.getModelVersionByAlias)
		api("POST", "/model-versions/create", Write, s.createModelVersion)
		api("GET", "/model-versions/get", Read, s.getModelVersion)
		api("PATCH", "/model-versions/update", Write, s.updateModelVersion)
		api("DELETE", "/model-versions/delete", Write, s.deleteModelVersion)
		api("GET", "/model-versions/search", Read, s.searchModelVersions)
		api("POST", "/model-versions/transition-stage", Write, s.transitionStage)
		api("POST", "/model-versions/set-tag", Write, s.setModelVersionTag)
		api("DELETE", "/model-versions/delete-tag", Write, s.deleteModelVersionTag)
		api("GET", "/model-versions/get-download-uri", Read, s.getDownloadURI)
		// MLflow 3's logged models (server/loggedmodels.go).
		api("POST", "/logged-models", Write, s.createLoggedModel)
		api("POST", "/logged-models/search", Read, s.searchLoggedModels)
		api("GET", "/logged-models/:model_id", Read, s.getLoggedModel)
		api("PATCH", "/logged-models/:model_id", Write, s.finalizeLoggedModel)
		api("DELETE", "/logged-models/:model_id", Write, s.deleteLoggedModel)
		api("PATCH", "/logged-models/:model_id/tags", Write, s.setLoggedModelTags)
		api("DELETE", "/logged-models/:model_id/tags/:key", Write, s.deleteLoggedModelTag)
		api("POST", "/logged-models/:model_id/params", Write, s.logLoggedModelParams)
		api("POST", "/runs/outputs", Write, s.logOutputs)

		// MLflow 3's webhooks (server/webhooks.go). Testing one sends a
		// request from the server, so it needs a write token.
		api("POST", "/webhooks", Write, s.createWebhook)
		api("GET", "/webhooks", Read, s.listWebhooks)
		api("GET", "/webhooks/:webhook_id", Read, s.getWebhook)
		api("PATCH", "/webhooks/:webhook_id", Write, s.updateWebhook)
		api("DELETE", "/webhooks/:webhook_id", Write, s.deleteWebhook)
		api("POST", "/webhooks/:webhook_id/test", Write, s.testWebhook)

		// The artifact proxy.
		a := p + "/mlflow-artifacts"
		add("GET", a+"/artifacts", Read, s.api(s.listProxiedArtifacts))
		add("GET", a+"/artifacts/*path", Read, s.downloadArtifact)
		add("PUT", a+"/artifacts/*path", Write, s.api(s.uploadArtifact))
		add("DELETE", a+"/artifacts/*path", Write, s.api(s.deleteArtifact))
		for _, op := range []string{"create", "complete", "abort"} {
			add("POST", a+"/mpu/"+op+"/*path", Write, s.api(s.multipartUpload))
		}
	}

	// The prompt engineering UI's "save as run" (server/promptlab.go): only
	// under /ajax-api, as in MLflow.
	add("POST", "/ajax-api/2.0/mlflow/runs/create-promptlab-run", Write, s.api(s.createPromptlabRun))
	// MLflow's UI route for writing one run artifact (server/promptlab_ui.go):
	// the prompt lab page stores its whole evaluation table with it.
	add("POST", "/ajax-api/2.0/mlflow/upload-artifact", Write, s.api(s.uploadRunArtifact))

	// MLflow 3's traces (server/traces*.go, server/otlp.go), when the store
	// keeps them: the v3 routes, the v2 routes MLflow 3's client still uses
	// and those of MLflow 2 clients, and OTLP span ingestion.
	if _, ok := s.store.(tracing.Store); ok {
		for _, p := range []string{"/api/3.0/mlflow", "/ajax-api/3.0/mlflow"} {
			api := func(method, path string, a Access, h handler) { add(method, p+path, a, s.api(h)) }
			api("POST", "/traces", Write, s.startTraceV3)
			api("GET", "/traces/batchGet", Read, s.batchGetTraces)
			api("GET", "/traces/get", Read, s.getTraceV3)
			api("POST", "/traces/search", Read, s.searchTracesV3)
			api("POST", "/traces/delete-traces", Write, s.deleteTraces)
			api("POST", "/traces/link-to-run", Write, s.linkTracesToRun)
			api("GET", "/traces/:trace_id", Read, s.getTraceInfoV3)
			api("PATCH", "/traces/:trace_id/tags", Write, s.setTraceTag)
			api("DELETE", "/traces/:trace_id/tags", Write, s.deleteTraceTag)
			api("POST", "/traces/:trace_id/assessments", Write, s.createAssessment)
			api("GET", "/traces/:trace_id/assessments/:assessment_id", Read, s.getAssessment)
			api("PATCH", "/traces/:trace_id/assessments/:assessment_id", Write, s.updateAssessment)
			api("DELETE", "/traces/:trace_id/assessments/:assessment_id", Write, s.deleteAssessment)
		}
		for _, p := range apiPrefixes {
			api := func(method, path string, a Access, h handler) { add(method, p+"/mlflow"+path, a, s.api(h)) }
			api("POST", "/traces", Write, s.startTraceV2)
			api("GET", "/traces", Read, s.searchTracesV2)
			api("POST", "/traces/delete-traces", Write, s.deleteTraces)
			api("PATCH", "/traces/:request_id", Write, s.endTraceV2)
			api("GET", "/traces/:request_id/info", Read, s.getTraceInfoV2)
			api("PATCH", "/traces/:request_id/tags", Write, s.setTraceTag)
			api("DELETE", "/traces/:request_id/tags", Write, s.deleteTraceTag)
		}
		add("POST", "/v1/traces", Write, s.ingestOTLP)
	}

	// MLflow 3's evaluation datasets (server/datasets.go), when the store
	// keeps them.
	if _, ok := s.store.(datasetStore); ok {
		for _, p := range []string{"/api/3.0/mlflow", "/ajax-api/3.0/mlflow"} {
			api := func(method, path string, a Access, h handler) { add(method, p+path, a, s.api(h)) }
			api("POST", "/datasets/create", Write, s.createDataset)
			api("POST", "/datasets/search", Read, s.searchDatasets)
			api("GET", "/datasets/:dataset_id", Read, s.getDataset)
			api("DELETE", "/datasets/:dataset_id", Write, s.deleteDataset)
			api("POST", "/datasets/:dataset_id/records", Write, s.upsertDatasetRecords)
			api("GET", "/datasets/:dataset_id/records", Read, s.getDatasetRecords)
			api("PATCH", "/datasets/:dataset_id/tags", Write, s.setDatasetTags)
			api("DELETE", "/datasets/:dataset_id/tags/:key", Write, s.deleteDatasetTag)
			api("GET", "/datasets/:dataset_id/experiment-ids", Read, s.getDatasetExperimentIDs)
			api("POST", "/datasets/:dataset_id/add-experiments", Write, s.addDatasetExperiments)
			api("POST", "/datasets/:dataset_id/remove-experiments", Write, s.removeDatasetExperiments)
			api("DELETE", "/datasets/:dataset_id/records", Write, s.deleteDatasetRecords)
		}
	}
	return withHeads(t)
}

// withHeads adds a HEAD row for every GET route that has none, with the
// GET's access class and handler, as Flask's routes (MLflow's) answer
// HEAD: net/http sends the GET's status and headers and drops the body.
func withHeads(t []route) []route {
	heads := map[string]bool{}
	for _, rt := range t {
		if rt.Method == http.MethodHead {
			heads[rt.Path] = true
		}
	}
	for _, rt := range t {
		if rt.Method == http.MethodGet && !heads[rt.Path] {
			t = append(t, route{Route{http.MethodHead, rt.Path, rt.Access}, rt.h})
		}
	}
	return t
}

func (s *Server) routes() *gin.Engine {
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.ContextWithFallback = true
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.Use(gin.CustomRecoveryWithWriter(io.Discard, s.recovered))
	if s.opts.accessLog != nil {
		r.Use(s.logRequests)
	}
	if s.metrics != nil {
		r.Use(s.metrics.observe)
	}
	r.Use(s.checkQuery, s.releaseBodies)
	s.table = s.routeTable()
	access, err := accessMap(s.table)
	if err != nil {
		panic("registry: " + err.Error())
	}
	s.access = access
	if s.tokensSet() {
		r.Use(s.authorize)
	}
	for _, rt := range s.table {
		r.Handle(rt.Method, rt.Path, rt.h)
	}
	if s.opts.gatewayInfo != nil {
		r.GET(GatewayInfoPath+"/*rest", gin.WrapH(s.opts.gatewayInfo)) // read access (not in the table)
	}
	r.NoRoute(func(c *gin.Context) {
		s.writeError(c, &routeError{http.StatusNotFound, "No API endpoint for " + c.Request.Method + " " + c.Request.URL.Path})
	})
	r.NoMethod(func(c *gin.Context) {
		s.writeError(c, &routeError{http.StatusMethodNotAllowed, "Method " + c.Request.Method + " is not allowed on " + c.Request.URL.Path})
	})
	return r
}

// accessMap indexes the table's access classes by "METHOD /path"; a row
// without a class, or a route given twice, is an error.
func accessMap(table []route) (map[string]Access, error) {
	m := make(map[string]Access, len(table))
	for _, rt := range table {
		k := rt.Method + " " + rt.Path
		if rt.Access < Open || rt.Access > Write {
			return nil, fmt.Errorf("route %s has no access class", k)
		}
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("route %s is in the table twice", k)
		}
		m[k] = rt.Access
	}
	return m, nil
}

// recovered answers 500 for a handler that panicked, and keeps serving.
func (s *Server) recovered(c *gin.Context, err any) {
	s.opts.logger.Error("handler panicked", "method", c.Request.Method, "path", c.Request.URL.Path, "panic", err)
	s.writeError(c, errPanic)
}

// logRequests writes one access-log line per request.
func (s *Server) logRequests(c *gin.Context) {
	start := time.Now()
	c.Next()
	s.opts.accessLog.Info("request", "method", c.Request.Method, "path", c.Request.URL.Path,
		"status", c.Writer.Status(), "duration", time.Since(start).Round(time.Microsecond))
}
