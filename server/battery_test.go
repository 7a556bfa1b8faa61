package server_test

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/berthml/berth/internal/httpguard/guardtest"
)

// The fields the tracking and registry API's requests have, so that each
// malformed body or query below hits whatever a route reads.
var batteryFields = []string{"experiment_id", "experiment_ids", "experiment_name", "run_id", "run_uuid", "name", "new_name",
	"version", "key", "value", "path", "filter", "order_by", "max_results", "page_token", "tags", "metrics", "params",
	"source", "alias", "stage", "artifact_location", "run_name", "user_id", "timestamp", "step", "datasets", "description",
	"status", "end_time", "metric_key", "view_type", "num_parts", "upload_id", "parts"}

// batteryQueries are malformed query strings for GET routes.
func batteryQueries() []string {
	each := func(v string) string {
		q := url.Values{}
		for _, f := range batteryFields {
			q.Set(f, v)
		}
		return q.Encode()
	}
	deep := strings.TrimSuffix(strings.Repeat("params.a = 'x' and ", 1000), " and ")
	return []string{
		"",
		each("a\x00b"),
		each(strings.Repeat("x", 20_000)),
		"experiment_id=-1&run_id=../../x&name=../x&version=99999999999999999999999&max_results=-1",
		"experiment_id=99999999999999999999&max_results=abc&page_token=%25%25%25&filter=((((",
		"max_results=1000000000&page_token=" + base64.StdEncoding.EncodeToString([]byte(`{"offset": -5}`)),
		"page_token=" + base64.StdEncoding.EncodeToString([]byte(`{"offset": 1e999, "start": [1]}`)) + "&run_id=x",
		"page_token=bm90IGpzb24&experiment_ids=x&filter=" + url.QueryEscape(deep),
		"path=../../../etc/passwd&name=m&version=1&run_id=x&run_uuid=x",
		"path=%252e%252e%252fetc&run_uuid=x&name=m&version=1",
		"name=%ff%fe&experiment_name=%c3&run_id=%ed%a0%80&filter=name%3D%27%ff%27",
		"filter=" + url.QueryEscape("name = 'a' or name = 'b'") + "&order_by=" + url.QueryEscape("name; DROP TABLE runs"),
		"experiment_id=0&run_id=00000000000000000000000000000000&name=m&version=0&alias=latest&metric_key=m",
	}
}

// batteryBodies are malformed JSON bodies, with the content type each is
// sent with.
func batteryBodies() [][2]string {
	obj := func(v string) string {
		parts := make([]string, len(batteryFields))
		for i, f := range batteryFields {
			parts[i] = fmt.Sprintf("%q: %s", f, v)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	const js = "application/json"
	deepFilter := strings.TrimSuffix(strings.Repeat("metrics.m > 1 and ", 1000), " and ")
	return [][2]string{
		{js, "{not json"},
		{js, "[]"},
		{js, `"a string"`},
		{js, "null"},
		{js, "1e999"},
		{js, "{}"},
		{js, obj(`{"a": 1}`)},
		{js, obj(`[1, [2]]`)},
		{js, obj(`true`)},
		{js, obj(`-1`)},
		{js, obj(`1e400`)},
		{js, obj(`"a\u0000b"`)},
		{js, obj(`["\u0000"]`)},
		{js, obj(`[{"key": "\u0000", "value": "\u0000", "timestamp": -1, "step": "x"}]`)},
		{js, obj(fmt.Sprintf("%q", strings.Repeat("x", 10_000)))},
		{js, obj(`"../../../../etc"`)},
		{js, obj(`"\xff\xfe"`)},
		{js, obj(`"\ud800"`)},
		{js, obj(fmt.Sprintf("%q", deepFilter))},
		{js, strings.Repeat(`{"a":`, 20_000) + "1" + strings.Repeat("}", 20_000)},
		{js, strings.Repeat("[", 100_000)},
		{js, `{"name": "x", "name": 5}`},
		{js, `{"experiment_id": "0", "run_id": "x", "page_token": "bm90IGpzb24", "max_results": 50001}`},
		{"text/plain", `{"name": "x"}`},
		{"", `{"name": "x"}`},
		{"application/json; charset=\xff", `{}`},
		{"multipart/form-data; boundary=x", "--x\r\n\r\n--x--"},
	}
}

// batteryPaths are artifact paths that try to leave the artifact root or
// break the file system.
var batteryPaths = []string{
	"../../../etc/passwd", "0/../../x", "%2e%2e/%2e%2e/etc/passwd", "..%2f..%2fetc", "%252e%252e%252fetc", "0/a%00b",
	"0/a\\..\\..\\b", "/etc/passwd", "0//x", "0/./x", strings.Repeat("n", 300), strings.Repeat("d/", 2000) + "x",
	"0/%ff%fe", "0/x/", "0/r/file.txt/below",
}

// TestMalformedInputBattery sends well over 300 malformed requests over
// every route of the server, on each store, through a real listener, and
// checks that none is answered 5xx (but MLflow's deliberate 501 on the
// multipart-upload routes), that the server still answers after, and that
// its heap stays bounded.
func TestMalformedInputBattery(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			srv := newServerOn(t, b.open(t))
			ts := httptest.NewServer(srv.Handler())
			defer ts.Close()
			client := ts.Client()
			if status, body := call(t, ts.URL, "PUT", "/api/2.0/mlflow-artifacts/artifacts/0/r/file.txt", "", "x"); status != 200 {
				t.Fatalf("seeding an artifact: %d %s", status, body)
			}
			if status, body := call(t, ts.URL, "POST", "/api/2.0/mlflow/registered-models/create", "application/json", `{"name":"m"}`); status != 200 {
				t.Fatalf("seeding a model: %d %s", status, body)
			}
			runtime.GC()
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			rssBefore := guardtest.RSS(t)

			counts := map[int]int{}
			total := 0
			var slowest time.Duration
			var slowestReq string
			do := func(method, rawURL, contentType, body string) {
				req, err := http.NewRequest(method, rawURL, strings.NewReader(body))
				if err != nil {
					// A URL Go cannot even send is not a request.
					return
				}
				if contentType != "" {
					req.Header.Set("Content-Type", contentType)
				}
				start := time.Now()
				resp, err := client.Do(req)
				if took := time.Since(start); took > slowest {
					slowest, slowestReq = took, fmt.Sprintf("%s %.100s (%.60q)", method, rawURL, body)
				}
				if err != nil {
					t.Errorf("%s %.120s: %v", method, rawURL, err)
					return
				}
				msg, _ := io.ReadAll(io.LimitReader(resp.Body, 600))
				resp.Body.Close()
				total++
				counts[resp.StatusCode]++
				mpu := strings.Contains(req.URL.Path, "/mlflow-artifacts/mpu/")
				if resp.StatusCode >= 500 && !(mpu && resp.StatusCode == 501) {
					t.Errorf("%s %.160s (%s, %.80q) = %d %s", method, rawURL, contentType, body, resp.StatusCode, msg)
				}
			}
			for _, r := range srv.Routes() {
				paths := []string{r.Path}
				if strings.Contains(r.Path, "*path") {
					paths = nil
					for _, p := range batteryPaths {
						paths = append(paths, strings.Replace(r.Path, "*path", p, 1))
					}
				}
				for _, p := range paths {
					switch r.Method {
					case "GET", "HEAD":
						for _, q := range batteryQueries() {
							do(r.Method, ts.URL+p+"?"+q, "", "")
						}
					default:
						bodies := batteryBodies()
						if p != r.Path {
							// Path tricks: the body matters less.
							bodies = append(bodies[:2:2], [2]string{"application/octet-stream", "x"})
						}
						for _, b := range bodies {
							do(r.Method, ts.URL+p, b[0], b[1])
						}
					}
				}
				do("OPTIONS", ts.URL+r.Path, "", "")
			}
			if total < 300 {
				t.Errorf("only %d requests sent", total)
			}
			runtime.GC()
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
			if grew > 64<<20 {
				t.Errorf("the heap grew by %d MiB over the battery", grew>>20)
			}
			rss := guardtest.RSS(t)
			if rss > rssBefore+256<<20 {
				t.Errorf("the resident set grew from %d MiB to %d MiB over the battery, want under +256 MiB", rssBefore>>20, rss>>20)
			}
			if status, body := call(t, ts.URL, "GET", "/api/2.0/mlflow/experiments/get?experiment_id=0", "", ""); status != 200 {
				t.Errorf("after the battery: %d %s", status, body)
			}
			codes := make([]int, 0, len(counts))
			for c := range counts {
				codes = append(codes, c)
			}
			sort.Ints(codes)
			var sum []string
			for _, c := range codes {
				sum = append(sum, fmt.Sprintf("%d×%d", counts[c], c))
			}
			t.Logf("%s: %d malformed requests over %d routes: %s; heap %+d KiB after GC; RSS %d MiB before, %d MiB after; slowest %s: %s",
				b.name, total, len(srv.Routes()), strings.Join(sum, ", "), grew>>10, rssBefore>>20, rss>>20, slowest.Round(time.Millisecond), slowestReq)
		})
	}
}
