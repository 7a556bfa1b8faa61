package server

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/berthml/berth/blob"
)

// MLflow's multipart upload through the artifact proxy
// (MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD=true): the client asks
// mpu/create/DIR for an upload of num_parts parts of the file named by
// path (the file's base name is put under DIR, as MLflow's S3 repository
// does), PUTs each part to the URL it got (a presigned S3 URL: the bytes go
// to the bucket, not through this server), then posts the parts' ETags to
// mpu/complete/DIR, or mpu/abort/DIR on a failure.

// createMultipartRequest is the body of POST mlflow-artifacts/mpu/create/DIR.
type createMultipartRequest struct {
	Path     string `json:"path"`
	NumParts *int64 `json:"num_parts"`
}

// Validate names a missing path or a part count S3 cannot take.
func (r *createMultipartRequest) Validate() error {
	if r.Path == "" {
		return invalidParam("Missing value for required parameter 'path'.")
	}
	n := int64(1) // MLflow's default
	if r.NumParts != nil {
		n = *r.NumParts
	}
	if n < 1 || n > blob.MaxParts {
		return invalidParam("Invalid value %d for parameter 'num_parts': want 1 to %d", n, blob.MaxParts)
	}
	r.NumParts = &n
	return nil
}

// multipartCredential is one part's URL in the answer to mpu/create.
type multipartCredential struct {
	URL        string            `json:"url"`
	PartNumber int               `json:"part_number"`
	Headers    map[string]string `json:"headers"` // {} when none: MLflow's client sends them as they are
}

// createMultipartResponse answers mpu/create.
type createMultipartResponse struct {
	Credentials []multipartCredential `json:"credentials"`
	UploadID    string                `json:"upload_id"`
}

// multipartPart is one uploaded part in the body of mpu/complete.
type multipartPart struct {
	PartNumber int64  `json:"part_number"`
	ETag       string `json:"etag"`
	URL        string `json:"url,omitempty"` // sent by MLflow 3's client, unused by S3
}

// finishMultipartRequest is the body of POST mpu/complete/DIR and
// mpu/abort/DIR (which has no parts).
type finishMultipartRequest struct {
	Path     string          `json:"path"`
	UploadID string          `json:"upload_id"`
	Parts    []multipartPart `json:"parts"`
}

// validate names a missing path or upload id, and for complete missing or
// malformed parts.
func (r *finishMultipartRequest) validate(complete bool) error {
	switch {
	case r.Path == "":
		return invalidParam("Missing value for required parameter 'path'.")
	case r.UploadID == "":
		return invalidParam("Missing value for required parameter 'upload_id'.")
	case complete && len(r.Parts) == 0:
		return invalidParam("Missing value for required parameter 'parts'.")
	case len(r.Parts) > blob.MaxParts:
		return invalidParam("Invalid value for parameter 'parts': more than %d parts", blob.MaxParts)
	}
	for i, p := range r.Parts {
		if p.PartNumber < 1 || p.PartNumber > blob.MaxParts || p.ETag == "" {
			return invalidParam("Invalid value for parameter 'parts[%d]': want a part_number from 1 to %d and its etag", i, blob.MaxParts)
		}
	}
	return nil
}

// multipartTarget is the store path of the file a multipart upload writes:
// the base name of the request's path under the route's directory.
func multipartTarget(dir, file string) (string, error) {
	base := path.Base(strings.ReplaceAll(file, "\\", "/"))
	if base == "." || base == "/" || base == ".." {
		return "", invalidParam("Invalid value %q for parameter 'path': it names no file", file)
	}
	p, err := CleanPath(path.Join(dir, base))
	if err != nil {
		return "", invalidParam("Invalid value %q for parameter 'path'", file)
	}
	return p, nil
}

// multipartUpload answers POST mlflow-artifacts/mpu/{create,complete,abort}/DIR.
// On a store without multipart (the local directory) it answers as MLflow
// does: 501 NOT_IMPLEMENTED, on which MLflow's client falls back to a
// single PUT.
func (s *Server) multipartUpload(c *gin.Context) (any, error) {
	if err := s.servesArtifacts(); err != nil {
		return nil, err
	}
	dir, err := CleanPath(strings.TrimPrefix(c.Param("path"), "/"))
	if err != nil {
		return nil, invalidParam("Invalid path")
	}
	mp, ok := s.artifacts.(blob.Multipart)
	if !ok {
		return nil, errMultipartUnsupported
	}
	ctx := c.Request.Context()
	switch op := path.Base(path.Dir(c.FullPath())); op {
	case "create":
		var req createMultipartRequest
		if err := s.bind(c, &req); err != nil {
			return nil, err
		}
		target, err := multipartTarget(dir, req.Path)
		if err != nil {
			return nil, err
		}
		up, err := mp.CreateMultipart(ctx, target, int(*req.NumParts))
		if err != nil {
			return nil, multipartErr(err)
		}
		resp := createMultipartResponse{UploadID: up.ID, Credentials: make([]multipartCredential, len(up.Parts))}
		for i, p := range up.Parts {
			h := p.Headers
			if h == nil {
				h = map[string]string{}
			}
			resp.Credentials[i] = multipartCredential{URL: p.URL, PartNumber: p.Number, Headers: h}
		}
		return resp, nil
	case "complete", "abort":
		var req finishMultipartRequest
		if err := s.bind(c, &req); err != nil {
			return nil, err
		}
		if err := req.validate(op == "complete"); err != nil {
			return nil, err
		}
		target, err := multipartTarget(dir, req.Path)
		if err != nil {
			return nil, err
		}
		if op == "abort" {
			return nil, multipartErr(mp.AbortMultipart(ctx, target, req.UploadID))
		}
		parts := make([]blob.Part, len(req.Parts))
		for i, p := range req.Parts {
			parts[i] = blob.Part{Number: int(p.PartNumber), ETag: p.ETag}
		}
		return nil, multipartErr(mp.CompleteMultipart(ctx, target, req.UploadID, parts))
	default:
		return nil, fmt.Errorf("multipart upload: unknown operation %q", op)
	}
}

// multipartErr turns the store's refusal of an upload id or of the parts
// into the client's 400.
func multipartErr(err error) error {
	if errors.Is(err, blob.ErrInvalidUpload) {
		return invalidParam("%s", err.Error())
	}
	return err
}
