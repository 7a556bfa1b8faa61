package replicatest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berthml/berth/internal/replicatest"
	"github.com/berthml/berth/internal/s3test"
	"github.com/berthml/berth/server"
	"github.com/berthml/berth/server/servertest"
	"github.com/berthml/berth/webhook"
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
	t.Run("KillUnderLoad", func(t *testing.T) { testKill(t, c) }) // last: it kills a replica
}

// testReplay replays the MLflow 2.17.2 and 3.6 transcripts through
// HAProxy, and the same transcripts against one berth server in this
// process, and requires the same status and error_code for every exchange:
// the server package's replay tests judge one server against MLflow; this
// one judges three replicas against one server. It also requires the
// requests to have been spread over every replica.
func testReplay(t *testing.T, c *replicatest.Cluster) {
	ctx := context.Background()
	before, err := c.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	one := servertest.New(t, server.WithWebhookPolicy(webhook.Policy{AllowHTTP: true, AllowPrivate: true})) // as the replicas' flags
	for _, path := range []string{transcript217, transcript36} {
		exchanges := loadExchanges(t, path)
		want := replay(t, one.URL, exchanges)
		got := replay(t, c.URL, exchanges)
		sameAsMLflow, diff := 0, 0
		for i, e := range exchanges {
			if got[i] != want[i] {
				diff++
				t.Errorf("%s seq %d (%s %s %s): through the replicas %s, one server %s (MLflow %d)",
					filepath.Base(path), e.Seq, e.Step, e.Method, e.Path, got[i], want[i], e.Status)
			}
			if got[i].Status == e.Status {
				sameAsMLflow++
			}
		}
		t.Logf("%s: %d exchanges through HAProxy and 3 replicas; %d answered as one server does, %d differ; %d with MLflow's status",
			filepath.Base(path), len(exchanges), len(exchanges)-diff, diff, sameAsMLflow)
	}
	after, err := c.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range c.Replicas {
		n := after[r.Name].Requests - before[r.Name].Requests
		t.Logf("replica %s served %d of the replayed requests", r.Name, n)
		if n < 50 {
			t.Errorf("replica %s served %d requests of the replay: HAProxy did not spread them", r.Name, n)
		}
	}
}

// testSharedState writes through one replica and reads through the others:
// an experiment and its run (PostgreSQL), a registered model's alias, and
// an artifact (the bucket).
func testSharedState(t *testing.T, c *replicatest.Cluster) {
	ctx := context.Background()
	cl := http.DefaultClient
	r0, r1, r2 := c.Replicas[0].URL, c.Replicas[1].URL, c.Replicas[2].URL
	var exp struct {
		ExperimentID string `json:"experiment_id"`
	}
	if _, err := call(ctx, cl, "POST", r0+"/api/2.0/mlflow/experiments/create", map[string]any{"name": "shared-" + time.Now().Format("150405.000")}, &exp); err != nil {
		t.Fatal(err)
	}
	var run struct {
		Run struct {
			Info struct {
				RunID string `json:"run_id"`
			} `json:"info"`
		} `json:"run"`
	}
	if _, err := call(ctx, cl, "POST", r1+"/api/2.0/mlflow/runs/create", map[string]any{"experiment_id": exp.ExperimentID}, &run); err != nil {
		t.Fatal(err)
	}
	id := run.Run.Info.RunID
	if _, err := call(ctx, cl, "POST", r2+"/api/2.0/mlflow/runs/log-metric", map[string]any{"run_id": id, "key": "loss", "value": 0.5, "timestamp": 1, "step": 1}, nil); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Run struct {
			Data struct {
				Metrics []struct {
					Key   string  `json:"key"`
					Value float64 `json:"value"`
				} `json:"metrics"`
			} `json:"data"`
		} `json:"run"`
	}
	if _, err := call(ctx, cl, "GET", r0+"/api/2.0/mlflow/runs/get?run_id="+id, nil, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Run.Data.Metrics) != 1 || got.Run.Data.Metrics[0].Value != 0.5 {
		t.Errorf("run written through r1 and r2, read through r0: metrics %+v", got.Run.Data.Metrics)
	}

	// A model version and its alias, set through one replica, resolved
	// through each of the others at once: no replica caches registry state.
	name := "shared-model-" + time.Now().Format("150405000")
	if _, err := call(ctx, cl, "POST", r0+"/api/2.0/mlflow/registered-models/create", map[string]any{"name": name}, nil); err != nil {
		t.Fatal(err)
	}
	for v := 1; v <= 2; v++ {
		if _, err := call(ctx, cl, "POST", r1+"/api/2.0/mlflow/model-versions/create", map[string]any{"name": name, "source": "runs:/" + id + "/model", "run_id": id}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := call(ctx, cl, "POST", r2+"/api/2.0/mlflow/registered-models/alias", map[string]any{"name": name, "alias": "champion", "version": fmt.Sprint(v)}, nil); err != nil {
			t.Fatal(err)
		}
		for _, r := range c.Replicas {
			var mv struct {
				ModelVersion struct {
					Version string `json:"version"`
				} `json:"model_version"`
			}
			if _, err := call(ctx, cl, "GET", r.URL+"/api/2.0/mlflow/registered-models/alias?name="+name+"&alias=champion", nil, &mv); err != nil {
				t.Fatal(err)
			}
			if mv.ModelVersion.Version != fmt.Sprint(v) {
				t.Errorf("alias champion moved to version %d through r2; %s resolves it to %q", v, r.Name, mv.ModelVersion.Version)
			}
		}
	}

	// An artifact uploaded through r0 downloads through r1 and r2.
	content := bytes.Repeat([]byte("berth replicas share one bucket\n"), 1000)
	url := "/api/2.0/mlflow-artifacts/artifacts/" + exp.ExperimentID + "/" + id + "/artifacts/shared.txt"
	req, _ := http.NewRequestWithContext(ctx, "PUT", r0+url, bytes.NewReader(content))
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("artifact upload through r0: %d", resp.StatusCode)
	}
	for _, r := range []string{r1, r2} {
		resp, err := cl.Get(r + url)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !bytes.Equal(b, content) {
			t.Errorf("artifact uploaded through r0, read through %s: %d, %d bytes of %d", r, resp.StatusCode, len(b), len(content))
		}
	}
}

// testMultipart makes MLflow's proxy multipart upload with each step on
// another replica: mpu/create on r0, the parts PUT straight to the bucket
// through the presigned URLs r0 gave, mpu/complete on r1, the download on
// r2. The upload's state is the bucket's, not a replica's.
func testMultipart(t *testing.T, c *replicatest.Cluster) {
	const dir = "0/multipart/artifacts"
	part1 := bytes.Repeat([]byte("0123456789abcdef"), 5<<20/16) // S3's smallest part but the last: 5 MiB
	part2 := []byte("the last part of the file\n")
	mpu := "/api/2.0/mlflow-artifacts/mpu/"
	post := func(base, op string, v any, out any) {
		t.Helper()
		if _, err := call(context.Background(), http.DefaultClient, "POST", base+mpu+op+"/"+dir, v, out); err != nil {
			t.Fatal(err)
		}
	}
	var create struct {
		UploadID    string `json:"upload_id"`
		Credentials []struct {
			URL        string            `json:"url"`
			PartNumber int64             `json:"part_number"`
			Headers    map[string]string `json:"headers"`
		} `json:"credentials"`
	}
	post(c.Replicas[0].URL, "create", map[string]any{"path": "/local/weights.bin", "num_parts": 2}, &create)
	if len(create.Credentials) != 2 {
		t.Fatalf("mpu/create: %d credentials, want 2", len(create.Credentials))
	}
	var parts []map[string]any
	for i, body := range [][]byte{part1, part2} {
		cr := create.Credentials[i]
		req, _ := http.NewRequest("PUT", cr.URL, bytes.NewReader(body))
		for k, v := range cr.Headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("PUT part %d to the bucket: %s", cr.PartNumber, resp.Status)
		}
		parts = append(parts, map[string]any{"part_number": cr.PartNumber, "etag": resp.Header.Get("ETag")})
	}
	post(c.Replicas[1].URL, "complete", map[string]any{"path": "/local/weights.bin", "upload_id": create.UploadID, "parts": parts}, nil)
	resp, err := http.Get(c.Replicas[2].URL + "/api/2.0/mlflow-artifacts/artifacts/" + dir + "/weights.bin")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, append(part1, part2...)) {
		t.Errorf("download through r2 of the file uploaded through r0 and r1: %s, %d bytes of %d", resp.Status, len(got), len(part1)+len(part2))
	}
}

// testWebhooksOnce registers one webhook and creates registered models
// through HAProxy from concurrent clients: each event is delivered exactly
// once, whichever replica served its request (the replica that serves a
// request emits its event into its own queue; no other replica sees it).
func testWebhooksOnce(t *testing.T, c *replicatest.Cluster) {
	ctx := context.Background()
	var mu sync.Mutex
	got := map[string]int{}
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p struct {
			Entity string `json:"entity"`
			Data   struct {
				Name string `json:"name"`
			} `json:"data"`
		}
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &p); err != nil {
			t.Errorf("delivery body %.200s: %v", body, err)
		}
		mu.Lock()
		got[p.Data.Name]++
		mu.Unlock()
	}))
	defer recv.Close()
	if _, err := call(ctx, http.DefaultClient, "POST", c.URL+"/api/2.0/mlflow/webhooks", map[string]any{
		"name": "once", "url": recv.URL + "/hook", "secret": "0123456789abcdef",
		"events": []map[string]string{{"entity": "registered_model", "action": "created"}},
	}, nil); err != nil {
		t.Fatal(err)
	}
	const models = 30
	prefix := "hooked-" + time.Now().Format("150405000") + "-"
	var wg sync.WaitGroup
	for i := range models {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := call(ctx, http.DefaultClient, "POST", c.URL+"/api/2.0/mlflow/registered-models/create", map[string]any{"name": fmt.Sprint(prefix, i)}, nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	count := func() (names, deliveries int) {
		mu.Lock()
		defer mu.Unlock()
		for k, n := range got {
			if strings.HasPrefix(k, prefix) {
				names++
				deliveries += n
			}
		}
		return
	}
	deadline := time.Now().Add(15 * time.Second)
	for n, _ := count(); n < models && time.Now().Before(deadline); n, _ = count() {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second) // a second delivery of any event would come by now
	names, deliveries := count()
	t.Logf("%d models created through 3 replicas: %d delivered, %d deliveries", models, names, deliveries)
	for i := range models {
		if n := got[fmt.Sprint(prefix, i)]; n != 1 {
			t.Errorf("model %s%d: %d deliveries, want 1", prefix, i, n)
		}
	}
}

var assetRef = regexp.MustCompile(`(?:src|href)="(/static/[^"]+)"`)

// testUI loads the UI's page, every file it names and the API calls its
// first page makes, from each replica directly and through HAProxy.
func testUI(t *testing.T, c *replicatest.Cluster) {
	ctx := context.Background()
	bases := []string{c.URL}
	for _, r := range c.Replicas {
		bases = append(bases, r.URL)
	}
	for _, base := range bases {
		resp, err := http.Get(base + "/")
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("GET %s/: %d %s", base, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		refs := assetRef.FindAllStringSubmatch(string(page), -1)
		if len(refs) == 0 {
			t.Fatalf("GET %s/ names no /static/ file:\n%.500s", base, page)
		}
		for _, m := range refs {
			resp, err := http.Get(base + m[1])
			if err != nil {
				t.Fatal(err)
			}
			n, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || n == 0 {
				t.Errorf("GET %s%s: %d, %d bytes", base, m[1], resp.StatusCode, n)
			}
		}
		for _, api := range []struct{ method, path string }{
			{"POST", "/ajax-api/2.0/mlflow/experiments/search"},
			{"GET", "/ajax-api/2.0/mlflow/registered-models/search"},
			{"POST", "/ajax-api/2.0/mlflow/runs/search"},
		} {
			var body any
			if api.method == "POST" {
				body = map[string]any{"max_results": 10, "experiment_ids": []string{"0"}}
			}
			if _, err := call(ctx, http.DefaultClient, api.method, base+api.path, body, nil); err != nil {
				t.Errorf("the UI's %v", err)
			}
		}
	}
}

// ack is a write a replica acknowledged with 200.
type ack struct {
	run  string
	key  string
	step int64
}

// testKill runs concurrent writers (create-run, log-metric, log-batch)
// through HAProxy, kills one replica with SIGKILL in the middle, and
// checks that HAProxy takes it out by its health check, that at most the
// requests in flight at the kill failed (one per writer), and that every
// write answered 200 is in the database afterwards.
func testKill(t *testing.T, c *replicatest.Cluster) {
	ctx := context.Background()
	const writers = 8
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: writers}, Timeout: 30 * time.Second}
	var exp struct {
		ExperimentID string `json:"experiment_id"`
	}
	if _, err := call(ctx, client, "POST", c.URL+"/api/2.0/mlflow/experiments/create", map[string]any{"name": "kill-" + time.Now().Format("150405.000")}, &exp); err != nil {
		t.Fatal(err)
	}
	var (
		mu       sync.Mutex
		acked    []ack
		runs     []string
		failures []string
		failedAt []time.Time
		stop     atomic.Bool
		total    atomic.Int64
		wg       sync.WaitGroup
	)
	createRun := func() (string, error) {
		var run struct {
			Run struct {
				Info struct {
					RunID string `json:"run_id"`
				} `json:"info"`
			} `json:"run"`
		}
		_, err := call(ctx, client, "POST", c.URL+"/api/2.0/mlflow/runs/create", map[string]any{"experiment_id": exp.ExperimentID}, &run)
		return run.Run.Info.RunID, err
	}
	for w := range writers {
		run, err := createRun()
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock() // writers started earlier append to runs too
		runs = append(runs, run)
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int64(1); !stop.Load(); i++ {
				var err error
				var a []ack
				switch i % 5 {
				case 0:
					var id string
					if id, err = createRun(); err == nil {
						mu.Lock()
						runs = append(runs, id)
						mu.Unlock()
					}
				case 1, 3:
					_, err = call(ctx, client, "POST", c.URL+"/api/2.0/mlflow/runs/log-metric",
						map[string]any{"run_id": run, "key": "m", "value": float64(i), "timestamp": i, "step": i}, nil)
					a = []ack{{run, "m", i}}
				default:
					_, err = call(ctx, client, "POST", c.URL+"/api/2.0/mlflow/runs/log-batch", map[string]any{"run_id": run,
						"metrics": []map[string]any{{"key": "b1", "value": float64(i), "timestamp": i, "step": i}, {"key": "b2", "value": float64(i), "timestamp": i, "step": i}}}, nil)
					a = []ack{{run, "b1", i}, {run, "b2", i}}
				}
				total.Add(1)
				mu.Lock()
				if err != nil {
					failures = append(failures, fmt.Sprintf("writer %d op %d: %v", w, i, err))
					failedAt = append(failedAt, time.Now())
				} else {
					acked = append(acked, a...)
				}
				mu.Unlock()
			}
		}()
	}
	time.Sleep(3 * time.Second)
	atKill := total.Load()
	killed := time.Now()
	c.Kill(1)
	down, err := c.WaitStatus(ctx, 1, "DOWN", 10*time.Second)
	if err != nil {
		t.Error(err)
	}
	t.Logf("SIGKILL of r1 after %d requests; HAProxy marked it DOWN %s later", atKill, down.Round(time.Millisecond))
	afterDown := total.Load()
	time.Sleep(3 * time.Second)
	stop.Store(true)
	wg.Wait()
	t.Logf("%d requests in all (%d after r1 was marked down), %d acknowledged metric writes, %d runs, %d failed, within %s of the kill",
		total.Load(), total.Load()-afterDown, len(acked), len(runs), len(failures), time.Since(killed).Round(time.Millisecond))
	for _, f := range failures {
		t.Log("failed: " + f)
	}
	// A writer's request in flight on r1 fails, and so may its next one
	// when HAProxy sends it to r1 while the kernel tears the process down,
	// or on a connection HAProxy closes because its r1 connection died:
	// nothing fails once HAProxy has marked r1 down.
	downAt := killed.Add(down)
	for i, at := range failedAt {
		if at.After(downAt.Add(200 * time.Millisecond)) {
			t.Errorf("a request failed %s after HAProxy marked r1 down: %s", at.Sub(downAt).Round(time.Millisecond), failures[i])
		}
	}
	if len(failures) > 2*writers {
		t.Errorf("%d requests failed; at most the %d writers' requests around the kill may", len(failures), writers)
	}
	if total.Load()-afterDown < 10 {
		t.Errorf("only %d requests after the replica went down: the load did not go on", total.Load()-afterDown)
	}

	// Every acknowledged write is found, read through the survivors.
	want := map[ack]bool{}
	for _, a := range acked {
		want[a] = true
	}
	type series struct{ run, key string }
	keys := map[series]bool{}
	for a := range want {
		keys[series{a.run, a.key}] = true
	}
	found := 0
	for s := range keys {
		token := ""
		for {
			var h struct {
				Metrics []struct {
					Step int64 `json:"step"`
				} `json:"metrics"`
				NextPageToken string `json:"next_page_token"`
			}
			q := fmt.Sprintf("%s/api/2.0/mlflow/metrics/get-history?run_id=%s&metric_key=%s&max_results=25000", c.URL, s.run, s.key)
			if token != "" {
				q += "&page_token=" + token
			}
			if _, err := call(ctx, client, "GET", q, nil, &h); err != nil {
				t.Fatal(err)
			}
			for _, m := range h.Metrics {
				if want[ack{s.run, s.key, m.Step}] {
					delete(want, ack{s.run, s.key, m.Step})
					found++
				}
			}
			if token = h.NextPageToken; token == "" {
				break
			}
		}
	}
	if len(want) > 0 {
		n := 0
		for a := range want {
			if n++; n <= 10 {
				t.Errorf("acknowledged write lost: run %s %s step %d", a.run, a.key, a.step)
			}
		}
		t.Errorf("%d of %d acknowledged metric writes lost", len(want), len(acked))
	}
	for _, id := range runs {
		if _, err := call(ctx, client, "GET", c.URL+"/api/2.0/mlflow/runs/get?run_id="+id, nil, nil); err != nil {
			t.Errorf("acknowledged run lost: %v", err)
		}
	}
	t.Logf("all %d acknowledged metric writes and %d runs found after the kill", found, len(runs))
	if found == 0 {
		t.Error("no write was acknowledged")
	}
}
