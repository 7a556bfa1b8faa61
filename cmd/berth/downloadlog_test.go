package main

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
