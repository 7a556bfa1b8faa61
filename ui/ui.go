// Package ui is berth's web UI: a single-page application in plain
// JavaScript (ES modules, no build step) that browses experiments, runs and
// registered models through the server's own MLflow REST API. Its files,
// third-party ones included (ui/assets/vendor, made by
// scripts/fetch-ui-deps.sh), are embedded in the binary, so the UI needs no
// network at run time.
package ui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed assets
var assets embed.FS

// StaticPrefix is the URL prefix the UI's files are served under.
const StaticPrefix = "/static/"

// contentTypes are the types of the files the UI is made of; anything else
// is served as plain text.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".ico":  "image/x-icon",
	".json": "application/json",
}

// contentSecurityPolicy keeps the page to its own scripts and server.
// Inline styles are allowed because uPlot positions its elements with them.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' blob: data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

type file struct {
	body        []byte
	etag        string
	contentType string
}

// loadFiles reads the embedded files and hashes them for ETags.
func loadFiles() map[string]file {
	files := map[string]file{}
	err := fs.WalkDir(assets, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := assets.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ct, ok := contentTypes[path.Ext(p)]
		if !ok {
			ct = "text/plain; charset=utf-8"
		}
		files[strings.TrimPrefix(p, "assets/")] = file{body: body, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, contentType: ct}
		return nil
	})
	if err != nil {
		panic("ui: reading embedded assets: " + err.Error()) // cannot happen with an embed.FS
	}
	return files
}

// Handler serves the UI: its page at / and its files under /static/, and
// the charts package chart draws under /static/chart/ (see serveChart). The
// page and the app's own files are revalidated on every load (ETag); the
// third-party files under /static/vendor/, whose URLs carry their version,
// are cached for a year. Anything else answers 404.
func Handler() http.Handler {
	fsys := loadFiles()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name, ok := "index.html", r.URL.Path == "/"
		if !ok {
			name, ok = strings.CutPrefix(r.URL.Path, StaticPrefix)
			ok = ok && name != "index.html" && fs.ValidPath(name)
		}
		if chartName, isChart := strings.CutPrefix(name, chartPrefix); ok && isChart {
			serveChart(w, r, chartName)
			return
		}
		f, found := fsys[name]
		if !ok || !found {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", f.contentType)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("ETag", f.etag)
		if strings.HasPrefix(name, "vendor/") {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "no-cache")
		}
		if name == "index.html" {
			h.Set("Content-Security-Policy", contentSecurityPolicy)
			h.Set("Referrer-Policy", "no-referrer")
		}
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(f.body))
	})
}
