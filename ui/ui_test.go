package ui_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/berthml/berth/ui"
)

func get(t *testing.T, h http.Handler, method, path string, header http.Header) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, "http://berth.test/", nil)
	req.URL.Path = path // as sent, not cleaned
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func TestHandler(t *testing.T) {
	h := ui.Handler()
	tests := []struct {
		path, contentType, cache string
		contains                 string
	}{
		{"/", "text/html; charset=utf-8", "no-cache", `<script type="module" src="/static/app.js">`},
		{"/static/app.js", "text/javascript; charset=utf-8", "no-cache", "hashchange"},
		{"/static/style.css", "text/css; charset=utf-8", "no-cache", "@media"},
		{"/static/favicon.svg", "image/svg+xml", "no-cache", "<svg"},
		{"/static/vendor/uPlot.iife.min.js", "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", "uPlot"},
		{"/static/vendor/uPlot.min.css", "text/css; charset=utf-8", "public, max-age=31536000, immutable", ".uplot"},
		{"/static/vendor/LICENSE.uPlot", "text/plain; charset=utf-8", "public, max-age=31536000, immutable", "MIT"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp := get(t, h, http.MethodGet, tt.path, nil)
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, want 200", resp.StatusCode)
			}
			if got := resp.Header.Get("Content-Type"); got != tt.contentType {
				t.Errorf("Content-Type %q, want %q", got, tt.contentType)
			}
			if got := resp.Header.Get("Cache-Control"); got != tt.cache {
				t.Errorf("Cache-Control %q, want %q", got, tt.cache)
			}
			if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Error("no X-Content-Type-Options: nosniff")
			}
			if !strings.Contains(string(body), tt.contains) {
				t.Errorf("body does not contain %q", tt.contains)
			}
			// A revalidation with the ETag answers 304.
			etag := resp.Header.Get("ETag")
			if etag == "" {
				t.Fatal("no ETag")
			}
			again := get(t, h, http.MethodGet, tt.path, http.Header{"If-None-Match": {etag}})
			if again.StatusCode != http.StatusNotModified {
				t.Errorf("If-None-Match %s: status %d, want 304", etag, again.StatusCode)
			}
		})
	}
}

func TestIndexHasContentSecurityPolicy(t *testing.T) {
	resp := get(t, ui.Handler(), http.MethodGet, "/", nil)
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("Content-Security-Policy %q does not keep scripts to the server", csp)
	}
}

func TestHandlerRefuses(t *testing.T) {
	h := ui.Handler()
	tests := []struct {
		method, path string
		status       int
	}{
		{"GET", "/static/nope.js", 404},
		{"GET", "/static/", 404},
		{"GET", "/static/vendor", 404},
		{"GET", "/static/vendor/", 404},
		{"GET", "/static/../ui.go", 404},
		{"GET", "/static/../assets/app.js", 404},
		{"GET", "/static/./app.js", 404},
		{"GET", "/static//app.js", 404},
		{"GET", "/static/%2e%2e/ui.go", 404},
		{"GET", "/static/index.html", 404},
		{"GET", "/index.html", 404},
		{"GET", "/app.js", 404},
		{"POST", "/", 405},
		{"DELETE", "/static/app.js", 405},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp := get(t, h, tt.method, tt.path, nil)
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
		})
	}
}

func TestHead(t *testing.T) {
	resp := get(t, ui.Handler(), http.MethodHead, "/static/app.js", nil)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || len(body) != 0 {
		t.Errorf("HEAD: status %d with %d bytes of body, want 200 and none", resp.StatusCode, len(body))
	}
}

// TestVendorFilesArePinned checks the committed third-party files against
// the sums that scripts/fetch-ui-deps.sh pins.
func TestVendorFilesArePinned(t *testing.T) {
	script, err := os.ReadFile("../scripts/fetch-ui-deps.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ path, variable string }{
		{"/static/vendor/uPlot.iife.min.js", "js_sha256="},
		{"/static/vendor/uPlot.min.css", "css_sha256="},
	} {
		_, rest, ok := strings.Cut(string(script), "\n"+tt.variable)
		if !ok {
			t.Fatalf("scripts/fetch-ui-deps.sh sets no %s", tt.variable)
		}
		want, _, _ := strings.Cut(rest, "\n")
		resp := get(t, ui.Handler(), http.MethodGet, tt.path, nil)
		body, _ := io.ReadAll(resp.Body)
		if got := sha256Hex(body); got != want {
			t.Errorf("%s: sha256 %s, want %s (run scripts/fetch-ui-deps.sh)", tt.path, got, want)
		}
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// TestModulePreload keeps index.html's modulepreload list whole: every
// module of the app but app.js itself is preloaded, and nothing else, so
// the browser fetches them at once instead of one import level at a time.
func TestModulePreload(t *testing.T) {
	index, err := os.ReadFile("assets/index.html")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir("assets")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, e := range entries {
		if name := e.Name(); strings.HasSuffix(name, ".js") && name != "app.js" {
			want[name] = true
		}
	}
	got := map[string]bool{}
	for _, line := range strings.Split(string(index), "\n") {
		if rest, ok := strings.CutPrefix(line, `<link rel="modulepreload" href="/static/`); ok {
			got[strings.TrimSuffix(rest, `">`)] = true
		}
	}
	for name := range want {
		if !got[name] {
			t.Errorf("index.html does not preload %s", name)
		}
	}
	for name := range got {
		if !want[name] {
			t.Errorf("index.html preloads %s, which is not a module of the app", name)
		}
	}
}
