package replicatest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/berthml/berth/internal/replicatest"
	"github.com/berthml/berth/internal/s3test"
)

// need fails the test (BERTH_REQUIRE_TOOLS=1) or skips it, naming what is
// missing.
func need(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv("BERTH_REQUIRE_TOOLS") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// startCluster starts SeaweedFS with a bucket, a fresh PostgreSQL database
// (scripts/start-postgres.sh) and three berth server replicas behind
// HAProxy, until the test ends.
func startCluster(t *testing.T, n int, args ...string) *replicatest.Cluster {
	t.Helper()
	if _, err := exec.LookPath("haproxy"); err != nil {
		need(t, "haproxy is missing: run make tools (scripts/install-tools.sh installs Debian's haproxy)")
	}
	out, err := exec.Command("../../scripts/start-postgres.sh").Output()
	if err != nil {
		need(t, fmt.Sprintf("PostgreSQL did not start (scripts/start-postgres.sh; apt-get install postgresql): %v", err))
	}
	pg := strings.TrimSpace(string(out))
	if u, err := url.Parse(pg); err == nil && strings.HasPrefix(u.Path, "/berth_test_") {
		db := strings.TrimPrefix(u.Path, "/")
		u.Path = "/postgres"
		t.Cleanup(func() { // after the replicas stop (cleanups run last first)
			exec.Command("psql", u.String(), "-qc", "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)").Run()
		})
	}
	weed := s3test.Start(t)
	if err := weed.CreateBucket("berth"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	c, err := replicatest.Start(context.Background(), replicatest.Config{
		Berth: berthBinary(t), PostgresURI: pg, Artifacts: "s3://berth/artifacts", S3Endpoint: weed.Endpoint,
		Env:      []string{"AWS_ACCESS_KEY_ID=" + s3test.AccessKey, "AWS_SECRET_ACCESS_KEY=" + s3test.SecretKey, "AWS_REGION=us-east-1"},
		Replicas: n, Dir: dir, Args: args,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(c.Logs())
		}
		c.Close()
	})
	return c
}

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// TestMain removes the berth binary the tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if builtBin != "" {
		os.RemoveAll(filepath.Dir(builtBin))
	}
	os.Exit(code)
}

// berthBinary is $BERTH_BIN, or berth built from this tree once per test
// binary.
func berthBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("BERTH_BIN"); bin != "" {
		return bin
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "replicatest-berth-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "berth")
		out, err := exec.Command("go", "build", "-o", builtBin, "../../cmd/berth").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./cmd/berth: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// call POSTs or GETs JSON and decodes the answer into out (when not nil).
func call(ctx context.Context, client *http.Client, method, url string, body, out any) (int, error) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode == http.StatusOK && out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("answer %.200s: %w", data, err)
		}
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %.300s", method, url, resp.StatusCode, data)
	}
	return resp.StatusCode, nil
}

// TestReplicas runs three berth server replicas on one PostgreSQL database
// and one SeaweedFS bucket behind HAProxy, and checks that together they
// act as one server: the MLflow transcripts replay through the balancer as
// against one server, state written through one replica is read through
// any other, the UI loads from each, and a replica killed with SIGKILL
// under load loses no acknowledged write.
func TestReplicas(t *testing.T) {
	// Every replica gets the same --webhook-secret-key: a webhook's secret
	// is sealed with it in the database, and a replica with another key
	// (the random one berth takes without the flag) cannot open it and
	// skips that webhook's deliveries (docs/scale-out.md).
	c := startCluster(t, 3, "--webhook-allow-http", "--webhook-allow-private", "--webhook-secret-key", "replicatest-shared-webhook-key")
	t.Run("Replay", func(t *testing.T) { testReplay(t, c) })
	t.Run("SharedState", func(t *testing.T) { testSharedState(t, c) })
	t.Run("MultipartAcrossReplicas", func(t *testing.T) { testMultipart(t, c) })
	t.Run("WebhooksOnce", func(t *testing.T) { testWebhooksOnce(t, c) })
	t.Run("UI", func(t *testing.T) { testUI(t, c) })
	t.Run("KillUnderLoad", func(t *testing.T) { testKill(t, c) })                               // it kills replica 1
	t.Run("WebhooksRedeliveredAfterKill", func(t *testing.T) { testWebhooksRedelivered(t, c) }) // it kills replica 0
}

var assetRef = regexp.MustCompile(`(?:src|href)="(/static/[^"]+)"`)

// ack is a write a replica acknowledged with 200.
type ack struct {
	run  string
	key  string
	step int64
}
