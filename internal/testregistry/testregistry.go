// Package testregistry starts Debian's docker-registry (distribution 2.8)
// for tests: a real OCI registry on 127.0.0.1 with its storage in a
// temporary directory.
package testregistry

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Start runs docker-registry until the test ends and returns its host:port.
// Without the binary the test is skipped, or fails when BERTH_REQUIRE_TOOLS=1.
func Start(tb testing.TB) string {
	tb.Helper()
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		if os.Getenv("BERTH_REQUIRE_TOOLS") == "1" {
			tb.Fatal("docker-registry not installed (make tools, or apt-get install docker-registry)")
		}
		tb.Skip("docker-registry not installed (make tools, or apt-get install docker-registry)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := tb.TempDir()
	cfg := filepath.Join(dir, "config.yml")
	conf := fmt.Sprintf("version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: %s\n", filepath.Join(dir, "data"), addr)
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", cfg)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if tb.Failed() {
			tb.Logf("docker-registry:\n%s", logs.String())
		}
	})
	for range 100 {
		if resp, err := http.Get("http://" + addr + "/v2/"); err == nil {
			resp.Body.Close()
			return addr
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatal("docker-registry did not start")
	return ""
}
