package registry

import (
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

func init() { gin.SetMode(gin.ReleaseMode) }

// apiPrefixes are the prefixes MLflow serves its REST API under; the UI
// uses /ajax-api.
var apiPrefixes = []string{"/api/2.0", "/ajax-api/2.0"}

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

	if s.opts.registerer != nil {
		r.Use(newMetrics(s.opts.registerer).observe)
		r.GET("/metrics", metricsHandler(s.opts.gatherer))
	}
	r.GET("/health", func(c *gin.Context) { c.String(http.StatusOK, "OK") })
	r.GET("/version", func(c *gin.Context) { c.String(http.StatusOK, s.opts.version) })
	if s.opts.ui != nil {
		ui := gin.WrapH(s.opts.ui)
		for _, route := range []string{"/", "/static/*path"} {
			r.GET(route, ui)
			r.HEAD(route, ui)
		}
	}
	if len(s.opts.readTokens)+len(s.opts.writeTokens) > 0 {
		r.Use(s.authorize)
	}
	r.GET("/get-artifact", s.getRunArtifact)
	r.GET("/model-versions/get-artifact", s.getModelVersionArtifact)

	for _, p := range apiPrefixes {
		g := r.Group(p + "/mlflow")
		s.trackingRoutes(g)
		s.registryRoutes(g)

		a := r.Group(p + "/mlflow-artifacts")
		a.GET("/artifacts", s.api(s.listProxiedArtifacts))
		a.GET("/artifacts/*path", s.downloadArtifact)
		a.PUT("/artifacts/*path", s.api(s.uploadArtifact))
		a.DELETE("/artifacts/*path", s.api(s.deleteArtifact))
	}

	r.NoRoute(func(c *gin.Context) {
		s.writeError(c, &routeError{http.StatusNotFound, "No API endpoint for " + c.Request.Method + " " + c.Request.URL.Path})
	})
	r.NoMethod(func(c *gin.Context) {
		s.writeError(c, &routeError{http.StatusMethodNotAllowed, "Method " + c.Request.Method + " is not allowed on " + c.Request.URL.Path})
	})
	return r
}

func (s *Server) trackingRoutes(g *gin.RouterGroup) {
	g.POST("/experiments/create", s.api(s.createExperiment))
	g.GET("/experiments/get", s.api(s.getExperiment))
	g.GET("/experiments/get-by-name", s.api(s.getExperimentByName))
	g.GET("/experiments/search", s.api(s.searchExperiments))
	g.POST("/experiments/search", s.api(s.searchExperiments))
	g.POST("/experiments/update", s.api(s.updateExperiment))
	g.POST("/experiments/delete", s.api(s.deleteExperiment))
	g.POST("/experiments/restore", s.api(s.restoreExperiment))
	g.POST("/experiments/set-experiment-tag", s.api(s.setExperimentTag))
	g.POST("/experiments/delete-experiment-tag", s.api(s.deleteExperimentTag))
	g.POST("/experiments/delete-tag", s.api(s.deleteExperimentTag))

	g.POST("/runs/create", s.api(s.createRun))
	g.GET("/runs/get", s.api(s.getRun))
	g.POST("/runs/update", s.api(s.updateRun))
	g.POST("/runs/delete", s.api(s.deleteRun))
	g.POST("/runs/restore", s.api(s.restoreRun))
	g.POST("/runs/log-metric", s.api(s.logMetric))
	g.POST("/runs/log-parameter", s.api(s.logParam))
	g.POST("/runs/log-batch", s.api(s.logBatch))
	g.POST("/runs/log-model", s.api(s.logModel))
	g.POST("/runs/log-inputs", s.api(s.logInputs))
	g.POST("/runs/set-tag", s.api(s.setTag))
	g.POST("/runs/delete-tag", s.api(s.deleteTag))
	g.POST("/runs/search", s.api(s.searchRuns))
	g.GET("/metrics/get-history", s.api(s.getMetricHistory))
	g.GET("/artifacts/list", s.api(s.listRunArtifacts))
}

func (s *Server) registryRoutes(g *gin.RouterGroup) {
	g.POST("/registered-models/create", s.api(s.createRegisteredModel))
	g.GET("/registered-models/get", s.api(s.getRegisteredModel))
	g.POST("/registered-models/rename", s.api(s.renameRegisteredModel))
	g.PATCH("/registered-models/update", s.api(s.updateRegisteredModel))
	g.DELETE("/registered-models/delete", s.api(s.deleteRegisteredModel))
	g.GET("/registered-models/search", s.api(s.searchRegisteredModels))
	g.POST("/registered-models/get-latest-versions", s.api(s.getLatestVersions))
	g.GET("/registered-models/get-latest-versions", s.api(s.getLatestVersions))
	g.POST("/registered-models/set-tag", s.api(s.setRegisteredModelTag))
	g.DELETE("/registered-models/delete-tag", s.api(s.deleteRegisteredModelTag))
	g.POST("/registered-models/alias", s.api(s.setAlias))
	g.DELETE("/registered-models/alias", s.api(s.deleteAlias))
	g.GET("/registered-models/alias", s.api(s.getModelVersionByAlias))

	g.POST("/model-versions/create", s.api(s.createModelVersion))
	g.GET("/model-versions/get", s.api(s.getModelVersion))
	g.PATCH("/model-versions/update", s.api(s.updateModelVersion))
	g.DELETE("/model-versions/delete", s.api(s.deleteModelVersion))
	g.GET("/model-versions/search", s.api(s.searchModelVersions))
	g.POST("/model-versions/transition-stage", s.api(s.transitionStage))
	g.POST("/model-versions/set-tag", s.api(s.setModelVersionTag))
	g.DELETE("/model-versions/delete-tag", s.api(s.deleteModelVersionTag))
	g.GET("/model-versions/get-download-uri", s.api(s.getDownloadURI))
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
