// Command llmengine runs the LLM engine berth's tests use (package
// internal/llmtest: llama.cpp as node-llama-cpp behind
// testdata/llm/server.mjs, an OpenAI-compatible server) outside a test, for
// scripts/demo.sh. It writes the tiny random-weight GGUF model that
// llmtest.WriteModel generates, starts the engine on a free port of
// 127.0.0.1, prints one line
//
//	listening on http://127.0.0.1:PORT
//
// and runs until SIGINT or SIGTERM, when it stops the engine. The engine's
// own log goes to standard error. node-llama-cpp must be installed
// (scripts/fetch-llama.sh; $BERTH_LLAMA_DIR as for the tests).
//
// Usage:
//
//	llmengine -dir DIR    # DIR receives tiny.gguf (default: a temporary directory, removed at exit)
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/berthml/berth/internal/llmtest"
)

func main() {
	dir := flag.String("dir", "", "directory for the generated GGUF model (default: a temporary directory, removed at exit)")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "llmengine:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	if dir == "" {
		tmp, err := os.MkdirTemp("", "llmengine")
		if err != nil {
			return fmt.Errorf("creating a directory for the model: %w", err)
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	model := filepath.Join(dir, "tiny.gguf")
	if err := llmtest.WriteModelFile(model, llmtest.DefaultModelConfig); err != nil {
		return fmt.Errorf("writing the model: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e, err := llmtest.Start(ctx, llmtest.Config{Model: model, Log: os.Stderr})
	if err != nil {
		return err
	}
	defer e.Close()
	fmt.Println("listening on", e.URL)
	<-ctx.Done()
	return nil
}
