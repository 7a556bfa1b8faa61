package anthropic_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	sdk "github.com/anthropics/anthropic-sdk-go/v2"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/gateway/provider"
	_ "github.com/berthml/berth/gateway/provider/anthropic"
	"github.com/berthml/berth/gateway/provider/internal/upstreamtest"
)

const key = "sk-ant-secret-key-123"

func build(t *testing.T, srv *upstreamtest.Server) provider.Provider {
	return upstreamtest.Build(t, "anthropic", "claude-opus-4-1-20250805", deployments.TypeChat,
		map[string]any{"anthropic_api_key": key, "anthropic_api_base": srv.URL + "/v1"})
}

func chatRequest(t *testing.T, body string) *deployments.ChatRequest {
	t.Helper()
	var r deployments.ChatRequest
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// A conversation with a system prompt, an image, a tool call and its
// result, tools and tool_choice.
const toolChat = `{"messages":[
 {"role":"system","content":"Be brief."},
 {"role":"user","content":[{"type":"text","text":"Weather in SF?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]},
 {"role":"assistant","content":null,"tool_calls":[{"id":"toolu_1","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"SF\"}"}}]},
 {"role":"tool","tool_call_id":"toolu_1","content":"15 degrees"}],
 "tools":[{"type":"function","function":{"name":"get_weather","description":"Get the weather","parameters":{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}}}],
 "tool_choice":"required","temperature":1.0,"max_tokens":100,"stop":["END"]}`

func TestChatRequestMatchesTheSDK(t *testing.T) {
	srv := upstreamtest.New(t, upstreamtest.Answer{Body: upstreamtest.Fixture(t, "message.json")})
	if _, err := build(t, srv).Chat(context.Background(), chatRequest(t, toolChat)); err != nil {
		t.Fatal(err)
	}
	r := srv.Last(t)
	if r.Path != "/v1/messages" || r.Header.Get("x-api-key") != key || r.Header.Get("anthropic-version") != "2023-06-01" {
		t.Errorf("sent %s with x-api-key %q, anthropic-version %q", r.Path, r.Header.Get("x-api-key"), r.Header.Get("anthropic-version"))
	}
	var p sdk.MessageNewParams
	if err := json.Unmarshal(r.Body, &p); err != nil {
		t.Fatalf("the SDK does not read our request: %v\n%s", err, r.Body)
	}
	if p.Model != "claude-opus-4-1-20250805" || p.MaxTokens != 100 || len(p.StopSequences) != 1 {
		t.Errorf("model %q max_tokens %d stop %v", p.Model, p.MaxTokens, p.StopSequences)
	}
	// The SDK (v2.17) no longer names temperature; MLflow sends it halved.
	var raw map[string]any
	json.Unmarshal(r.Body, &raw)
	if raw["temperature"] != 0.5 {
		t.Errorf("temperature %v, want 1.0 halved", raw["temperature"])
	}
	if len(p.System) != 1 || p.System[0].Text != "Be brief." {
		t.Errorf("system %+v", p.System)
	}
	if len(p.Messages) != 3 {
		t.Fatalf("want user, assistant, user (tool result) messages, got %d: %s", len(p.Messages), r.Body)
	}
	user, asst, result := p.Messages[0].OfUser, p.Messages[1].OfAssistant, p.Messages[2].OfUser
	if user == nil || asst == nil || result == nil {
		t.Fatalf("roles: want user, assistant, user: %s", r.Body)
	}
	if len(user.Content) != 2 || user.Content[0].OfText == nil || user.Content[1].OfImage == nil ||
		user.Content[1].OfImage.Source.OfBase64 == nil || user.Content[1].OfImage.Source.OfBase64.MediaType != "image/png" {
		t.Errorf("user message %s", r.Body)
	}
	if len(asst.Content) != 1 || asst.Content[0].OfToolUse == nil ||
		asst.Content[0].OfToolUse.ID != "toolu_1" || asst.Content[0].OfToolUse.Name != "get_weather" {
		t.Fatalf("assistant message %s", r.Body)
	}
	if in, _ := json.Marshal(asst.Content[0].OfToolUse.Input); string(in) != `{"location":"SF"}` {
		t.Errorf("tool input %s", in)
	}
	if len(result.Content) != 1 || result.Content[0].OfToolResult == nil ||
		result.Content[0].OfToolResult.ToolUseID != "toolu_1" || result.Content[0].OfToolResult.Content[0].OfText.Text != "15 degrees" {
		t.Errorf("tool result message %s", r.Body)
	}
	if len(p.Tools) != 1 || p.Tools[0].OfTool == nil || p.Tools[0].OfTool.Name != "get_weather" ||
		p.Tools[0].OfTool.InputSchema.Required[0] != "location" {
		t.Errorf("tools %s", r.Body)
	}
	if p.ToolChoice.OfAny == nil {
		t.Errorf("tool_choice required should be {type: any}: %s", r.Body)
	}
}

func TestChatResponse(t *testing.T) {
	for _, c := range []struct {
		fixture, want string
	}{
		{"message.json", `{"id":"msg_013Zva2CMHLNnXjNJJKqJ2EF","object":"chat.completion","created":1767323045,"model":"claude-3-7-sonnet-20250219","choices":[{"index":0,"message":{"role":"assistant","content":"Hi! My name is Claude.","tool_calls":null},"finish_reason":"stop"}],"usage":{"prompt_tokens":2095,"completion_tokens":503,"total_tokens":2598}}`},
		{"message_tool_use.json", `{"id":"msg_01Aq9w938a90dw8q","object":"chat.completion","created":1767323045,"model":"claude-opus-4-1-20250805","choices":[{"index":0,"message":{"role":"assistant","content":"I'll check the current weather in San Francisco for you.","tool_calls":[{"id":"toolu_01A09q90qw90lq917835lq9","type":"function","function":{"name":"get_weather","arguments":"{\"location\": \"San Francisco, CA\", \"unit\": \"celsius\"}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":384,"completion_tokens":77,"total_tokens":461}}`},
	} {
		t.Run(c.fixture, func(t *testing.T) {
			body := upstreamtest.Fixture(t, c.fixture)
			var m sdk.Message // the fixture is what the SDK reads
			if err := json.Unmarshal(body, &m); err != nil || m.ID == "" || len(m.Content) == 0 || m.Usage.InputTokens == 0 {
				t.Fatalf("the SDK does not read the fixture: %v %+v", err, m)
			}
			srv := upstreamtest.New(t, upstreamtest.Answer{Body: body})
			resp, err := build(t, srv).Chat(context.Background(), chatRequest(t, `{"messages":[{"role":"user","content":"hi"}]}`))
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(resp)
			if string(got) != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
			var sent map[string]any
			json.Unmarshal(srv.Last(t).Body, &sent)
			if sent["max_tokens"] != 8192.0 || sent["temperature"] != nil {
				t.Errorf("defaults: sent %v; want max_tokens 8192 and no temperature", sent)
			}
		})
	}
}

func TestCompletions(t *testing.T) {
	srv := upstreamtest.New(t, upstreamtest.Answer{Body: upstreamtest.Fixture(t, "message.json")})
	p := build(t, srv)
	resp, err := p.Completions(context.Background(), &deployments.CompletionsRequest{Prompt: "Hello", MaxTokens: deployments.Ptr(5)})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Choices[0].Text != "Hi! My name is Claude." || *resp.Choices[0].FinishReason != "stop" || *resp.Usage.TotalTokens != 2598 {
		t.Errorf("completions %+v", resp)
	}
	var sent sdk.MessageNewParams
	if err := json.Unmarshal(srv.Last(t).Body, &sent); err != nil || len(sent.Messages) != 1 || sent.Messages[0].OfUser == nil || sent.Messages[0].OfUser.Content[0].OfText.Text != "Hello" {
		t.Errorf("sent %s (%v)", srv.Last(t).Body, err)
	}
}

func TestChatStream(t *testing.T) {
	for _, c := range []struct {
		fixture string
		want    []string // the chunks' delta, finish_reason and usage, as JSON
	}{
		{"stream.sse", []string{
			`{"role":"assistant","content":""} <nil> <nil>`,
			`{"role":null,"content":"Hello"} <nil> <nil>`,
			`{"role":null,"content":"!"} <nil> <nil>`,
			`{"role":null,"content":null} stop {"prompt_tokens":25,"completion_tokens":15,"total_tokens":40}`,
		}},
		{"stream_tool_use.sse", []string{
			`{"role":"assistant","content":""} <nil> <nil>`,
			`{"role":null,"content":"Okay, let's check the weather"} <nil> <nil>`,
			`{"role":null,"content":null,"tool_calls":[{"function":{"arguments":"","name":"get_weather"},"id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","index":0,"type":"function"}]} <nil> <nil>`,
			`{"role":null,"content":null,"tool_calls":[{"function":{"arguments":""},"index":0}]} <nil> <nil>`,
			`{"role":null,"content":null,"tool_calls":[{"function":{"arguments":"{\"location\":"},"index":0}]} <nil> <nil>`,
			`{"role":null,"content":null,"tool_calls":[{"function":{"arguments":" \"San Francisco, CA\"}"},"index":0}]} <nil> <nil>`,
			`{"role":null,"content":null} tool_calls {"prompt_tokens":472,"completion_tokens":89,"total_tokens":561}`,
		}},
	} {
		t.Run(c.fixture, func(t *testing.T) {
			body := upstreamtest.Fixture(t, c.fixture)
			checkEventsWithSDK(t, body)
			srv := upstreamtest.New(t, upstreamtest.Answer{ContentType: "text/event-stream", Body: body})
			var got []string
			err := build(t, srv).ChatStream(context.Background(), chatRequest(t, `{"messages":[{"role":"user","content":"hi"}],"stream":true}`),
				func(ch *deployments.ChatChunk) error {
					if ch.Object != "chat.completion.chunk" || ch.ID == "" || ch.Model != "claude-opus-4-1-20250805" || len(ch.Choices) != 1 {
						t.Errorf("chunk %+v", ch)
					}
					d, _ := json.Marshal(ch.Choices[0].Delta)
					fr, u := "<nil>", "<nil>"
					if f := ch.Choices[0].FinishReason; f != nil {
						fr = *f
					}
					if ch.Usage != nil {
						b, _ := json.Marshal(ch.Usage)
						u = string(b)
					}
					got = append(got, string(d)+" "+fr+" "+u)
					return nil
				})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("chunks:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			var sent map[string]any
			json.Unmarshal(srv.Last(t).Body, &sent)
			if sent["stream"] != true {
				t.Errorf("stream not set: %v", sent)
			}
		})
	}
}

// checkEventsWithSDK reads each event of a fixture with the SDK's union.
func checkEventsWithSDK(t *testing.T, body []byte) {
	t.Helper()
	n := 0
	for _, line := range strings.Split(string(body), "\n") {
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		var e sdk.MessageStreamEventUnion
		if err := json.Unmarshal([]byte(data), &e); err != nil || e.Type == "" {
			t.Fatalf("the SDK does not read event %s: %v", data, err)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no events in the fixture")
	}
}

func TestCompletionsStream(t *testing.T) {
	srv := upstreamtest.New(t, upstreamtest.Answer{ContentType: "text/event-stream", Body: upstreamtest.Fixture(t, "stream.sse")})
	var text strings.Builder
	var finish string
	err := build(t, srv).CompletionsStream(context.Background(), &deployments.CompletionsRequest{Prompt: "hi"}, func(ch *deployments.CompletionsChunk) error {
		if c := ch.Choices[0].Delta.Content; c != nil {
			text.WriteString(*c)
		}
		if f := ch.Choices[0].FinishReason; f != nil {
			finish = *f
		}
		return nil
	})
	if err != nil || text.String() != "Hello!" || finish != "stop" {
		t.Errorf("text %q finish %q err %v", text.String(), finish, err)
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	hi := `{"messages":[{"role":"user","content":"hi"}]}`
	t.Run("overloaded with Retry-After", func(t *testing.T) {
		srv := upstreamtest.New(t, upstreamtest.Answer{Status: 529, Header: map[string]string{"Retry-After": "7"}, Body: upstreamtest.Fixture(t, "error_overloaded.json")})
		_, err := build(t, srv).Chat(ctx, chatRequest(t, hi))
		pe, ok := provider.AsError(err)
		if !ok || pe.Kind != provider.KindUpstream || pe.Status != 529 || pe.Message != "Overloaded" || pe.RetryAfter != 7*time.Second || !pe.Retryable() {
			t.Errorf("got %#v", err)
		}
		if strings.Contains(err.Error(), key) {
			t.Error("the error names the key")
		}
	})
	t.Run("error event mid-stream", func(t *testing.T) {
		srv := upstreamtest.New(t, upstreamtest.Answer{ContentType: "text/event-stream", Body: upstreamtest.Fixture(t, "stream_error.sse")})
		chunks := 0
		err := build(t, srv).ChatStream(ctx, chatRequest(t, hi), func(*deployments.ChatChunk) error { chunks++; return nil })
		pe, ok := provider.AsError(err)
		if !ok || pe.Status != 529 || pe.Message != "Overloaded" || chunks != 1 {
			t.Errorf("got %v after %d chunks", err, chunks)
		}
	})
	t.Run("stream cut before message_stop", func(t *testing.T) {
		cut := bytes.Split(upstreamtest.Fixture(t, "stream.sse"), []byte("event: message_delta"))[0]
		srv := upstreamtest.New(t, upstreamtest.Answer{ContentType: "text/event-stream", Body: cut})
		err := build(t, srv).ChatStream(ctx, chatRequest(t, hi), func(*deployments.ChatChunk) error { return nil })
		if pe, ok := provider.AsError(err); !ok || pe.Kind != provider.KindBadResponse {
			t.Errorf("got %v", err)
		}
	})
	t.Run("callback error returned as is", func(t *testing.T) {
		srv := upstreamtest.New(t, upstreamtest.Answer{ContentType: "text/event-stream", Body: upstreamtest.Fixture(t, "stream.sse")})
		stop := errors.New("client went away")
		err := build(t, srv).ChatStream(ctx, chatRequest(t, hi), func(*deployments.ChatChunk) error { return stop })
		if err != stop {
			t.Errorf("got %v, want the callback's error", err)
		}
	})
	t.Run("not JSON", func(t *testing.T) {
		srv := upstreamtest.New(t, upstreamtest.Answer{Body: []byte("<html>")})
		_, err := build(t, srv).Chat(ctx, chatRequest(t, hi))
		if pe, ok := provider.AsError(err); !ok || pe.Kind != provider.KindBadResponse {
			t.Errorf("got %v", err)
		}
	})
	for _, c := range []struct{ name, body, want string }{
		{"n", `{"messages":[{"role":"user","content":"hi"}],"n":2}`, "'n' must be '1'"},
		{"top_p and temperature", `{"messages":[{"role":"user","content":"hi"}],"temperature":1,"top_p":0.5}`, "Cannot set both"},
		{"max_tokens", `{"messages":[{"role":"user","content":"hi"}],"max_tokens":2000000}`, "cannot exceed 1000000"},
		{"role", `{"messages":[{"role":"robot","content":"hi"}]}`, "role \"robot\""},
		{"only system", `{"messages":[{"role":"system","content":"hi"}]}`, "at least one user"},
		{"tool arguments", `{"messages":[{"role":"assistant","tool_calls":[{"id":"a","function":{"name":"f","arguments":"[1]"}}]}]}`, "not a JSON object"},
		{"part type", `{"messages":[{"role":"user","content":[{"type":"audio"}]}]}`, "part type \"audio\""},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := upstreamtest.New(t, upstreamtest.Answer{Body: upstreamtest.Fixture(t, "message.json")})
			_, err := build(t, srv).Chat(ctx, chatRequest(t, c.body))
			if pe, ok := provider.AsError(err); !ok || pe.Kind != provider.KindInvalidRequest || !strings.Contains(pe.Message, c.want) {
				t.Errorf("got %v, want an invalid request saying %q", err, c.want)
			}
		})
	}
	t.Run("embeddings unsupported", func(t *testing.T) {
		srv := upstreamtest.New(t, upstreamtest.Answer{})
		_, err := build(t, srv).Embeddings(ctx, &deployments.EmbeddingsRequest{Input: json.RawMessage(`"x"`)})
		if pe, ok := provider.AsError(err); !ok || pe.Kind != provider.KindUnsupported {
			t.Errorf("got %v", err)
		}
	})
	t.Run("config", func(t *testing.T) {
		spec, _ := provider.Lookup("anthropic")
		if _, err := spec.New(provider.Config{Settings: map[string]any{}}); err == nil || !strings.Contains(err.Error(), "anthropic_api_key") {
			t.Errorf("no key: %v", err)
		}
	})
}
