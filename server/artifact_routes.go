package server

import (
	"errors"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/berthml/berth/api/mlflowrest"
)

// listArtifactsResponse answers GET mlflow/artifacts/list: the run's
// artifact root and the entries of one of its directories, with paths
// relative to the root.
type listArtifactsResponse struct {
	RootURI       string                `json:"root_uri,omitempty"`
	Files         []mlflowrest.FileInfo `json:"files,omitempty"`
	NextPageToken string                `json:"next_page_token,omitempty"`
}

// listRunArtifactsRequest is the query of GET mlflow/artifacts/list.
type listRunArtifactsRequest struct {
	RunID     string `json:"run_id"`
	RunUUID   string `json:"run_uuid"`
	Path      string `json:"path"`
	PageToken string `json:"page_token"`
}

// Validate reports a run given by neither run_id nor run_uuid.
func (r listRunArtifactsRequest) Validate() error {
	return mlflowrest.GetRunRequest{RunID: r.RunID, RunUUID: r.RunUUID}.Validate()
}

// proxiedPath returns the artifact path of a mlflow-artifacts route.
func proxiedPath(c *gin.Context) (string, error) {
	p, err := CleanPath(strings.TrimPrefix(c.Param("path"), "/"))
	if err != nil {
		return "", invalidParam("Invalid path")
	}
	if p == "" {
		return "", invalidParam("Invalid path: no artifact path after /artifacts/")
	}
	return p, nil
}

// list lists dir as wire FileInfos whose paths are prefixed by prefix. A
// missing directory or a file lists as nothing, as in MLflow.
func (s *Server) list(c *gin.Context, dir, prefix string) ([]mlflowrest.FileInfo, error) {
	entries, err := s.artifacts.List(c.Request.Context(), dir)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrNotDir) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]mlflowrest.FileInfo, 0, len(entries))
	for _, e := range entries {
		fi := mlflowrest.FileInfo{Path: path.Join(prefix, e.Path), IsDir: e.IsDir}
		if !e.IsDir {
			size := e.Size
			fi.FileSize = &size
		}
		out = append(out, fi)
	}
	return out, nil
}

// listProxiedArtifacts answers GET mlflow-artifacts/artifacts?path=DIR.
func (s *Server) listProxiedArtifacts(c *gin.Context) (any, error) {
	if err := s.servesArtifacts(); err != nil {
		return nil, err
	}
	dir, err := CleanPath(c.Query("path"))
	if err != nil {
		return nil, invalidParam("Invalid path")
	}
	files, err := s.list(c, dir, "")
	if err != nil {
		return nil, err
	}
	return mlflowrest.ListArtifactsResponse{Files: files}, nil
}

// downloadArtifact answers GET mlflow-artifacts/artifacts/PATH with the
// file's bytes. A missing file is 404 RESOURCE_DOES_NOT_EXIST (MLflow
// answers 500 and leaks its local artifact root).
func (s *Server) downloadArtifact(c *gin.Context) {
	if err := s.servesArtifacts(); err != nil {
		s.writeError(c, err)
		return
	}
	p, err := proxiedPath(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	s.sendArtifact(c, p)
}

func (s *Server) sendArtifact(c *gin.Context, p string) {
	rc, err := s.artifacts.Get(c.Request.Context(), p)
	if errors.Is(err, fs.ErrNotExist) {
		s.writeError(c, &notFoundError{"Artifact '" + p + "' does not exist"})
		return
	}
	if err != nil {
		s.writeError(c, err)
		return
	}
	defer rc.Close()
	setDownloadHeaders(c.Writer.Header(), p)
	c.Status(http.StatusOK)
	if c.Request.Method == http.MethodHead {
		// net/http would drop the bytes, but only after they were read
		// from the store: a HEAD of a multi-GB artifact costs nothing.
		c.Writer.WriteHeaderNow()
		return
	}
	if _, err := io.Copy(c.Writer, rc); err != nil {
		s.opts.logger.Warn("sending artifact", "path", p, "err", err)
	}
}

// uploadArtifact answers PUT mlflow-artifacts/artifacts/PATH with {}.
func (s *Server) uploadArtifact(c *gin.Context) (any, error) {
	if err := s.servesArtifacts(); err != nil {
		return nil, err
	}
	p, err := proxiedPath(c)
	if err != nil {
		return nil, err
	}
	body := c.Request.Body
	if limit := s.opts.artifactLimit; limit > 0 {
		if c.Request.ContentLength > limit {
			// Refused before a byte of it is read or written.
			return nil, &http.MaxBytesError{Limit: limit}
		}
		body = http.MaxBytesReader(c.Writer, body, limit)
	}
	return nil, s.artifacts.Put(c.Request.Context(), p, body)
}

// deleteArtifact answers DELETE mlflow-artifacts/artifacts/PATH with {}.
func (s *Server) deleteArtifact(c *gin.Context) (any, error) {
	if err := s.servesArtifacts(); err != nil {
		return nil, err
	}
	p, err := proxiedPath(c)
	if err != nil {
		return nil, err
	}
	err = s.artifacts.Delete(c.Request.Context(), p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &notFoundError{"Artifact '" + p + "' does not exist"}
	}
	return nil, err
}

// runArtifactRoot returns the store path of a run's artifact root and its
// URI.
func (s *Server) runArtifactRoot(c *gin.Context, runID string) (string, string, error) {
	run, err := s.store.GetRun(c.Request.Context(), runID)
	if err != nil {
		return "", "", err
	}
	root, err := s.artifactPathOf(run.Info.ArtifactURI)
	if err != nil {
		return "", "", err
	}
	return root, run.Info.ArtifactURI, nil
}

// listRunArtifacts answers GET mlflow/artifacts/list?run_id=&path=.
func (s *Server) listRunArtifacts(c *gin.Context) (any, error) {
	var req listRunArtifactsRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	rel, err := CleanPath(req.Path)
	if err != nil {
		return nil, invalidParam("Invalid path")
	}
	root, uri, err := s.runArtifactRoot(c, mlflowrest.RunIDOf(req.RunID, req.RunUUID))
	if err != nil {
		return nil, err
	}
	files, err := s.list(c, path.Join(root, rel), rel)
	if err != nil {
		return nil, err
	}
	return listArtifactsResponse{RootURI: uri, Files: files}, nil
}

// getRunArtifact answers the UI route GET /get-artifact?path=&run_uuid=.
func (s *Server) getRunArtifact(c *gin.Context) {
	req := mlflowrest.GetRunRequest{RunID: c.Query("run_id"), RunUUID: c.Query("run_uuid")}
	if err := req.Validate(); err != nil {
		s.writeError(c, err)
		return
	}
	id := mlflowrest.RunIDOf(req.RunID, req.RunUUID)
	rel, err := CleanPath(c.Query("path"))
	if err != nil || rel == "" {
		s.writeError(c, invalidParam("Invalid path"))
		return
	}
	root, _, err := s.runArtifactRoot(c, id)
	if err != nil {
		s.writeError(c, err)
		return
	}
	s.sendArtifact(c, path.Join(root, rel))
}

// getModelVersionArtifact answers the UI route
// GET /model-versions/get-artifact?path=&name=&version=.
func (s *Server) getModelVersionArtifact(c *gin.Context) {
	req := mlflowrest.ModelVersionRequest{Name: c.Query("name"), Version: c.Query("version")}
	if err := req.Validate(); err != nil {
		s.writeError(c, err)
		return
	}
	rel, err := CleanPath(c.Query("path"))
	if err != nil || rel == "" {
		s.writeError(c, invalidParam("Invalid path"))
		return
	}
	uri, err := s.store.GetModelVersionDownloadURI(c.Request.Context(), req.Name, req.Version)
	if err == nil { // a version of a logged model (models:/m-<id>) reads the model's files
		uri, err = s.loggedModelDownloadURI(c, uri)
	}
	if err != nil {
		s.writeError(c, err)
		return
	}
	root, err := s.artifactPathOf(uri)
	if err != nil {
		s.writeError(c, err)
		return
	}
	s.sendArtifact(c, path.Join(root, rel))
}

// setDownloadHeaders sets the headers of an artifact download: its content
// type, nosniff so that no browser second-guesses it, and "attachment" for
// the types a browser would render or run (HTML, SVG, XML, scripts), so
// that an artifact a writer uploaded cannot run script in the UI's origin.
func setDownloadHeaders(h http.Header, p string) {
	h.Set("Content-Type", contentTypeOf(p))
	h.Set("X-Content-Type-Options", "nosniff")
	if activeContent(p) {
		h.Set("Content-Disposition", `attachment; filename="`+strings.NewReplacer(`"`, "_", "\\", "_", "\r", "_", "\n", "_").Replace(path.Base(p))+`"`)
	}
}

// activeContent reports whether a browser would render or run a file of
// this name as a page, an image with script, or a script.
func activeContent(p string) bool {
	switch strings.ToLower(path.Ext(p)) {
	case ".html", ".htm", ".xhtml", ".shtml", ".svg", ".svgz", ".xml", ".xsl", ".xslt",
		".js", ".mjs", ".cjs", ".css", ".pdf", ".swf", ".wasm", ".mht", ".mhtml":
		return true
	}
	return false
}

// contentTypeOf answers text/plain for the text files MLflow models are
// made of (MLmodel, YAML, JSON, text, CSV) and application/octet-stream for
// anything else, as MLflow's artifact proxy does.
func contentTypeOf(p string) string {
	switch strings.ToLower(path.Ext(p)) {
	case "", ".txt", ".json", ".yaml", ".yml", ".csv", ".md", ".py", ".log":
		return "text/plain; charset=utf-8"
	}
	return "application/octet-stream"
}
