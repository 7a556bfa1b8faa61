package gatewaytest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"
)

// Drip is an OpenAI-shaped chat upstream that streams slowly: Chunks
// content chunks (default 10), one every Interval (default 100 ms), then
// a usage chunk and [DONE]; a request without "stream": true gets one
// chat answer at once. It holds streams open for the gateway's many-stream
// tests and soak bench, where llama.cpp is far too slow for 1,000 at a
// time. Open counts the streams being sent now.
type Drip struct {
	Chunks   int
	Interval time.Duration
	// Gate, when set, holds every stream after its first chunk until it
	// is closed (so a test can have all its streams open at once).
	Gate   <-chan struct{}
	Open   atomic.Int64 // streams in progress
	Served atomic.Int64 // requests answered (streams counted when they end)
}

// ServeHTTP answers one request.
func (d *Drip) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var req struct {
		Model  string `json:"model"`
		Stream bool   `json:"stream"`
	}
	if json.Unmarshal(raw, &req) != nil {
		http.Error(w, `{"error":{"message":"bad json","type":"invalid_request_error"}}`, http.StatusBadRequest)
		return
	}
	if !req.Stream {
		b := fmt.Appendf(nil, `{"id":"chatcmpl-d","object":"chat.completion","created":%d,"model":%q,`+
			`"choices":[{"index":0,"message":{"role":"assistant","content":"drip"},"finish_reason":"stop"}],`+
			`"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}`, Created, req.Model)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
		d.Served.Add(1)
		return
	}
	n, every := d.Chunks, d.Interval
	if n <= 0 {
		n = 10
	}
	if every <= 0 {
		every = 100 * time.Millisecond
	}
	d.Open.Add(1)
	defer d.Open.Add(-1)
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	t := time.NewTicker(every)
	defer t.Stop()
	for i := range n + 2 {
		var ev string
		switch {
		case i < n:
			ev = fmt.Sprintf(`{"id":"chatcmpl-d","object":"chat.completion.chunk","created":%d,"model":%q,"choices":[{"index":0,"delta":{"content":"t%d "},"finish_reason":null}]}`, Created, req.Model, i)
		case i == n:
			ev = fmt.Sprintf(`{"id":"chatcmpl-d","object":"chat.completion.chunk","created":%d,"model":%q,"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":%d,"total_tokens":%d}}`, Created, req.Model, n, n+3)
		default:
			ev = "[DONE]"
		}
		if _, err := fmt.Fprintf(w, "data: %s\n\n", ev); err != nil {
			return
		}
		if rc.Flush() != nil {
			return
		}
		if i == 0 && d.Gate != nil {
			select {
			case <-d.Gate:
			case <-r.Context().Done():
				return
			}
		}
		if i < n {
			select {
			case <-t.C:
			case <-r.Context().Done():
				return
			}
		}
	}
	d.Served.Add(1)
}
