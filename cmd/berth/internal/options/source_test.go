package options

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/berthml/berth/modeluri"
)

// TestDownloadProgressOneLine: a model download of several files logs one
// info line once the last file is in, not a line per file.
func TestDownloadProgressOneLine(t *testing.T) {
	var buf strings.Builder
	progress := downloadProgress(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})))
	files := []string{"MLmodel", "conda.yaml", "model.onnx", "python_env.yaml", "requirements.txt"}
	p := modeluri.Progress{TotalFiles: len(files), TotalBytes: 5 << 10}
	for _, f := range files {
		p.File, p.Files, p.Bytes = f, p.Files+1, p.Bytes+1<<10
		progress(p)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], `msg="downloaded model" files=5 size="5.0 KiB"`) {
		t.Errorf("logged %d lines, want one summary:\n%s", len(lines), buf.String())
	}
}

func TestResolver(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	for _, tt := range []struct {
		o    Source
		want string
	}{
		{Source{}, "a models:/ URI needs a registry: give --registry-uri"},
		{Source{Registry: Registry{URI: "localhost:5000"}}, `registry URI "localhost:5000" has no scheme`},
		{Source{Registry: Registry{URI: "ftp://x"}}, "must be an http:// or https:// URL"},
	} {
		if _, err := tt.o.Resolver(log); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Resolver(%+v) = %v, want %q", tt.o, err, tt.want)
		}
	}
	if _, err := (&Source{Registry: Registry{URI: "http://127.0.0.1:5000"}, CacheDir: t.TempDir()}).Resolver(log); err != nil {
		t.Errorf("Resolver with a registry: %v", err)
	}
}
