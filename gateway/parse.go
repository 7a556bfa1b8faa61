package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"mime"
	"strings"
	"unicode/utf8"

	"github.com/berthml/berth/api/deployments"
)

// Request parsing: one function per request type, each answering a bad
// body with FastAPI/pydantic v1's 422 list, as MLflow 2.17.2 does
// (transcript.jsonl seq 51-70): loc, msg, type and ctx as recorded.

// lenient relaxes MLflow 2.17's checks where OpenAI's clients send more:
// on /v1/* a message's content may be a list of parts.
type lenient bool

// object decodes a body into its members: the body must be JSON (by its
// Content-Type) and a JSON object.
func object(contentType string, body []byte) (map[string]json.RawMessage, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, invalid(verr([]any{"body"}, "field required", "value_error.missing", nil))
	}
	if !bodyIsJSON(contentType) {
		return nil, invalid(verr([]any{"body"}, "value is not a valid dict", "type_error.dict", nil))
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, invalid(jsonDecodeError(body, se))
		}
		return nil, invalid(verr([]any{"body"}, "value is not a valid dict", "type_error.dict", nil))
	}
	if m == nil {
		return nil, invalid(verr([]any{"body"}, "value is not a valid dict", "type_error.dict", nil))
	}
	return m, nil
}

// bodyIsJSON reports whether FastAPI (MLflow's gateway) reads a body with
// this Content-Type as JSON: when there is none, or when its type is
// application/json or application/*+json, whatever its parameters.
func bodyIsJSON(contentType string) bool {
	if contentType == "" || contentType == "application/json" {
		return true
	}
	mt, _, _ := strings.Cut(contentType, ";")
	main, sub, ok := strings.Cut(strings.ToLower(strings.TrimSpace(mt)), "/")
	return ok && main == "application" && !strings.Contains(sub, "/") && (sub == "json" || strings.HasSuffix(sub, "+json"))
}

// isJSON reports whether a Content-Type is JSON's, as Flask's is_json
// (the tracking server's gateway proxy) reads it.
func isJSON(contentType string) bool {
	if contentType == "application/json" { // what clients send: no parsing
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

func verr(loc []any, msg, typ string, ctx map[string]any) deployments.ValidationError {
	return deployments.ValidationError{Loc: loc, Msg: msg, Type: typ, Ctx: ctx}
}

// jsonDecodeError words a syntax error as Python's json module does (the
// common cases), at Python's character position.
func jsonDecodeError(body []byte, se *json.SyntaxError) deployments.ValidationError {
	pos := int(se.Offset)
	eof := strings.Contains(se.Error(), "unexpected end")
	if !eof && pos > 0 {
		pos-- // Go points past the bad byte, Python at it
	}
	pos = min(pos, len(body))
	msg := "Expecting value"
	if before := bytes.TrimRight(body[:pos], " \t\r\n"); len(before) > 0 {
		last := before[len(before)-1]
		if last == '{' || (last == ',' && innermostIsObject(before)) {
			msg = "Expecting property name enclosed in double quotes"
		} else if !eof && last != ':' && last != '[' && last != ',' {
			msg = "Expecting ',' delimiter"
		}
	}
	char := utf8.RuneCount(body[:pos])
	line := bytes.Count(body[:pos], []byte("\n")) + 1
	col := char + 1
	if i := bytes.LastIndexByte(body[:pos], '\n'); i >= 0 {
		col = utf8.RuneCount(body[i+1:pos]) + 1
	}
	return verr([]any{"body", char}, msgAt(msg, line, col, char), "value_error.jsondecode",
		map[string]any{"msg": msg, "doc": echoedDoc(body), "pos": char, "lineno": line, "colno": col})
}

// maxEchoedDoc is how much of a body that is not JSON its 422 quotes back
// as "doc". MLflow quotes all of it; escaped, a body of control bytes
// grows sixfold, so an 8 MB body made a 48 MB answer.
const maxEchoedDoc = 64 << 10

// echoedDoc is the body as the 422 quotes it: all of it up to
// maxEchoedDoc bytes, else its start (cut at a character) and "…".
func echoedDoc(body []byte) string {
	if len(body) <= maxEchoedDoc {
		return string(body)
	}
	cut := maxEchoedDoc
	for cut > maxEchoedDoc-utf8.UTFMax && !utf8.RuneStart(body[cut]) {
		cut--
	}
	return string(body[:cut]) + "…"
}

func msgAt(msg string, line, col, char int) string {
	return msg + ": line " + itoa(line) + " column " + itoa(col) + " (char " + itoa(char) + ")"
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// innermostIsObject reports whether the innermost bracket open at the end
// of b (outside strings) is '{'.
func innermostIsObject(b []byte) bool {
	var stack []byte
	inStr, esc := false, false
	for _, c := range b {
		switch {
		case inStr && esc:
			esc = false
		case inStr && c == '\\':
			esc = true
		case inStr && c == '"':
			inStr = false
		case inStr:
		case c == '"':
			inStr = true
		case c == '{' || c == '[':
			stack = append(stack, c)
		case (c == '}' || c == ']') && len(stack) > 0:
			stack = stack[:len(stack)-1]
		}
	}
	return len(stack) > 0 && stack[len(stack)-1] == '{'
}

// checker collects validation errors.
type checker struct {
	m    map[string]json.RawMessage
	errs []deployments.ValidationError
}

func (c *checker) add(loc []any, msg, typ string, ctx map[string]any) {
	c.errs = append(c.errs, verr(loc, msg, typ, ctx))
}

// get returns a member that is present and not null.
func (c *checker) get(name string) (json.RawMessage, bool) {
	v, ok := c.m[name]
	if !ok || isNull(v) {
		return nil, false
	}
	return v, true
}

func isNull(v json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(v), []byte("null")) }

func (c *checker) required(name string) (json.RawMessage, bool) {
	v, ok := c.m[name]
	if !ok {
		c.add([]any{"body", name}, "field required", "value_error.missing", nil)
		return nil, false
	}
	if isNull(v) {
		c.add([]any{"body", name}, "none is not an allowed value", "type_error.none.not_allowed", nil)
		return nil, false
	}
	return v, true
}

func (c *checker) number(name string, lo, hi float64) {
	v, ok := c.get(name)
	if !ok {
		return
	}
	var f float64
	if err := json.Unmarshal(v, &f); err != nil {
		c.add([]any{"body", name}, "value is not a valid float", "type_error.float", nil)
		return
	}
	if f < lo {
		c.add([]any{"body", name}, "ensure this value is greater than or equal to "+num(lo), "value_error.number.not_ge", map[string]any{"limit_value": lo})
	} else if f > hi {
		c.add([]any{"body", name}, "ensure this value is less than or equal to "+num(hi), "value_error.number.not_le", map[string]any{"limit_value": hi})
	}
}

func num(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

func (c *checker) integer(name string, lo int) {
	v, ok := c.get(name)
	if !ok {
		return
	}
	var f float64
	if err := json.Unmarshal(v, &f); err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		c.add([]any{"body", name}, "value is not a valid integer", "type_error.integer", nil)
		return
	}
	if int(f) < lo {
		c.add([]any{"body", name}, "ensure this value is greater than or equal to "+itoa(lo), "value_error.number.not_ge", map[string]any{"limit_value": lo})
	}
}

func (c *checker) boolean(name string) {
	v, ok := c.get(name)
	if !ok {
		return
	}
	var b bool
	if json.Unmarshal(v, &b) != nil {
		c.add([]any{"body", name}, "value could not be parsed to a boolean", "type_error.bool", nil)
	}
}

func (c *checker) str(loc []any, v json.RawMessage) bool {
	var s string
	if json.Unmarshal(v, &s) != nil {
		c.add(loc, "str type expected", "type_error.str", nil)
		return false
	}
	return true
}

func (c *checker) stop() {
	v, ok := c.get("stop")
	if !ok {
		return
	}
	var list []json.RawMessage
	if json.Unmarshal(v, &list) != nil {
		c.add([]any{"body", "stop"}, "value is not a valid list", "type_error.list", nil)
		return
	}
	if len(list) == 0 {
		c.add([]any{"body", "stop"}, "ensure this value has at least 1 items", "value_error.list.min_items", map[string]any{"limit_value": 1})
	}
	for i, s := range list {
		c.str([]any{"body", "stop", i}, s)
	}
}

// common checks the members chat and completions share.
func (c *checker) common() {
	c.model()
	c.number("temperature", 0, 2)
	c.integer("n", 1)
	c.stop()
	c.integer("max_tokens", 1)
	c.boolean("stream")
}

func (c *checker) messages(lax lenient) {
	v, ok := c.required("messages")
	if !ok {
		return
	}
	var list []json.RawMessage
	if json.Unmarshal(v, &list) != nil {
		c.add([]any{"body", "messages"}, "value is not a valid list", "type_error.list", nil)
		return
	}
	if len(list) == 0 {
		c.add([]any{"body", "messages"}, "ensure this value has at least 1 items", "value_error.list.min_items", map[string]any{"limit_value": 1})
		return
	}
	for i, raw := range list {
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil || m == nil {
			c.add([]any{"body", "messages", i}, "value is not a valid dict", "type_error.dict", nil)
			continue
		}
		role, ok := m["role"]
		if !ok || isNull(role) {
			c.add([]any{"body", "messages", i, "role"}, "field required", "value_error.missing", nil)
		} else {
			c.str([]any{"body", "messages", i, "role"}, role)
		}
		content, ok := m["content"]
		_, hasTools := m["tool_calls"]
		switch {
		case (!ok || isNull(content)) && hasTools:
		case !ok:
			c.add([]any{"body", "messages", i, "content"}, "field required", "value_error.missing", nil)
		case bool(lax) && len(bytes.TrimSpace(content)) > 0 && bytes.TrimSpace(content)[0] == '[':
		default:
			c.str([]any{"body", "messages", i, "content"}, content)
		}
	}
}

func (c *checker) done() error {
	if len(c.errs) > 0 {
		return invalid(c.errs...)
	}
	return nil
}

// Each request type is parsed twice over only when the body is wrong: the
// fast path splits the body into its members once, decodes each member once
// into the typed request and checks the typed values; anything it is not
// sure of (a member of the wrong type, a value out of range, a null where
// MLflow wants a value) sends the body down the checker's path, which words
// the error as MLflow does. So a valid body costs one decode, and a bad one
// gets the recorded messages. FuzzParseFastPath checks that both paths
// accept the same bodies and build the same requests.

// parseChat parses and validates a chat request body.
func parseChat(contentType string, body []byte, lax lenient) (*deployments.ChatRequest, error) {
	if r, ok := fastChat(contentType, body, lax); ok {
		return r, nil
	}
	return checkChat(contentType, body, lax)
}

// fastChat is parseChat's path for a valid body: false when the body needs
// the checker (it may still be valid).
func fastChat(contentType string, body []byte, lax lenient) (*deployments.ChatRequest, bool) {
	m, ok := fastObject(contentType, body)
	if !ok {
		return nil, false
	}
	raw, ok := m["messages"]
	if !ok {
		return nil, false
	}
	msgs, ok := splitMessages(raw)
	if !ok {
		return nil, false
	}
	delete(m, "messages")
	var r deployments.ChatRequest
	if r.FromMembers(m) != nil || len(msgs) == 0 || !fastCommon(r.Temperature, r.N, r.Stop, r.MaxTokens) {
		return nil, false
	}
	r.Messages = msgs
	for i := range r.Messages {
		if !fastMessage(&r.Messages[i], lax) {
			return nil, false
		}
	}
	return &r, true
}

// fastMessage reports whether the checker surely accepts a message that
// decoded as msg.
func fastMessage(msg *deployments.Message, lax lenient) bool {
	if msg.Role == "" { // absent, null or "": the checker decides
		return false
	}
	switch {
	case len(msg.Content) == 0:
		return len(msg.ToolCalls) > 0 // content may be left out beside tool_calls
	case msg.Content[0] == '"' || msg.Content[0] == 'n': // a string, or null (which MLflow's str allows)
		return true
	case msg.Content[0] == '[':
		return bool(lax)
	}
	return false
}

// fastObject splits a body that is surely a JSON object: false for
// anything the checker must word.
// The members share the body's memory (see split.go).
func fastObject(contentType string, body []byte) (map[string]json.RawMessage, bool) {
	if !bodyIsJSON(contentType) || !json.Valid(body) {
		return nil, false
	}
	return members(body)
}

// fastCommon reports whether the checker's common() surely accepts the
// decoded members chat and completions share (stream needs no check: a
// *bool decoded only from true, false or null).
func fastCommon(temperature *float64, n *int, stop []string, maxTokens *int) bool {
	if temperature != nil && (*temperature < 0 || *temperature > 2) {
		return false
	}
	if stop != nil && len(stop) == 0 {
		return false
	}
	return fastCount(n) && fastCount(maxTokens)
}

// fastCount reports whether an integer member is absent or within
// checker.integer's bounds (at least 1, exact as a float64).
func fastCount(n *int) bool {
	return n == nil || (*n >= 1 && *n <= 1<<53)
}

// checkChat is parseChat's path for a body the fast path turned down.
func checkChat(contentType string, body []byte, lax lenient) (*deployments.ChatRequest, error) {
	m, err := object(contentType, body)
	if err != nil {
		return nil, err
	}
	c := checker{m: m}
	c.messages(lax)
	c.common()
	if err := c.done(); err != nil {
		return nil, err
	}
	var r deployments.ChatRequest
	if err := r.FromMembers(m); err != nil {
		return nil, invalid(verr([]any{"body"}, err.Error(), "value_error", nil))
	}
	return &r, nil
}

// parseCompletions parses and validates a completions request body.
func parseCompletions(contentType string, body []byte) (*deployments.CompletionsRequest, error) {
	if r, ok := fastCompletions(contentType, body); ok {
		return r, nil
	}
	return checkCompletions(contentType, body)
}

// fastCompletions is parseCompletions's path for a valid body.
func fastCompletions(contentType string, body []byte) (*deployments.CompletionsRequest, bool) {
	m, ok := fastObject(contentType, body)
	if !ok {
		return nil, false
	}
	if p, ok := m["prompt"]; !ok || isNull(p) {
		return nil, false
	}
	var r deployments.CompletionsRequest
	if r.FromMembers(m) != nil || !fastCommon(r.Temperature, r.N, r.Stop, r.MaxTokens) {
		return nil, false
	}
	return &r, true
}

// checkCompletions is parseCompletions's path for a body the fast path
// turned down.
func checkCompletions(contentType string, body []byte) (*deployments.CompletionsRequest, error) {
	m, err := object(contentType, body)
	if err != nil {
		return nil, err
	}
	c := checker{m: m}
	if v, ok := c.required("prompt"); ok {
		c.str([]any{"body", "prompt"}, v)
	}
	c.common()
	if err := c.done(); err != nil {
		return nil, err
	}
	var r deployments.CompletionsRequest
	if err := r.FromMembers(m); err != nil {
		return nil, invalid(verr([]any{"body"}, err.Error(), "value_error", nil))
	}
	return &r, nil
}

// parseEmbeddings parses and validates an embeddings request body.
func parseEmbeddings(contentType string, body []byte) (*deployments.EmbeddingsRequest, error) {
	if r, ok := fastEmbeddings(contentType, body); ok {
		return r, nil
	}
	return checkEmbeddings(contentType, body)
}

// fastEmbeddings is parseEmbeddings's path for a valid body.
func fastEmbeddings(contentType string, body []byte) (*deployments.EmbeddingsRequest, bool) {
	m, ok := fastObject(contentType, body)
	if !ok {
		return nil, false
	}
	var r deployments.EmbeddingsRequest
	if r.FromMembers(m) != nil || r.Input == nil {
		return nil, false
	}
	return &r, true
}

// checkEmbeddings is parseEmbeddings's path for a body the fast path
// turned down.
func checkEmbeddings(contentType string, body []byte) (*deployments.EmbeddingsRequest, error) {
	m, err := object(contentType, body)
	if err != nil {
		return nil, err
	}
	c := checker{m: m}
	c.required("input")
	c.model()
	if err := c.done(); err != nil {
		return nil, err
	}
	var r deployments.EmbeddingsRequest
	if err := r.FromMembers(m); err != nil {
		return nil, invalid(verr([]any{"body"}, err.Error(), "value_error", nil))
	}
	return &r, nil
}

// modelOf returns the body's model member for the /v1/* routes: "" and
// false when absent or not a string.
func modelOf(m map[string]json.RawMessage) (string, bool) {
	var s string
	if v, ok := m["model"]; ok && json.Unmarshal(v, &s) == nil {
		return s, true
	}
	return "", false
}
