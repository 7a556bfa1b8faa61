package openai

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"

	"github.com/berthml/berth/api/deployments"

	"github.com/berthml/berth/internal/jsonscan"
)

// encode is json.Marshal(body), with the chat request (every call's body)
// written without reflection when appendChat can.
func encode(body any) ([]byte, error) {
	if r, ok := body.(deployments.ChatRequest); ok {
		if b, ok := appendChat(make([]byte, 0, 256+16*len(r.Messages)), &r); ok {
			return b, nil
		}
	}
	return json.Marshal(body)
}

// appendChat appends json.Marshal(*r) to b, byte for byte, for the
// requests clients send: names and strings of printable ASCII without
// what encoding/json escapes, raw members already compact, numbers in
// plain notation. It reports false for anything else (the caller then
// uses json.Marshal). FuzzAppendChat checks the two agree.
func appendChat(b []byte, r *deployments.ChatRequest) ([]byte, bool) {
	w := objectWriter{b: append(b, '{')}
	if r.Model != "" {
		w.str("model", r.Model)
	}
	w.key("messages")
	if r.Messages == nil {
		w.b = append(w.b, "null"...)
	} else {
		w.b = append(w.b, '[')
		for i := range r.Messages {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.message(&r.Messages[i])
		}
		w.b = append(w.b, ']')
	}
	if r.Temperature != nil {
		w.key("temperature")
		w.float(*r.Temperature)
	}
	if r.N != nil {
		w.key("n")
		w.b = strconv.AppendInt(w.b, int64(*r.N), 10)
	}
	if r.Stop != nil {
		w.key("stop")
		w.b = append(w.b, '[')
		for i, s := range r.Stop {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.quote(s)
		}
		w.b = append(w.b, ']')
	}
	if r.MaxTokens != nil {
		w.key("max_tokens")
		w.b = strconv.AppendInt(w.b, int64(*r.MaxTokens), 10)
	}
	if r.Stream != nil {
		w.key("stream")
		w.b = strconv.AppendBool(w.b, *r.Stream)
	}
	if len(r.Tools) > 0 {
		w.raw("tools", r.Tools)
	}
	w.extra(r.Extra)
	return append(w.b, '}'), !w.bad
}

// objectWriter writes an object's members; bad turns true at the first
// thing it cannot write as encoding/json would.
type objectWriter struct {
	b       []byte
	n       int      // members written
	written []string // their names, for extra's check
	bad     bool
}

func (w *objectWriter) key(name string) {
	if w.n > 0 {
		w.b = append(w.b, ',')
	}
	w.n++
	w.written = append(w.written, name)
	w.quote(name)
	w.b = append(w.b, ':')
}

func (w *objectWriter) quote(s string) {
	if !jsonscan.PlainText(s) {
		w.bad = true
		return
	}
	w.b = append(append(append(w.b, '"'), s...), '"')
}

func (w *objectWriter) str(name, s string) {
	w.key(name)
	w.quote(s)
}

func (w *objectWriter) raw(name string, v json.RawMessage) {
	w.key(name)
	if !compactPlain(v) {
		w.bad = true
		return
	}
	w.b = append(w.b, v...)
}

func (w *objectWriter) float(f float64) {
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		w.bad = true // encoding/json's exponent form
		return
	}
	w.b = strconv.AppendFloat(w.b, f, 'f', -1, 64)
}

// extra writes the members not already written, sorted by name, as
// deployments' writeObject does (an empty value as null).
func (w *objectWriter) extra(extra deployments.Extra) {
	if len(extra) == 0 {
		return
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		if !slices.Contains(w.written, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := extra[k]
		if len(v) == 0 {
			v = json.RawMessage("null")
		}
		w.raw(k, v)
	}
}

// message writes one message as Message.MarshalJSON does.
func (w *objectWriter) message(m *deployments.Message) {
	mw := objectWriter{b: append(w.b, '{'), written: make([]string, 0, 5)}
	mw.str("role", m.Role)
	if len(m.Content) > 0 {
		mw.raw("content", m.Content)
	}
	if m.Name != "" {
		mw.str("name", m.Name)
	}
	if len(m.ToolCalls) > 0 {
		mw.raw("tool_calls", m.ToolCalls)
	}
	if m.ToolCallID != "" {
		mw.str("tool_call_id", m.ToolCallID)
	}
	mw.extra(m.Extra)
	w.b = append(mw.b, '}')
	if mw.bad {
		w.bad = true
	}
}

// compactPlain reports whether json.Marshal writes v, a valid JSON value,
// unchanged: no whitespace outside strings, and none of what it escapes
// inside them (<, >, &, U+2028, U+2029).
func compactPlain(v []byte) bool {
	if len(v) == 0 || bytes.ContainsAny(v, "<>&") || bytes.Contains(v, []byte("\u2028")) || bytes.Contains(v, []byte("\u2029")) {
		return false
	}
	in := false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case in && c == '\\':
			i++
		case c == '"':
			in = !in
		case !in && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			return false
		}
	}
	return true
}
