package serve_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/berthml/berth/internal/httpguard/guardtest"
	"github.com/berthml/berth/serve"
)

// batteryReq is one malformed (or, for a few, well-formed) request.
type batteryReq struct {
	name        string
	method      string
	path        string
	contentType string
	body        []byte
	header      []string // name, value, ...
	// raw, when set, is sent as is on a fresh connection (truncated
	// bodies, bodies that never end), instead of method/path/body.
	raw string
	// wantOK marks the well-formed requests that must answer 200.
	wantOK bool
}

// The routes that take a body, with the content type each protocol wants.
var batteryRoutes = []struct{ path, contentType string }{
	{"/invocations", "application/json"},
	{"/models/iris/invocations", "application/json"},
	{"/models/multi/invocations", "application/json"},
	{"/models/species/invocations", "application/json"},
	{"/v2/models/iris/infer", "application/json"},
	{"/v2/models/iris/versions/1/infer", "application/json"},
	{"/v2/models/multi/infer", "application/json"},
	{"/v2/models/species/infer", "application/json"},
	{"/v1/models/iris:predict", "application/json"},
	{"/v1/models/multi:predict", "application/json"},
}

// malformedBodies are bodies no route can take.
func malformedBodies() map[string][]byte {
	deepArr := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	deepObj := strings.Repeat(`{"a":`, 50000) + "1" + strings.Repeat("}", 50000)
	longStr := `{"inputs": "` + strings.Repeat("x", 200000) + `"}`
	manyKeys := "{" + strings.TrimSuffix(strings.Repeat(`"k":1,`, 20000), ",") + "}"
	b := map[string][]byte{
		"empty":                 nil,
		"open brace":            []byte("{"),
		"close brace":           []byte("}"),
		"open bracket":          []byte("["),
		"null":                  []byte("null"),
		"true":                  []byte("true"),
		"number":                []byte("0"),
		"minus":                 []byte("-"),
		"string":                []byte(`"inputs"`),
		"array":                 []byte("[]"),
		"object":                []byte("{}"),
		"deep arrays":           []byte(deepArr),
		"deep objects":          []byte(deepObj),
		"long string":           []byte(longStr),
		"many keys":             []byte(manyKeys),
		"inputs null":           []byte(`{"inputs": null}`),
		"inputs number":         []byte(`{"inputs": 1}`),
		"inputs string":         []byte(`{"inputs": "x"}`),
		"inputs empty list":     []byte(`{"inputs": []}`),
		"inputs empty object":   []byte(`{"inputs": {}}`),
		"inputs empty row":      []byte(`{"inputs": [[]]}`),
		"inputs NaN string":     []byte(`{"inputs": [["NaN", "NaN", "NaN", "NaN"]]}`),
		"inputs bare NaN":       []byte(`{"inputs": [[NaN, 1, 2, 3]]}`),
		"inputs Infinity":       []byte(`{"inputs": [[Infinity, 1, 2, 3]]}`),
		"huge exponent":         []byte(`{"inputs": [[1e999, -1e999, 1e-999, 2]]}`),
		"huge integer":          []byte(`{"inputs": [[123456789012345678901234567890, 1, 2, 3]]}`),
		"leading zeros":         []byte(`{"inputs": [[00001, 1, 2, 3]]}`),
		"hex number":            []byte(`{"inputs": [[0x10, 1, 2, 3]]}`),
		"invalid UTF-8":         []byte("{\"inputs\": [[\"\xff\xfe\", 1, 2, 3]]}"),
		"NUL in key":            []byte("{\"inp\x00uts\": [[1, 2, 3, 4]]}"),
		"BOM":                   append([]byte("\xef\xbb\xbf"), `{"inputs": [[1, 2, 3, 4]]}`...),
		"trailing garbage":      []byte(`{"inputs": [[1, 2, 3, 4]]} xyz`),
		"two documents":         []byte(`{"inputs": [[1, 2, 3, 4]]}{"inputs": [[1, 2, 3, 4]]}`),
		"duplicate keys":        []byte(`{"inputs": [[1, 2, 3, 4]], "inputs": 7}`),
		"truncated":             []byte(`{"inputs": [[1, 2, 3`),
		"unterminated string":   []byte(`{"inputs": "abc`),
		"bad escape":            []byte(`{"inputs": "\q"}`),
		"lone surrogate":        []byte(`{"inputs": ["\ud800"]}`),
		"single quotes":         []byte(`{'inputs': [[1, 2, 3, 4]]}`),
		"comments":              []byte(`{/* c */ "inputs": [[1, 2, 3, 4]]}`),
		"ragged rows":           []byte(`{"inputs": [[1, 2, 3, 4], [1, 2]]}`),
		"row of objects":        []byte(`{"inputs": [{"a": 1}, {"b": 2}]}`),
		"nested too deep":       []byte(`{"inputs": [[[[[[[[1]]]]]]]]}`),
		"bools":                 []byte(`{"inputs": [[true, false, true, false]]}`),
		"strings":               []byte(`{"inputs": [["a", "b", "c", "d"]]}`),
		"nulls":                 []byte(`{"inputs": [[null, null, null, null]]}`),
		"mixed":                 []byte(`{"inputs": [[1, "b", null, {}]]}`),
		"unknown top key":       []byte(`{"nonsense": [[1, 2, 3, 4]]}`),
		"two top keys":          []byte(`{"inputs": [[1, 2, 3, 4]], "instances": [[1, 2, 3, 4]]}`),
		"params wrong type":     []byte(`{"inputs": [[1, 2, 3, 4]], "params": [1, 2]}`),
		"params huge":           []byte(`{"inputs": [[1, 2, 3, 4]], "params": {"x": 1e999}}`),
		"dataframe_split bad":   []byte(`{"dataframe_split": {"columns": 1, "data": 2}}`),
		"dataframe_split rows":  []byte(`{"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2, 3]]}}`),
		"dataframe_split none":  []byte(`{"dataframe_split": null}`),
		"dataframe_records bad": []byte(`{"dataframe_records": [1, 2, 3]}`),
		"dataframe_records obj": []byte(`{"dataframe_records": {"a": 1}}`),
		"instances object":      []byte(`{"instances": {"a": 1}}`),
		"instances ragged":      []byte(`{"instances": [[1, 2, 3, 4], [1]]}`),
		"instances strings":     []byte(`{"instances": [["a", "b", "c", "d"]]}`),
		"v2 no name":            []byte(`{"inputs": [{"shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}`),
		"v2 negative shape":     []byte(`{"inputs": [{"name": "input", "shape": [-1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}`),
		"v2 huge shape":         []byte(`{"inputs": [{"name": "input", "shape": [1000000000000, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}`),
		"v2 overflow shape":     []byte(`{"inputs": [{"name": "input", "shape": [4611686018427387904, 4611686018427387904], "datatype": "FP32", "data": [1]}]}`),
		"v2 shape not list":     []byte(`{"inputs": [{"name": "input", "shape": 4, "datatype": "FP32", "data": [1, 2, 3, 4]}]}`),
		"v2 shape floats":       []byte(`{"inputs": [{"name": "input", "shape": [1.5, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}`),
		"v2 data too short":     []byte(`{"inputs": [{"name": "input", "shape": [2, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}`),
		"v2 data too long":      []byte(`{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4, 5]}]}`),
		"v2 unknown datatype":   []byte(`{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP99", "data": [1, 2, 3, 4]}]}`),
		"v2 wrong datatype":     []byte(`{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "BYTES", "data": ["a", "b", "c", "d"]}]}`),
		"v2 data strings":       []byte(`{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": ["1", "2", "3", "4"]}]}`),
		"v2 data NaN strings":   []byte(`{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": ["NaN", "NaN", "NaN", "NaN"]}]}`),
		"v2 int overflow":       []byte(`{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "INT8", "data": [1000, 2, 3, 4]}]}`),
		"v2 data object":        []byte(`{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": {"a": 1}}]}`),
		"v2 unknown output":     []byte(`{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}], "outputs": [{"name": "nope"}]}`),
		"v2 outputs not list":   []byte(`{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}], "outputs": 3}`),
		"v2 id not string":      []byte(`{"id": [1], "inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}`),
		"v2 binary no header":   []byte(`{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "parameters": {"binary_data_size": 16}}]}`),
		"v2 binary size bad":    []byte(`{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "parameters": {"binary_data_size": -16}}]}`),
		"v2 parameters bad":     []byte(`{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4], "parameters": [1]}]}`),
		"v2 duplicate input":    []byte(`{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}, {"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}`),
		"multi rows differ":     []byte(`{"inputs": {"sepal": [[1, 2], [3, 4], [5, 6]], "petal": [[1, 2], [3, 4]]}}`),
		"multi v2 rows differ": []byte(`{"inputs": [{"name": "sepal", "shape": [3, 2], "datatype": "FP32", "data": [1, 2, 3, 4, 5, 6]},` +
			`{"name": "petal", "shape": [2, 2], "datatype": "FP32", "data": [1, 2, 3, 4]}]}`),
		"multi one missing": []byte(`{"inputs": {"sepal": [[1, 2]]}}`),
		"multi wrong width": []byte(`{"inputs": {"sepal": [[1, 2, 3]], "petal": [[1, 2, 3]]}}`),
		"oversize":          append(append([]byte(`{"inputs": [[`), bytes.Repeat([]byte("1,"), batteryBodyLimit/2)...), "1]]}"...),
	}
	return b
}

const batteryBodyLimit = 1 << 20

// batteryRequests builds the table: every malformed body on every route,
// content types, methods, names and versions, binary headers, truncated
// and stalled bodies, and a few good requests that must still answer 200.
func batteryRequests(addr string) []batteryReq {
	var reqs []batteryReq
	for name, body := range malformedBodies() {
		for _, r := range batteryRoutes {
			reqs = append(reqs, batteryReq{name: name, method: http.MethodPost, path: r.path, contentType: r.contentType, body: body})
		}
	}
	good := map[string]string{
		"/invocations":              `{"dataframe_split": {"columns": ` + irisColumns + `, "data": [[5.1, 3.5, 1.4, 0.2]]}}`,
		"/models/multi/invocations": `{"inputs": {"sepal": [[5.1, 3.5]], "petal": [[1.4, 0.2]]}}`,
		"/v2/models/iris/infer":     `{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}]}`,
		"/v1/models/iris:predict":   `{"instances": [[5.1, 3.5, 1.4, 0.2]]}`,
	}
	for path, body := range good {
		reqs = append(reqs, batteryReq{name: "good", method: http.MethodPost, path: path, contentType: "application/json", body: []byte(body), wantOK: true})
	}

	// Content types a browser sends without a preflight, and broken ones.
	for _, ct := range []string{"text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
		"multipart/form-data; boundary=x", "", "application/json; charset=latin1", "application/json; foo=bar",
		"application/xml", "text/csv; charset=utf-16", ";;;", "a/b/c"} {
		for _, path := range []string{"/invocations", "/v2/models/iris/infer", "/v1/models/iris:predict"} {
			reqs = append(reqs, batteryReq{name: "content type " + ct, method: http.MethodPost, path: path, contentType: ct, body: []byte(good[path])})
		}
	}
	// CSV bodies for MLflow.
	for name, csv := range map[string]string{
		"csv empty": "", "csv header only": "sepal_length,sepal_width,petal_length,petal_width\n",
		"csv short row":    "sepal_length,sepal_width,petal_length,petal_width\n1,2\n",
		"csv text":         "sepal_length,sepal_width,petal_length,petal_width\na,b,c,d\n",
		"csv unterminated": "sepal_length,sepal_width,petal_length,petal_width\n\"1,2,3,4\n",
		"csv binary":       "\xff\xfe\x00\x01",
		"csv wide":         "a" + strings.Repeat(",a", 100000) + "\n",
		"csv huge number":  "sepal_length,sepal_width,petal_length,petal_width\n1e999,1,1,1\n",
	} {
		reqs = append(reqs, batteryReq{name: name, method: http.MethodPost, path: "/invocations", contentType: "text/csv", body: []byte(csv)})
	}
	// Binary tensor data headers.
	bin := []byte(`{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","parameters":{"binary_data_size":16}}]}`)
	binBody := append(append([]byte{}, bin...), make([]byte, 16)...)
	for _, h := range []string{"-1", "abc", "", "99999999999999999999", fmt.Sprint(len(binBody) + 1), "0", "1", fmt.Sprint(len(bin) - 1), " 10", "0x10"} {
		reqs = append(reqs, batteryReq{name: "binary header " + h, method: http.MethodPost, path: "/v2/models/iris/infer",
			contentType: "application/octet-stream", body: binBody, header: []string{"Inference-Header-Content-Length", h}})
	}
	short := append(append([]byte{}, bin...), make([]byte, 7)...)
	reqs = append(reqs, batteryReq{name: "binary data short", method: http.MethodPost, path: "/v2/models/iris/infer",
		contentType: "application/octet-stream", body: short, header: []string{"Inference-Header-Content-Length", fmt.Sprint(len(bin))}})
	// Model names and versions.
	long := strings.Repeat("m", 300)
	for _, p := range []string{"/v2/models/nope/infer", "/v2/models/" + long + "/infer", "/v2/models/%00/infer", "/v2/models/%ff%fe/infer",
		"/v2/models/iris/versions/abc/infer", "/v2/models/iris/versions/-1/infer", "/v2/models/iris/versions/99999999999999999999/infer",
		"/v2/models/iris/versions//infer", "/v2/models/../infer", "/v2/models/iris/versions/1/infer/extra",
		"/v1/models/nope:predict", "/v1/models/iris", "/v1/models/iris:explain", "/v1/models/:predict", "/v1/models/" + long + ":predict",
		"/models/nope/invocations", "/models/" + long + "/invocations", "/models/%00/invocations", "/invocations/extra", "/v3/models/iris/infer"} {
		reqs = append(reqs, batteryReq{name: "path " + p, method: http.MethodPost, path: p, contentType: "application/json", body: []byte(good["/v2/models/iris/infer"])})
	}
	// Methods.
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions, "BREW"} {
		for _, p := range []string{"/invocations", "/v2/models/iris/infer", "/v1/models/iris:predict"} {
			reqs = append(reqs, batteryReq{name: "method " + m, method: m, path: p, contentType: "application/json", body: []byte(good[p])})
		}
	}
	for _, p := range []string{"/health", "/ping", "/version", "/v2", "/v2/health/live", "/v2/health/ready", "/v2/models/iris", "/v2/models/iris/ready",
		"/v2/models/iris/versions/1", "/v2/models/iris/versions/7", "/v2/models/nope/ready", "/v1/models/iris", "/v1/models/nope", "/metrics",
		"/drift", "/drift/iris", "/drift/nope", "/v2/models/iris/drift", "/v2/models/nope/drift"} {
		reqs = append(reqs, batteryReq{name: "POST " + p, method: http.MethodPost, path: p, contentType: "application/json", body: []byte("{}")})
		reqs = append(reqs, batteryReq{name: "GET " + p + "?x=%zz", method: http.MethodGet, path: p + "?x=%zz&y=" + long})
	}
	// Truncated and stalled bodies, on real sockets.
	for _, r := range batteryRoutes[:10] {
		head := "POST " + r.path + " HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: " + r.contentType + "\r\n"
		reqs = append(reqs,
			batteryReq{name: "truncated body", path: r.path, raw: head + "Content-Length: 100\r\n\r\n{\"inputs\": [[1, 2"},
			batteryReq{name: "bad chunking", path: r.path, raw: head + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"},
			batteryReq{name: "stalled chunked body", path: r.path, raw: head + "Transfer-Encoding: chunked\r\n\r\n2\r\n{\"\r\n"},
		)
	}
	return reqs
}

// sampleHeapPeak records the largest heap in use (runtime/metrics, which
// does not stop the world) every millisecond until stop is called.
func sampleHeapPeak() (peak *uint64, stop func()) {
	peak = new(uint64)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64() + s[1].Value.Uint64(); v > *peak {
				*peak = v
			}
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	return peak, func() { close(done); <-finished }
}

// sendRaw writes raw on a fresh connection, closes its writing side when
// the body is cut short, and returns the status answered.
func sendRaw(addr, raw string, closeWrite bool) (int, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, raw); err != nil {
		return 0, err
	}
	if closeWrite {
		conn.(*net.TCPConn).CloseWrite()
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var status int
	_, err = fmt.Fscanf(conn, "HTTP/1.1 %d", &status)
	return status, err
}

// TestMalformedInputBattery sends hundreds of malformed requests over every
// route and protocol to a real listener serving real ONNX Runtime models,
// with and without dynamic batching: no 5xx, the server still answers
// /health, and the Go heap stays bounded.
func TestMalformedInputBattery(t *testing.T) {
	for _, mode := range []struct {
		name string
		opts []serve.Option
	}{
		{"plain", nil},
		{"batched", []serve.Option{serve.WithBatching(serve.BatchConfig{MaxBatchSize: 8, MaxQueueDelay: time.Millisecond})}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			opts := append([]serve.Option{serve.WithBodyLimit(batteryBodyLimit), serve.WithBodyTimeout(300 * time.Millisecond),
				serve.WithResponseLimit(1 << 20)}, mode.opts...)
			ts := newTestServer(t, []namedModel{{"iris", "iris_logreg"}, {"multi", "multi_input"}, {"species", "string_input"}}, opts...)
			addr := ts.Listener.Addr().String()
			reqs := batteryRequests(addr)

			client := &http.Client{Timeout: 30 * time.Second}
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			rssBefore := guardtest.RSS(t)
			peak, stopSampling := sampleHeapPeak()
			classes := map[string]int{}
			for _, r := range reqs {
				var status int
				var err error
				if r.raw != "" {
					status, err = sendRaw(addr, r.raw, strings.HasPrefix(r.name, "truncated") || strings.HasPrefix(r.name, "bad"))
				} else {
					var req *http.Request
					req, err = http.NewRequest(r.method, ts.URL+r.path, bytes.NewReader(r.body))
					if err != nil {
						t.Fatalf("%s %s: %v", r.method, r.path, err)
					}
					if r.contentType != "" {
						req.Header.Set("Content-Type", r.contentType)
					}
					for i := 0; i+1 < len(r.header); i += 2 {
						req.Header.Set(r.header[i], r.header[i+1])
					}
					var resp *http.Response
					if resp, err = client.Do(req); err == nil {
						status = resp.StatusCode
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
				}
				if err != nil {
					classes["no answer"]++
					t.Errorf("%s %s (%s): no answer: %v", r.method, r.path, r.name, err)
					continue
				}
				classes[fmt.Sprintf("%dxx", status/100)]++
				switch {
				case status >= 500:
					t.Errorf("%s %s (%s): %d, a server error for a client's mistake", r.method, r.path, r.name, status)
				case r.wantOK && status != http.StatusOK:
					t.Errorf("%s %s (%s): %d, want 200", r.method, r.path, r.name, status)
				}
			}
			if r := do(t, http.MethodGet, ts.URL+"/health", "", nil); r.status != http.StatusOK {
				t.Errorf("after the battery, /health = %d", r.status)
			}
			stopSampling()
			runtime.GC()
			runtime.ReadMemStats(&after)
			grown := int64(after.HeapInuse) - int64(before.HeapInuse)
			rss := guardtest.RSS(t)
			t.Logf("%d requests: %v; heap in use %d MiB before, %d MiB after GC (%+d KiB), peak %d MiB; RSS %d MiB before, %d MiB after",
				len(reqs), classes, before.HeapInuse>>20, after.HeapInuse>>20, grown>>10, *peak>>20, rssBefore>>20, rss>>20)
			if rss > rssBefore+256<<20 {
				t.Errorf("the resident set grew from %d MiB to %d MiB over the battery, want under +256 MiB", rssBefore>>20, rss>>20)
			}
			if *peak > before.HeapInuse+256<<20 {
				t.Errorf("the heap peaked at %d MiB during the battery, want under %d MiB", *peak>>20, (before.HeapInuse+256<<20)>>20)
			}
			if len(reqs) < 300 {
				t.Errorf("the battery has %d requests, want at least 300", len(reqs))
			}
			if grown > 32<<20 {
				t.Errorf("the heap in use grew by %d MiB over the battery, want under 32 MiB", grown>>20)
			}
		})
	}
}
