package gateway

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/berthml/berth/api/deployments"
)

// streamWriteTimeout bounds one event's write to a slow client: a client
// that reads nothing for this long loses its stream (and the upstream call
// is cancelled), so a stream never holds memory or a connection unbounded.
const streamWriteTimeout = 30 * time.Second

// sseWriter writes a text/event-stream answer: "data: {json}\n\n" per
// chunk, flushed at once. Nothing is buffered beyond one event, so a slow
// client slows the upstream read instead of growing memory. The status
// and headers go out with the first event, so a failure before it is
// still answered with a proper error status.
type sseWriter struct {
	c       *call
	rc      *http.ResponseController
	v1      bool // end with "data: [DONE]" (OpenAI's clients expect it)
	started bool
	buf     []byte
	in, out int  // tokens: from the stream's usage, else one per content chunk
	usage   bool // the stream carried usage
	first   time.Time
}

func newSSE(c *call, v1 bool) *sseWriter {
	return &sseWriter{c: c, rc: http.NewResponseController(c.w), v1: v1}
}

func (s *sseWriter) hasStarted() bool { return s.started }

func (s *sseWriter) begin() {
	if s.started {
		return
	}
	s.started = true
	s.first = time.Now()
	s.c.overheadHeader()
	h := s.c.w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	s.c.w.WriteHeader(http.StatusOK)
	s.c.g.metrics.observeFirstToken(s.c.ep, s.first.Sub(s.c.start))
}

func (s *sseWriter) write(data []byte) error {
	s.begin()
	s.buf = append(s.buf[:0], "data: "...)
	s.buf = append(s.buf, data...)
	s.buf = append(s.buf, '\n', '\n')
	_ = s.rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	if _, err := s.c.w.Write(s.buf); err != nil {
		return err
	}
	if cap(s.buf) > 64<<10 {
		s.buf = nil // one large event does not pin its buffer for the stream's life
	}
	return s.rc.Flush()
}

// event writes one chunk.
func (s *sseWriter) event(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.write(b)
}

// errorEvent ends a begun stream with an error event, OpenAI's shape:
// data: {"error": {"message", "type", "code"}}.
func (s *sseWriter) errorEvent(a errorAnswer) {
	var code *string
	if a.code != "" {
		code = &a.code
	}
	b, _ := json.Marshal(deployments.OpenAIError{Error: deployments.OpenAIErrorBody{Message: a.message, Type: a.kind, Code: code}})
	_ = s.write(b)
}

// end finishes a stream that ended well.
func (s *sseWriter) end() {
	s.begin() // an upstream that sent no chunk still gets a 200 stream, as MLflow answers
	if s.v1 {
		_ = s.write(deployments.Done)
	}
}

func (s *sseWriter) countUsage(u *deployments.Usage) bool {
	if u == nil {
		return false
	}
	s.in, s.out = u.Tokens()
	s.usage = true
	return true
}

func (s *sseWriter) countChat(ch *deployments.ChatChunk) {
	if s.countUsage(ch.Usage) || s.usage {
		return
	}
	for _, c := range ch.Choices {
		if c.Delta.Content != nil && *c.Delta.Content != "" {
			s.out++
		}
	}
}

func (s *sseWriter) countCompletions(ch *deployments.CompletionsChunk) {
	if s.countUsage(ch.Usage) || s.usage {
		return
	}
	for _, c := range ch.Choices {
		if c.Delta.Content != nil && *c.Delta.Content != "" {
			s.out++
		}
	}
}
