// Package llmtest runs a real LLM engine for tests and benchmarks: llama.cpp
// (the npm package node-llama-cpp, pinned [LlamaVersion], installed by
// scripts/fetch-llama.sh) behind testdata/llm/server.mjs, an
// OpenAI-compatible server (/v1/chat/completions, /v1/completions with
// streaming, /v1/embeddings), loading a tiny random-weight GGUF model that
// [WriteModel] writes. Greedy decoding (temperature 0) gives the same text
// for the same request, and usage counts come from the model's tokenizer.
package llmtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// LlamaVersion is the node-llama-cpp version scripts/fetch-llama.sh installs.
const LlamaVersion = "3.21.1"

// ErrUnavailable is returned (wrapped) when node or the installed
// node-llama-cpp is missing.
var ErrUnavailable = errors.New("LLM engine unavailable")

// Config says how to start an engine. Zero fields take the stated defaults.
type Config struct {
	// Model is the GGUF file to load (required).
	Model string
	// ModulesDir holds node_modules/node-llama-cpp; default: $BERTH_LLAMA_DIR,
	// else DefaultModulesDir().
	ModulesDir string
	// Node is the node binary; default: "node" on $PATH.
	Node string
	// ContextSize is the context length in tokens; default 1024.
	ContextSize int
	// Name is the model id the server answers with; default: the GGUF's
	// general.name ("berth-tiny-random" for WriteModel's model).
	Name string
	// Log receives the engine's stdout and stderr; default: discarded.
	Log io.Writer
	// StartTimeout bounds the wait for the server to listen; default 60s
	// (loading node-llama-cpp takes a few seconds on a busy machine).
	StartTimeout time.Duration
}

// Engine is a running server. Close stops it.
type Engine struct {
	// URL is the server's base URL, e.g. http://127.0.0.1:40123 (the
	// OpenAI-compatible routes are under URL+"/v1").
	URL string

	cmd      *exec.Cmd
	done     chan struct{}
	waitErr  error
	closeOne sync.Once
}

// DefaultModulesDir is where scripts/fetch-llama.sh installs
// node-llama-cpp: <user cache dir>/berth/node-llama-cpp-<LlamaVersion>.
func DefaultModulesDir() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding the cache dir: %w", err)
	}
	return filepath.Join(cache, "berth", "node-llama-cpp-"+LlamaVersion), nil
}

// ServerScript is the path of testdata/llm/server.mjs in the source tree.
func ServerScript() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "llm", "server.mjs")
}

// Start starts the engine on 127.0.0.1 with a free port and waits until it
// listens. Cancelling ctx kills it; call Close when done either way.
func Start(ctx context.Context, cfg Config) (*Engine, error) {
	if cfg.Model == "" {
		return nil, errors.New("starting LLM engine: no model file")
	}
	node := cfg.Node
	if node == "" {
		node = "node"
	}
	nodePath, err := exec.LookPath(node)
	if err != nil {
		return nil, fmt.Errorf("starting LLM engine: %w: %s not found (apt-get install nodejs npm)", ErrUnavailable, node)
	}
	mods := cfg.ModulesDir
	if mods == "" {
		mods = os.Getenv("BERTH_LLAMA_DIR")
	}
	if mods == "" {
		if mods, err = DefaultModulesDir(); err != nil {
			return nil, fmt.Errorf("starting LLM engine: %w", err)
		}
	}
	pkg := filepath.Join(mods, "node_modules", "node-llama-cpp", "package.json")
	if _, err := os.Stat(pkg); err != nil {
		return nil, fmt.Errorf("starting LLM engine: %w: node-llama-cpp %s not installed in %s (run scripts/fetch-llama.sh, or make tools)",
			ErrUnavailable, LlamaVersion, mods)
	}
	ctxSize := cfg.ContextSize
	if ctxSize <= 0 {
		ctxSize = 1024
	}
	timeout := cfg.StartTimeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	logw := cfg.Log
	if logw == nil {
		logw = io.Discard
	}
	logw = &syncWriter{w: logw}
	args := []string{ServerScript(), "--modules", mods, "--model", cfg.Model, "--port", "0",
		"--context-size", fmt.Sprint(ctxSize)}
	if cfg.Name != "" {
		args = append(args, "--name", cfg.Name)
	}
	cmd := exec.CommandContext(ctx, nodePath, args...)
	cmd.Stderr = logw
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 3 * time.Second
	urlc := make(chan string, 1)
	cmd.Stdout = &lineWatcher{w: logw, prefix: "listening on ", found: urlc}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting LLM engine: %w", err)
	}
	e := &Engine{cmd: cmd, done: make(chan struct{})}
	go func() {
		e.waitErr = cmd.Wait()
		close(e.done)
	}()
	select {
	case e.URL = <-urlc:
		return e, nil
	case <-e.done:
		return nil, fmt.Errorf("starting LLM engine: exited before listening: %v (its log went to Config.Log)", e.waitErr)
	case <-time.After(timeout):
		e.Close()
		return nil, fmt.Errorf("starting LLM engine: not listening after %v", timeout)
	case <-ctx.Done():
		e.Close()
		return nil, fmt.Errorf("starting LLM engine: %w", ctx.Err())
	}
}

// Close stops the engine (SIGTERM, then SIGKILL after 3s) and waits for it.
func (e *Engine) Close() error {
	e.closeOne.Do(func() {
		_ = e.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-e.done:
		case <-time.After(3 * time.Second):
			_ = e.cmd.Process.Kill()
			<-e.done
		}
	})
	return nil
}
