package llmtest_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/berthml/berth/internal/llmtest"
)

func TestStartMissingEngine(t *testing.T) {
	_, err := llmtest.Start(context.Background(), llmtest.Config{Model: "x.gguf", ModulesDir: t.TempDir()})
	if !errors.Is(err, llmtest.ErrUnavailable) || !strings.Contains(err.Error(), "scripts/fetch-llama.sh") ||
		!strings.Contains(err.Error(), llmtest.LlamaVersion) {
		t.Errorf("missing node-llama-cpp: got %v, want ErrUnavailable naming the version and scripts/fetch-llama.sh", err)
	}
	_, err = llmtest.Start(context.Background(), llmtest.Config{Model: "x.gguf", Node: "no-such-node-binary"})
	if !errors.Is(err, llmtest.ErrUnavailable) || !strings.Contains(err.Error(), "no-such-node-binary") {
		t.Errorf("missing node: got %v, want ErrUnavailable naming it", err)
	}
}

// TestNewMissingEngine runs New in child processes with nothing installed:
// a skip by default, a failure naming what is missing under
// BERTH_REQUIRE_TOOLS=1.
func TestNewMissingEngine(t *testing.T) {
	if os.Getenv("LLMTEST_CHILD") == "1" {
		llmtest.New(t)
		t.Fatal("New returned without an engine")
	}
	for _, c := range []struct{ require, want string }{{"", "--- SKIP"}, {"1", "--- FAIL"}} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestNewMissingEngine$", "-test.v")
		cmd.Env = append(os.Environ(), "LLMTEST_CHILD=1", "BERTH_LLAMA_DIR="+t.TempDir(), "BERTH_REQUIRE_TOOLS="+c.require)
		out, _ := cmd.CombinedOutput()
		if !strings.Contains(string(out), c.want) || !strings.Contains(string(out), "node-llama-cpp "+llmtest.LlamaVersion) {
			t.Errorf("BERTH_REQUIRE_TOOLS=%q: want %s naming node-llama-cpp, got:\n%s", c.require, c.want, out)
		}
	}
}
