package serve_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/berthml/berth/serve"
)

// irisV2Body is an OIP v2 JSON request of rows iris rows.
func irisV2Body(rows int) []byte {
	var b strings.Builder
	b.WriteString(`{"id":"big","inputs":[{"name":"input","shape":[` + strconv.Itoa(rows) + `,4],"datatype":"FP32","data":[`)
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(4+i%4) + ".1,3.5," + strconv.Itoa(1+i%6) + ".4,0.2")
	}
	b.WriteString(`]}]}`)
	return []byte(b.String())
}

// TestInferV2StreamedMatchesWhole: a large OIP v2 JSON response is
// streamed (its size bound fits the limit) and is byte for byte the
// response encoded whole (a limit under the bound but above the size);
// small responses keep their Content-Length.
func TestInferV2StreamedMatchesWhole(t *testing.T) {
	body := irisV2Body(20000)
	url := "/v2/models/iris/infer"
	streamed := do(t, http.MethodPost, newTestServer(t, []namedModel{{"iris", "iris_logreg"}}).URL+url, "application/json", body)
	if streamed.status != 200 || len(streamed.body) < 256<<10 || streamed.header.Get("Content-Length") != "" {
		t.Fatalf("streamed: %d, %d bytes, Content-Length %q (a streamed response has none)", streamed.status,
			len(streamed.body), streamed.header.Get("Content-Length"))
	}
	if streamed.header.Get("Content-Type") != "application/json" {
		t.Fatalf("streamed Content-Type %q", streamed.header.Get("Content-Type"))
	}
	ts := newTestServer(t, []namedModel{{"iris", "iris_logreg"}}, serve.WithResponseLimit(int64(len(streamed.body))+1))
	whole := do(t, http.MethodPost, ts.URL+url, "application/json", body)
	if whole.status != 200 || whole.header.Get("Content-Length") != strconv.Itoa(len(whole.body)) {
		t.Fatalf("whole: %d, Content-Length %q for %d bytes", whole.status, whole.header.Get("Content-Length"), len(whole.body))
	}
	if !bytes.Equal(streamed.body, whole.body) {
		t.Fatalf("the streamed response (%d bytes) differs from the whole one (%d bytes)", len(streamed.body), len(whole.body))
	}
	// Under the limit's reach the response is refused, not cut.
	small := newTestServer(t, []namedModel{{"iris", "iris_logreg"}}, serve.WithResponseLimit(int64(len(streamed.body))/2))
	if r := do(t, http.MethodPost, small.URL+url, "application/json", body); r.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("over the response limit: %d %.200s", r.status, r.body)
	}
}

// TestScoringResponsesHaveContentLength: responses written whole carry
// their Content-Length, small or not, in every protocol.
func TestScoringResponsesHaveContentLength(t *testing.T) {
	ts := newTestServer(t, []namedModel{{"iris", "iris_logreg"}})
	for _, c := range []struct {
		name, path string
		body       []byte
	}{
		{"invocations, small", "/invocations", []byte(`{"dataframe_split": {"columns": ` + irisColumns + `, "data": [[5.1, 3.5, 1.4, 0.2]]}}`)},
		{"invocations, 2 kB and more", "/invocations", []byte(`{"dataframe_split": {"columns": ` + irisColumns + `, "data": [` +
			strings.Repeat(`[5.1, 3.5, 1.4, 0.2], `, 100) + `[5.1, 3.5, 1.4, 0.2]]}}`)},
		{"v2, small", "/v2/models/iris/infer", irisV2Body(1)},
		{"v2, 2 kB and more", "/v2/models/iris/infer", irisV2Body(100)},
		{"v1", "/v1/models/iris:predict", []byte(`{"instances": [[5.1, 3.5, 1.4, 0.2]]}`)},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := do(t, http.MethodPost, ts.URL+c.path, "application/json", c.body)
			if r.status != 200 || r.header.Get("Content-Length") != strconv.Itoa(len(r.body)) {
				t.Fatalf("%d, Content-Length %q for %d bytes: %.200s", r.status, r.header.Get("Content-Length"), len(r.body), r.body)
			}
			if r.header.Get("Content-Type") != "application/json" {
				t.Fatalf("Content-Type %q", r.header.Get("Content-Type"))
			}
		})
	}
}

// TestInferV2LargeResponseMemory: a 20 MB OIP v2 JSON request, whose
// response is larger still, allocates at least the response's size less
// when the response is streamed than when it is encoded whole.
func TestInferV2LargeResponseMemory(t *testing.T) {
	body := irisV2Body(1_250_000)
	if len(body) < 20_000_000 {
		t.Fatalf("the request is %d bytes; the test wants 20 MB", len(body))
	}
	measure := func(opts ...serve.Option) (alloc uint64, size int) {
		ts := newTestServer(t, []namedModel{{"iris", "iris_logreg"}}, append(opts, serve.WithBodyLimit(64<<20))...)
		h := ts.srv.Handler()
		var w discardWriter
		alloc = allocated(func() {
			req := httptest.NewRequest(http.MethodPost, "/v2/models/iris/infer", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			h.ServeHTTP(&w, req)
		})
		if w.code != 0 && w.code != 200 {
			t.Fatalf("status %d", w.code)
		}
		return alloc, w.n
	}
	streamed, size := measure(serve.WithResponseLimit(1 << 30))
	whole, wholeSize := measure(serve.WithResponseLimit(int64(size) + 1))
	if wholeSize != size {
		t.Fatalf("the whole response is %d bytes, the streamed one %d", wholeSize, size)
	}
	t.Logf("%d-byte request, %d-byte response: %d MB allocated streamed, %d MB whole",
		len(body), size, streamed>>20, whole>>20)
	if whole < streamed+uint64(size) {
		t.Fatalf("streaming saved %d bytes of allocation; want at least the response's %d", int64(whole)-int64(streamed), size)
	}
}

// discardWriter is an http.ResponseWriter that counts the body.
type discardWriter struct {
	h    http.Header
	code int
	n    int
}

func (w *discardWriter) Header() http.Header {
	if w.h == nil {
		w.h = http.Header{}
	}
	return w.h
}
func (w *discardWriter) WriteHeader(code int)        { w.code = code }
func (w *discardWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

// allocated is how many bytes f allocates.
func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}
