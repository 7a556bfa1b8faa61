package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"

	"github.com/gin-gonic/gin"
)

// POST /ajax-api/2.0/mlflow/upload-artifact?run_uuid=RUN&path=PATH, MLflow's
// UI route for writing one file into a run's artifacts (its evaluation view
// writes eval_results_table.json back through it). berth's prompt lab
// page uses it after create-promptlab-run, which logs one row, to store the
// whole table the winning template was tried on. As in MLflow's
// upload_artifact_handler: both query parameters and a non-empty body are
// required, the path must stay inside the run's artifacts, and a file may
// be at most 10 MB. The answer is {}.

// maxUIUpload is MLflow's limit for upload-artifact (10 MB).
const maxUIUpload = 10 * 1024 * 1024

func (s *Server) uploadRunArtifact(c *gin.Context) (any, error) {
	runID := c.Query("run_uuid")
	if runID == "" {
		return nil, invalidParam("Request must specify run_uuid.")
	}
	p := c.Query("path")
	if p == "" {
		return nil, invalidParam("Request must specify path.")
	}
	rel, err := CleanPath(p)
	if err != nil || rel == "" || rel == "." {
		return nil, invalidParam("Invalid path: %q must be a relative path inside the run's artifacts.", p)
	}
	tooLarge := invalidParam("Artifact size is too large. Max size is 10MB.")
	if c.Request.ContentLength > maxUIUpload {
		return nil, tooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxUIUpload))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, tooLarge
	}
	if err != nil {
		return nil, err
	}
	if len(body) == 0 {
		return nil, invalidParam("Request must specify data.")
	}
	root, _, err := s.runArtifactRoot(c, runID)
	if err != nil {
		return nil, err
	}
	if err := s.artifacts.Put(c.Request.Context(), path.Join(root, rel), bytes.NewReader(body)); err != nil {
		return nil, fmt.Errorf("writing artifact %s of run %s: %w", rel, runID, err)
	}
	return struct{}{}, nil
}
