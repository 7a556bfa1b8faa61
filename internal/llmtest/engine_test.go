package llmtest_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/berthml/berth/internal/llmtest"
)

type usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

type chatResponse struct {
	Object  string `json:"object"`
	Model   string `json:"model"`
	Choices []struct {
		Message struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"message"`
		Delta struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"delta"`
		Text         string  `json:"text"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *usage `json:"usage"`
	Error *struct {
		Message string `json:"message"`
		Type    string `json:"type"`
		Param   string `json:"param"`
	} `json:"error"`
}

func post(t *testing.T, url string, body any) (*http.Response, []byte) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, out
}

func decode(t *testing.T, b []byte) chatResponse {
	t.Helper()
	var r chatResponse
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
	return r
}

func chat(content string, maxTokens int) map[string]any {
	return map[string]any{"model": "m", "max_tokens": maxTokens, "temperature": 0,
		"messages": []map[string]string{{"role": "user", "content": content}}}
}

// TestEngine starts the real engine once and checks what the gateway
// relies on: deterministic greedy output that depends on the prompt, exact
// usage counts, streaming that adds up to the same text, stop sequences,
// embeddings and 4xx answers for bad requests.
func TestEngine(t *testing.T) {
	e := llmtest.New(t)
	chatURL, complURL := e.URL+"/v1/chat/completions", e.URL+"/v1/completions"

	var hello string
	t.Run("chat deterministic", func(t *testing.T) {
		_, b1 := post(t, chatURL, chat("hello", 12))
		_, b2 := post(t, chatURL, chat("hello", 12))
		r1, r2 := decode(t, b1), decode(t, b2)
		if len(r1.Choices) != 1 || r1.Object != "chat.completion" || r1.Model != "berth-tiny-random" {
			t.Fatalf("unexpected response %s", b1)
		}
		hello = r1.Choices[0].Message.Content
		if hello == "" || hello != r2.Choices[0].Message.Content {
			t.Fatalf("two greedy answers: %q and %q; want equal and non-empty", hello, r2.Choices[0].Message.Content)
		}
		if r1.Choices[0].Message.Role != "assistant" || *r1.Choices[0].FinishReason != "length" {
			t.Errorf("role %q finish %q, want assistant, length", r1.Choices[0].Message.Role, *r1.Choices[0].FinishReason)
		}
		// "user: hello\nassistant: " is 23 bytes, one token each, plus <s>.
		want := usage{PromptTokens: 24, CompletionTokens: 12, TotalTokens: 36}
		if *r1.Usage != want {
			t.Errorf("usage %+v, want %+v", *r1.Usage, want)
		}
		if len(hello) != 12 {
			t.Errorf("content %q: want 12 one-byte tokens", hello)
		}
		_, b3 := post(t, chatURL, chat("a different prompt", 12))
		if other := decode(t, b3).Choices[0].Message.Content; other == hello {
			t.Errorf("two prompts, one answer %q: the engine does not read its input", other)
		}
	})

	t.Run("through the gateway's openai adapter", func(t *testing.T) { throughOpenAIProvider(t, e, hello) })

	t.Run("chat stream", func(t *testing.T) {
		body := chat("hello", 12)
		body["stream"] = true
		body["stream_options"] = map[string]any{"include_usage": true}
		b, _ := json.Marshal(body)
		resp, err := http.Post(chatURL, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
			t.Fatalf("content-type %q", ct)
		}
		var text strings.Builder
		var frames, finishes int
		var last string
		var u *usage
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			line := sc.Text()
			if line == "" {
				continue
			}
			data, ok := strings.CutPrefix(line, "data: ")
			if !ok {
				t.Fatalf("line %q is not a data frame", line)
			}
			last = data
			if data == "[DONE]" {
				continue
			}
			frames++
			c := decode(t, []byte(data))
			if c.Object != "chat.completion.chunk" {
				t.Errorf("frame object %q", c.Object)
			}
			if c.Usage != nil {
				u = c.Usage
			}
			for _, ch := range c.Choices {
				text.WriteString(ch.Delta.Content)
				if ch.FinishReason != nil {
					finishes++
				}
			}
		}
		if last != "[DONE]" {
			t.Errorf("last frame %q, want [DONE]", last)
		}
		if text.String() != hello || frames < 12 || finishes != 1 {
			t.Errorf("stream: %q in %d frames, %d finish reasons; want %q in 12+ frames, one finish", text.String(), frames, finishes, hello)
		}
		if u == nil || u.CompletionTokens != 12 || u.PromptTokens != 24 {
			t.Errorf("stream usage %+v, want 24 prompt, 12 completion", u)
		}
	})

	t.Run("completions stop", func(t *testing.T) {
		_, b := post(t, complURL, map[string]any{"prompt": "hello", "max_tokens": 20})
		full := decode(t, b).Choices[0].Text
		if len(full) < 4 {
			t.Fatalf("completion %q too short", full)
		}
		stop := full[2:4]
		_, b = post(t, complURL, map[string]any{"prompt": "hello", "max_tokens": 20, "stop": []string{stop}})
		r := decode(t, b)
		got := r.Choices[0].Text
		if want := full[:strings.Index(full, stop)]; got != want || *r.Choices[0].FinishReason != "stop" {
			t.Errorf("with stop %q: %q (finish %s), want %q (stop)", stop, got, *r.Choices[0].FinishReason, want)
		}
	})

	t.Run("embeddings", func(t *testing.T) {
		var r struct {
			Data []struct {
				Index     int       `json:"index"`
				Embedding []float64 `json:"embedding"`
			} `json:"data"`
			Usage usage `json:"usage"`
		}
		resp, b := post(t, e.URL+"/v1/embeddings", map[string]any{"input": []string{"hello", "world", "hello"}})
		if resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, b)
		}
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		if len(r.Data) != 3 || len(r.Data[0].Embedding) != llmtest.DefaultModelConfig.Embedding {
			t.Fatalf("want 3 vectors of %d, got %s", llmtest.DefaultModelConfig.Embedding, b)
		}
		if !equal(r.Data[0].Embedding, r.Data[2].Embedding) || equal(r.Data[0].Embedding, r.Data[1].Embedding) {
			t.Error("want equal vectors for equal inputs and different ones for different inputs")
		}
		if r.Usage.PromptTokens != 18 { // 5+1, 5+1, 5+1
			t.Errorf("usage %+v, want 18 prompt tokens", r.Usage)
		}
	})

	t.Run("bad requests", func(t *testing.T) {
		for _, c := range []struct {
			name, url string
			body      any
			status    int
			param     string
		}{
			{"no messages", chatURL, map[string]any{"messages": []any{}}, 400, "messages"},
			{"max_tokens", chatURL, map[string]any{"messages": []map[string]string{{"role": "user", "content": "x"}}, "max_tokens": -1}, 400, "max_tokens"},
			{"over context", complURL, map[string]any{"prompt": "x", "max_tokens": 1024}, 400, "messages"},
			{"prompt type", complURL, map[string]any{"prompt": 3}, 400, "prompt"},
			{"not an object", chatURL, []int{1}, 400, ""},
			{"route", e.URL + "/v1/nope", map[string]any{}, 404, ""},
		} {
			resp, b := post(t, c.url, c.body)
			r := decode(t, b)
			if resp.StatusCode != c.status || r.Error == nil || r.Error.Message == "" || r.Error.Param != c.param {
				t.Errorf("%s: %d %s; want %d with an error naming %q", c.name, resp.StatusCode, b, c.status, c.param)
			}
		}
	})
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
