package gemini

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/gateway/provider"
	"github.com/berthml/berth/gateway/provider/internal/upstream"
)

// generateResponse is a generateContent answer, and one event of
// streamGenerateContent.
type generateResponse struct {
	Candidates []struct {
		Content struct {
			Parts []struct {
				Text         *string `json:"text"`
				FunctionCall *struct {
					ID   string          `json:"id"`
					Name string          `json:"name"`
					Args json.RawMessage `json:"args"`
				} `json:"functionCall"`
			} `json:"parts"`
		} `json:"content"`
		FinishReason string `json:"finishReason"`
		Index        *int   `json:"index"`
	} `json:"candidates"`
	UsageMetadata *struct {
		PromptTokenCount     *int `json:"promptTokenCount"`
		CandidatesTokenCount *int `json:"candidatesTokenCount"`
		TotalTokenCount      *int `json:"totalTokenCount"`
	} `json:"usageMetadata"`
	ResponseID   string `json:"responseId"`
	ModelVersion string `json:"modelVersion"`
}

// candidate is one candidate, translated.
type candidate struct {
	index  int
	text   *string
	calls  []upstream.ToolCall
	finish *string
}

// finishReason is MLflow's _normalize_finish_reason: MAX_TOKENS → length,
// else lowercased; a function call's stop is OpenAI's tool_calls.
func finishReason(s string, calls bool) *string {
	switch {
	case s == "":
		return nil
	case s == "MAX_TOKENS":
		return deployments.Ptr("length")
	case s == "STOP" && calls:
		return deployments.Ptr("tool_calls")
	}
	return deployments.Ptr(strings.ToLower(s))
}

// callID is the call's id, or MLflow's stand-in for a call without one.
func callID(id, name, args string) string {
	if id != "" {
		return id
	}
	sum := md5.Sum([]byte(name + "/" + args))
	return "call_" + hex.EncodeToString(sum[:])
}

// parse reads an answer or stream event.
func parse(b []byte) (*generateResponse, []candidate, error) {
	var r generateResponse
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, nil, err
	}
	out := make([]candidate, len(r.Candidates))
	for i, c := range r.Candidates {
		cd := candidate{index: i}
		if c.Index != nil {
			cd.index = *c.Index
		}
		for _, pt := range c.Content.Parts {
			if pt.FunctionCall != nil {
				args := string(pt.FunctionCall.Args)
				if args == "" || args == "null" {
					args = "{}"
				}
				cd.calls = append(cd.calls, upstream.ToolCall{ID: callID(pt.FunctionCall.ID, pt.FunctionCall.Name, args),
					Name: pt.FunctionCall.Name, Arguments: args})
			} else if pt.Text != nil {
				if cd.text == nil {
					cd.text = new(string)
				}
				*cd.text += *pt.Text
			}
		}
		cd.finish = finishReason(c.FinishReason, len(cd.calls) > 0)
		out[i] = cd
	}
	return &r, out, nil
}

func (r *generateResponse) usage() deployments.Usage {
	if r.UsageMetadata == nil {
		return deployments.Usage{}
	}
	u := r.UsageMetadata
	return deployments.Usage{PromptTokens: u.PromptTokenCount, CompletionTokens: u.CandidatesTokenCount, TotalTokens: u.TotalTokenCount}
}

func (p *Provider) generate(ctx context.Context, body *generateRequest) (*generateResponse, []candidate, error) {
	resp, err := p.up.PostJSON(ctx, p.base+":generateContent", p.header, body)
	if err != nil {
		return nil, nil, err
	}
	var raw json.RawMessage
	if err := p.up.Decode(resp, &raw); err != nil {
		return nil, nil, err
	}
	r, cands, err := parse(raw)
	if err != nil {
		return nil, nil, p.up.Err(provider.KindBadResponse, "the answer is not the expected JSON", err)
	}
	return r, cands, nil
}

func (p *Provider) id(kind string) string { return fmt.Sprintf("gemini-%s-%d", kind, p.up.Created()) }

// Chat calls generateContent.
func (p *Provider) Chat(ctx context.Context, req *deployments.ChatRequest) (*deployments.ChatResponse, error) {
	body, err := p.chatRequest(req)
	if err != nil {
		return nil, err
	}
	r, cands, err := p.generate(ctx, body)
	if err != nil {
		return nil, err
	}
	out := &deployments.ChatResponse{ID: p.id("chat"), Object: "chat.completion", Created: p.up.Created(), Model: p.model,
		Usage: r.usage(), Choices: make([]deployments.ChatChoice, 0, len(cands))}
	for _, c := range cands {
		if c.text == nil && len(c.calls) == 0 {
			continue // a candidate without content (blocked), as MLflow drops it
		}
		finish := c.finish
		if finish == nil {
			finish = deployments.Ptr("stop")
		}
		out.Choices = append(out.Choices, deployments.ChatChoice{Index: c.index, FinishReason: finish,
			Message: deployments.ResponseMessage{Role: "assistant", Content: c.text, ToolCalls: upstream.ToolCallsJSON(c.calls)}})
	}
	return out, nil
}

// Completions calls generateContent with the prompt as one user message.
func (p *Provider) Completions(ctx context.Context, req *deployments.CompletionsRequest) (*deployments.CompletionsResponse, error) {
	body, err := p.completionsRequest(req)
	if err != nil {
		return nil, err
	}
	r, cands, err := p.generate(ctx, body)
	if err != nil {
		return nil, err
	}
	out := &deployments.CompletionsResponse{ID: p.id("completions"), Object: "text_completion", Created: p.up.Created(), Model: p.model,
		Usage: r.usage(), Choices: make([]deployments.CompletionsChoice, 0, len(cands))}
	for _, c := range cands {
		if c.text == nil || *c.text == "" {
			continue
		}
		finish := c.finish
		if finish == nil {
			finish = deployments.Ptr("stop")
		}
		out.Choices = append(out.Choices, deployments.CompletionsChoice{Index: c.index, Text: *c.text, FinishReason: finish})
	}
	return out, nil
}

// stream calls streamGenerateContent?alt=sse and passes each event's
// translation to emit.
func (p *Provider) stream(ctx context.Context, body *generateRequest, emit func(*generateResponse, []candidate) error) error {
	resp, err := p.up.PostJSON(ctx, p.base+":streamGenerateContent?alt=sse", p.header, body)
	if err != nil {
		return err
	}
	return p.up.Events(ctx, resp, func(data []byte) error {
		r, cands, err := parse(data)
		if err != nil {
			return p.up.BadEvent(err)
		}
		return upstream.Callback(emit(r, cands))
	})
}

// ChatStream streams generateContent as OpenAI chat chunks; a function
// call arrives whole, in one chunk.
func (p *Provider) ChatStream(ctx context.Context, req *deployments.ChatRequest, fn func(*deployments.ChatChunk) error) error {
	body, err := p.chatRequest(req)
	if err != nil {
		return err
	}
	id, created := p.id("chat-stream"), p.up.Created()
	return p.stream(ctx, body, func(r *generateResponse, cands []candidate) error {
		ch := &deployments.ChatChunk{ID: id, Object: "chat.completion.chunk", Created: created, Model: p.model,
			Choices: make([]deployments.ChatChunkChoice, len(cands))}
		if r.UsageMetadata != nil {
			u := r.usage()
			ch.Usage = &u
		}
		for i, c := range cands {
			d := deployments.Delta{Role: deployments.Ptr("assistant"), Content: c.text}
			if len(c.calls) > 0 {
				var b strings.Builder
				b.WriteByte('[')
				for j, call := range c.calls {
					if j > 0 {
						b.WriteByte(',')
					}
					one := upstream.ToolCallDelta(j, call.ID, call.Name, call.Arguments)
					b.Write(one[1 : len(one)-1])
				}
				b.WriteByte(']')
				d.ToolCalls = json.RawMessage(b.String())
			} else if d.Content == nil {
				d.Content = deployments.Ptr("")
			}
			ch.Choices[i] = deployments.ChatChunkChoice{Index: c.index, FinishReason: c.finish, Delta: d}
		}
		return fn(ch)
	})
}

// CompletionsStream streams generateContent as completions chunks.
func (p *Provider) CompletionsStream(ctx context.Context, req *deployments.CompletionsRequest, fn func(*deployments.CompletionsChunk) error) error {
	body, err := p.completionsRequest(req)
	if err != nil {
		return err
	}
	id, created := p.id("completions-stream"), p.up.Created()
	return p.stream(ctx, body, func(r *generateResponse, cands []candidate) error {
		ch := &deployments.CompletionsChunk{ID: id, Object: "text_completion_chunk", Created: created, Model: p.model,
			Choices: make([]deployments.CompletionsChunkChoice, len(cands))}
		if r.UsageMetadata != nil {
			u := r.usage()
			ch.Usage = &u
		}
		for i, c := range cands {
			t := c.text
			if t == nil {
				t = deployments.Ptr("")
			}
			ch.Choices[i] = deployments.CompletionsChunkChoice{Index: c.index, FinishReason: c.finish, Delta: deployments.Delta{Content: t}}
		}
		return fn(ch)
	})
}

// embedResponse is an embedContent or batchEmbedContents answer.
type embedResponse struct {
	Embedding *struct {
		Values []float64 `json:"values"`
	} `json:"embedding"`
	Embeddings []struct {
		Values []float64 `json:"values"`
	} `json:"embeddings"`
}

// Embeddings calls embedContent for one input, batchEmbedContents for more.
func (p *Provider) Embeddings(ctx context.Context, req *deployments.EmbeddingsRequest) (*deployments.EmbeddingsResponse, error) {
	texts, err := req.Texts()
	if err != nil || len(texts) == 0 {
		return nil, p.up.Invalid("input must be a string or a non-empty list of strings for the gemini provider")
	}
	type embedContent struct {
		Model   string  `json:"model,omitempty"`
		Content content `json:"content"`
	}
	var body any
	url := p.base + ":embedContent"
	if len(texts) == 1 {
		body = embedContent{Content: content{Parts: []part{text(texts[0])}}}
	} else {
		reqs := make([]embedContent, len(texts))
		for i, t := range texts {
			reqs[i] = embedContent{Model: "models/" + p.model, Content: content{Parts: []part{text(t)}}}
		}
		body = map[string]any{"requests": reqs}
		url = p.base + ":batchEmbedContents"
	}
	resp, err := p.up.PostJSON(ctx, url, p.header, body)
	if err != nil {
		return nil, err
	}
	var r embedResponse
	if err := p.up.Decode(resp, &r); err != nil {
		return nil, err
	}
	vecs := r.Embeddings
	if r.Embedding != nil {
		vecs = append(vecs[:0:0], *r.Embedding)
	}
	if len(vecs) != len(texts) {
		return nil, p.up.Err(provider.KindBadResponse, fmt.Sprintf("%d embeddings for %d inputs", len(vecs), len(texts)), nil)
	}
	out := &deployments.EmbeddingsResponse{Object: "list", Model: p.model, Data: make([]deployments.Embedding, len(vecs))}
	for i, v := range vecs {
		out.Data[i] = deployments.Embedding{Object: "embedding", Embedding: v.Values, Index: i}
	}
	return out, nil
}
