// Command tracebench measures berth server's traces on SQLite: OTLP span
// ingest over POST /v1/traces (spans/s, with MLflow's client's one span per
// request and with an SDK exporter's batches), then POST
// /api/3.0/mlflow/traces/search over a large experiment (p50/p95 of the
// default newest-first page, a tag filter and a status filter).
//
//	go build -o bin/berth ./cmd/berth && go run ./bench/cmd/tracebench -traces 100000
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/berthml/berth/bench/proccpu"
)

func main() {
	berth := flag.String("berth", "bin/berth", "berth binary")
	d := flag.Duration("duration", 5*time.Second, "how long each ingest cell runs")
	traces := flag.Int("traces", 100000, "traces in the experiment that search runs over")
	iters := flag.Int("iterations", 200, "calls of each search")
	ingestCells := flag.Bool("ingest", true, "run the ingest cells (false: search only)")
	store := flag.String("store", "", "backend store URI (default: SQLite in a temporary directory); a PostgreSQL URI should name an empty database")
	keep := flag.Bool("keep", false, "keep the temporary directory (its SQLite database) and print where it is")
	ids := flag.String("ids", "random", "trace ids: random (as MLflow's client makes them) or sequential (counting up: every index appends at its end, the best case)")
	clients := flag.String("clients", "4,16,32", "comma-separated client counts of the one-span-per-request cells")
	flag.Parse()
	if !*ingestCells {
		*d = 0
	}
	switch *ids {
	case "random":
	case "sequential":
		randomIDs = false
	default:
		fmt.Fprintf(os.Stderr, "tracebench: -ids must be random or sequential, not %q\n", *ids)
		os.Exit(2)
	}
	var cells []cell
	for _, f := range strings.Split(*clients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "tracebench: -clients: %q is not a positive count\n", f)
			os.Exit(2)
		}
		cells = append(cells, cell{batch: 1, clients: n})
	}
	cells = append(cells, cell{100, 2}, cell{512, 2})
	if err := run(context.Background(), *berth, *store, *keep, *d, cells, *traces, *iters); err != nil {
		fmt.Fprintln(os.Stderr, "tracebench:", err)
		os.Exit(1)
	}
}

var ready = regexp.MustCompile(`msg=ready addr=(http://\S+)`)

// startServer runs berth server on store, or a fresh SQLite database when
// store is empty.
func startServer(ctx context.Context, berth, store string, keep bool) (string, int, func(), error) {
	dir, err := os.MkdirTemp("", "tracebench-")
	if err != nil {
		return "", 0, nil, err
	}
	if store == "" {
		store = "sqlite:///" + filepath.Join(dir, "berth.db")
	}
	cmd := exec.CommandContext(ctx, berth, "server", "--port", "0", "--ui=false",
		"--backend-store-uri", store, "--artifacts-destination", filepath.Join(dir, "artifacts"))
	stderr, err := cmd.StderrPipe()
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		os.RemoveAll(dir) // nothing started: leave no temporary directory behind
		return "", 0, nil, err
	}
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		if keep {
			fmt.Println("\nkept", dir)
			return
		}
		os.RemoveAll(dir)
	}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if m := ready.FindStringSubmatch(sc.Text()); m != nil {
			go func() {
				for sc.Scan() {
				}
			}()
			return m[1], cmd.Process.Pid, stop, nil
		}
	}
	stop()
	return "", 0, nil, fmt.Errorf("berth server exited before it was ready")
}

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// exportBody is an OTLP request of n root spans of n new traces (one span
// each, as MLflow's client's small traces) numbered from first, with
// MLflow's attributes and an llm.model attribute (rare-model on one trace in
// 1,000, else gpt-4o).
func exportBody(first uint64, n int, at time.Time) []byte {
	td := ptrace.NewTraces()
	spans := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	for i := 0; i < n; i++ {
		k := first + uint64(i)
		var tid [16]byte
		var sid [8]byte
		binary.BigEndian.PutUint64(tid[8:], k)
		if randomIDs {
			// As random as MLflow's client's ids (OpenTelemetry's random
			// trace ids), and still one per k: mixed, not drawn.
			binary.BigEndian.PutUint64(tid[:8], mix(k))
			binary.BigEndian.PutUint64(tid[8:], mix(k^0x9e3779b97f4a7c15))
		}
		binary.BigEndian.PutUint64(sid[:], k)
		sp := spans.AppendEmpty()
		sp.SetTraceID(pcommon.TraceID(tid))
		sp.SetSpanID(pcommon.SpanID(sid))
		sp.SetName("predict")
		start := at.Add(time.Duration(k) * time.Millisecond)
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(3 * time.Millisecond)))
		sp.Attributes().PutStr("mlflow.spanType", "LLM")
		sp.Attributes().PutStr("mlflow.spanInputs", `{"question": "which species?"}`)
		sp.Attributes().PutStr("mlflow.spanOutputs", `"setosa"`)
		if k%1000 == 0 {
			sp.Attributes().PutStr("llm.model", "rare-model")
		} else {
			sp.Attributes().PutStr("llm.model", "gpt-4o")
		}
		if k%10 == 0 {
			sp.Status().SetCode(ptrace.StatusCodeError)
		} else {
			sp.Status().SetCode(ptrace.StatusCodeOk)
		}
	}
	b, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	if err != nil {
		panic(err)
	}
	return b
}

// randomIDs makes exportBody's trace ids random-looking rather than
// counting up (-ids).
var randomIDs = true

// mix is SplitMix64's finalizer: a bijection of uint64 that scatters
// consecutive k over the whole range.
func mix(k uint64) uint64 {
	k ^= k >> 30
	k *= 0xbf58476d1ce4e5b9
	k ^= k >> 27
	k *= 0x94d049bb133111eb
	return k ^ k>>31
}

func post(ctx context.Context, url, ct string, body []byte, hdr map[string]string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", ct)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("POST %s: %d %s", url, resp.StatusCode, out)
	}
	return out, nil
}

// batchCounts reads the server's OTLP write requests and the transactions
// that stored them from GET /metrics.
func batchCounts(ctx context.Context, base string) (reqs, txs float64, err error) {
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/metrics", nil)
	if err != nil {
		return 0, 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), " ")
		switch {
		case !ok:
		case name == "berth_traces_span_write_requests_total":
			_, err = fmt.Sscan(v, &reqs)
		case name == "berth_traces_span_write_transactions_total":
			_, err = fmt.Sscan(v, &txs)
		}
		if err != nil {
			return 0, 0, fmt.Errorf("reading /metrics: %w", err)
		}
	}
	return reqs, txs, sc.Err()
}

// createExperiment creates the experiment name, or finds it when it exists
// (a -store or -keep database run again with -traces 0 searches the traces
// seeded before).
func createExperiment(ctx context.Context, base, name string) (string, error) {
	out, err := post(ctx, base+"/api/2.0/mlflow/experiments/create", "application/json", []byte(`{"name": "`+name+`"}`), nil)
	if err != nil && strings.Contains(err.Error(), "RESOURCE_ALREADY_EXISTS") {
		var resp *http.Response
		if resp, err = client.Get(base + "/api/2.0/mlflow/experiments/get-by-name?experiment_name=" + name); err != nil {
			return "", err
		}
		defer resp.Body.Close()
		var r struct {
			Experiment struct {
				ExperimentID string `json:"experiment_id"`
			} `json:"experiment"`
		}
		return r.Experiment.ExperimentID, json.NewDecoder(resp.Body).Decode(&r)
	}
	if err != nil {
		return "", err
	}
	var r struct {
		ExperimentID string `json:"experiment_id"`
	}
	return r.ExperimentID, json.Unmarshal(out, &r)
}

// ingest sends OTLP requests of batch spans from clients goroutines for d
// and returns spans/s.
func ingest(ctx context.Context, base, exp string, batch, clients int, d time.Duration, next *atomic.Uint64) (float64, error) {
	hdr := map[string]string{"X-Mlflow-Experiment-Id": exp}
	at := time.Now().Add(-time.Hour)
	var spans atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Since(start) < d {
				first := next.Add(uint64(batch)) - uint64(batch)
				if _, err := post(ctx, base+"/v1/traces", "application/x-protobuf", exportBody(first, batch, at), hdr); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				spans.Add(int64(batch))
			}
		}()
	}
	wg.Wait()
	return float64(spans.Load()) / time.Since(start).Seconds(), firstErr
}

// cell is one ingest measurement: requests of batch spans from clients
// concurrent clients.
type cell struct{ batch, clients int }

func run(ctx context.Context, berth, store string, keep bool, d time.Duration, cells []cell, traces, iters int) error {
	base, pid, stop, err := startServer(ctx, berth, store, keep)
	if err != nil {
		return err
	}
	defer stop()
	var next atomic.Uint64
	next.Store(1)

	kind := "SQLite (synchronous=normal)"
	if strings.HasPrefix(store, "postgres") {
		kind = "PostgreSQL"
	}
	idKind := "random trace ids"
	if !randomIDs {
		idKind = "sequential trace ids"
	}
	fmt.Printf("\nberth server on %s: OTLP ingest, %s per cell, %s\n\n", kind, d, idKind)
	fmt.Println("| spans per request | clients | spans/s | requests per transaction | server CPU per span |")
	fmt.Println("|---:|---:|---:|---:|---:|")
	exp, err := createExperiment(ctx, base, "ingest")
	if err != nil {
		return err
	}
	for _, cell := range cells {
		if d == 0 {
			break
		}
		reqs0, tx0, err := batchCounts(ctx, base)
		if err != nil {
			return err
		}
		cpu0 := proccpu.Sum(pid)
		rate, err := ingest(ctx, base, exp, cell.batch, cell.clients, d, &next)
		cpu := proccpu.Sum(pid) - cpu0
		if err != nil {
			return err
		}
		reqs1, tx1, err := batchCounts(ctx, base)
		if err != nil {
			return err
		}
		perSpan := "—"
		if cpu > 0 && rate > 0 {
			perSpan = fmt.Sprintf("%.0f µs", cpu.Seconds()/(rate*d.Seconds())*1e6)
		}
		fmt.Printf("| %d | %d | %.0f | %.1f | %s |\n", cell.batch, cell.clients, rate, (reqs1-reqs0)/max(tx1-tx0, 1), perSpan)
	}

	exp, err = createExperiment(ctx, base, "search")
	if err != nil {
		return err
	}
	seedStart := time.Now()
	at := time.Now().Add(-24 * time.Hour)
	hdr := map[string]string{"X-Mlflow-Experiment-Id": exp}
	for done := 0; done < traces; done += 1000 {
		n := min(1000, traces-done)
		first := next.Add(uint64(n)) - uint64(n)
		if _, err := post(ctx, base+"/v1/traces", "application/x-protobuf", exportBody(first, n, at), hdr); err != nil {
			return err
		}
	}
	fmt.Printf("\n%d traces seeded over OTLP in %s\n\n", traces, time.Since(seedStart).Round(time.Millisecond))
	fmt.Printf("traces/search over %d traces on %s, %d calls each, one client\n\n", traces, kind, iters)
	fmt.Println("| search | p50 | p95 | results |")
	fmt.Println("|---|---:|---:|---:|")
	loc := `"locations": [{"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": "` + exp + `"}}]`
	for _, q := range []struct{ name, body string }{
		{"newest 100 (default order)", `{` + loc + `, "max_results": 100}`},
		{"trace.status = 'ERROR', newest 100", `{` + loc + `, "filter": "trace.status = 'ERROR'", "max_results": 100}`},
		{"span.type = 'LLM', oldest 100", `{` + loc + `, "filter": "span.type = 'LLM'", "max_results": 100, "order_by": ["timestamp_ms ASC"]}`},
		{"tags.`mlflow.trace.spansLocation` = 'TRACKING_STORE'", `{` + loc + `, "filter": "tags.` + "`mlflow.trace.spansLocation`" + ` = 'TRACKING_STORE'", "max_results": 100}`},
		{"tags.env = 'none' (no match: scans every trace)", `{` + loc + `, "filter": "tags.env = 'none'", "max_results": 100}`},
		{"span.name = 'nothing' (no match: scans every trace)", `{` + loc + `, "filter": "span.name = 'nothing'", "max_results": 100}`},
		{"span.attributes.`llm.model` = 'gpt-4o' (all match)", `{` + loc + `, "filter": "span.attributes.` + "`llm.model`" + ` = 'gpt-4o'", "max_results": 100}`},
		{"span.attributes.`llm.model` = 'rare-model' (1 in 1,000)", `{` + loc + `, "filter": "span.attributes.` + "`llm.model`" + ` = 'rare-model'", "max_results": 100}`},
		{"span.attributes.`llm.model` = 'nothing' (no match)", `{` + loc + `, "filter": "span.attributes.` + "`llm.model`" + ` = 'nothing'", "max_results": 100}`},
		{"span.attributes.`mlflow.spanInputs` LIKE '%species%' (all match)", `{` + loc + `, "filter": "span.attributes.` + "`mlflow.spanInputs`" + ` LIKE '%species%'", "max_results": 100}`},
		{"span.attributes.`llm.model` LIKE '%nothing%' (no match: checks every trace)", `{` + loc + `, "filter": "span.attributes.` + "`llm.model`" + ` LIKE '%nothing%'", "max_results": 100}`},
		{"trace.execution_time_ms > 2, page 10", `{` + loc + `, "filter": "trace.execution_time_ms > 2", "max_results": 100, "page_token": "eyJvZmZzZXQiOiA5MDB9"}`},
	} {
		var lat []time.Duration
		var results int
		for i := 0; i < iters; i++ {
			t0 := time.Now()
			out, err := post(ctx, base+"/api/3.0/mlflow/traces/search", "application/json", []byte(q.body), nil)
			if err != nil {
				return err
			}
			lat = append(lat, time.Since(t0))
			results = strings.Count(string(out), `"trace_id"`)
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		fmt.Printf("| %s | %s | %s | %d |\n", q.name, lat[len(lat)/2].Round(10*time.Microsecond), lat[len(lat)*95/100].Round(10*time.Microsecond), results)
	}
	return nil
}
