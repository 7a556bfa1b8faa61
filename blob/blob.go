// Package blob is berth's artifact storage: a Store keeps files under
// slash-separated relative paths such as "1/<run id>/artifacts/model/MLmodel".
// Local keeps them in a directory; package blob/s3 in an S3 bucket (AWS S3 or
// an S3-compatible server). Abilities beyond Put/Get/Delete/List, such as
// S3's multipart uploads, are separate small interfaces found by type
// assertion (Multipart, Locator).
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"path/filepath"
	"strings"
)

// Store keeps artifacts under slash-separated relative paths. Paths are
// checked by CleanPath; every implementation refuses what it refuses with
// an error wrapping ErrInvalidPath.
type Store interface {
	// Put writes r to path, creating parent directories and replacing an
	// existing file. r is streamed: memory does not grow with its size.
	Put(ctx context.Context, path string, r io.Reader) error
	// Get opens the file at path; a missing file is an error wrapping
	// fs.ErrNotExist.
	Get(ctx context.Context, path string) (io.ReadCloser, error)
	// Delete removes the file or directory tree at path; a missing path is
	// an error wrapping fs.ErrNotExist.
	Delete(ctx context.Context, path string) error
	// List returns the entries of directory dir ("" is the root), sorted by
	// name, with paths relative to dir. A missing dir is an error wrapping
	// fs.ErrNotExist; a file is ErrNotDir.
	List(ctx context.Context, dir string) ([]FileInfo, error)
}

// FileInfo is one entry of an artifact directory.
type FileInfo struct {
	Path  string // relative to the listed directory
	IsDir bool
	Size  int64 // zero for directories
}

// Locator is a Store that can name itself as a URI (file:///root,
// s3://bucket/prefix), for artifact locations that clients reach directly
// (berth server --no-serve-artifacts).
type Locator interface {
	URI() string
}

// Multipart is a Store that takes one file in parts that clients upload
// themselves, each to a URL of its own (S3's multipart upload with
// presigned part URLs), as MLflow's mpu routes hand out.
type Multipart interface {
	// CreateMultipart starts an upload of numParts parts to path and
	// returns its id and one presigned URL per part, numbered from 1.
	CreateMultipart(ctx context.Context, path string, numParts int) (*Upload, error)
	// CompleteMultipart joins the uploaded parts, in part-number order, into
	// the file at path.
	CompleteMultipart(ctx context.Context, path, uploadID string, parts []Part) error
	// AbortMultipart drops an upload and the parts uploaded so far.
	AbortMultipart(ctx context.Context, path, uploadID string) error
}

// Upload is a started multipart upload.
type Upload struct {
	ID    string
	Parts []PartURL
}

// PartURL is where a client PUTs one part, with the headers to send.
type PartURL struct {
	Number  int
	URL     string
	Headers map[string]string
}

// Part is an uploaded part, with the ETag its PUT answered.
type Part struct {
	Number int
	ETag   string
}

// MaxParts is the most parts a multipart upload may have (S3's limit).
const MaxParts = 10000

var (
	// ErrInvalidPath is returned for an artifact path that is absolute,
	// escapes the root (.., an encoded separator or dot, a symlink pointing
	// outside) or contains a NUL or backslash.
	ErrInvalidPath = errors.New("invalid artifact path")
	// ErrNotDir is returned by List for a path that names a file.
	ErrNotDir = errors.New("not a directory")
	// ErrInvalidUpload is returned for a multipart upload the store does
	// not know, or parts it cannot join (a wrong ETag, a part too small).
	ErrInvalidUpload = errors.New("invalid multipart upload")
)

// Limits of an artifact path: those of Linux file systems (NAME_MAX), and
// a total that leaves room for the artifact root within PATH_MAX. Object
// stores take them too, so that a tree moves between stores unchanged.
const (
	maxNameLen = 255
	maxPathLen = 3072
)

// CleanPath checks an artifact path and returns it in canonical form
// ("" for the root). It rejects absolute paths, "..", backslashes, NULs and
// percent-encoded separators or dots, which a path that was already
// URL-decoded never needs.
func CleanPath(p string) (string, error) {
	if strings.ContainsAny(p, "\\\x00") {
		return "", fmt.Errorf("%w %q", ErrInvalidPath, p)
	}
	// Check each layer of percent-encoding, so that a path decoded once
	// more by something downstream cannot escape either.
	for s, i := p, 0; i < 4 && strings.Contains(s, "%"); i++ {
		lower := strings.ToLower(s)
		for _, enc := range []string{"%2f", "%5c", "%2e", "%00"} {
			if strings.Contains(lower, enc) {
				return "", fmt.Errorf("%w %q: encoded separator or dot", ErrInvalidPath, p)
			}
		}
		d, err := url.PathUnescape(s)
		if err != nil || d == s {
			break
		}
		s = d
	}
	if strings.HasPrefix(p, "/") || filepath.IsAbs(p) {
		return "", fmt.Errorf("%w %q: absolute", ErrInvalidPath, p)
	}
	if len(p) > maxPathLen {
		return "", fmt.Errorf("%w: longer than %d bytes", ErrInvalidPath, maxPathLen)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." {
			return "", fmt.Errorf("%w %q: escapes the root", ErrInvalidPath, p)
		}
		if len(seg) > maxNameLen {
			return "", fmt.Errorf("%w: a name in it is longer than %d bytes", ErrInvalidPath, maxNameLen)
		}
	}
	c := path.Clean("/" + p)[1:]
	return c, nil
}

// ctxReader stops a copy once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
