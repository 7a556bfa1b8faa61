package bedrock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/gateway/provider"
	"github.com/berthml/berth/gateway/provider/internal/upstream"
)

func (p *Provider) converse(ctx context.Context, req *deployments.ChatRequest) (*converseResponse, *string, []upstream.ToolCall, error) {
	body, err := p.converseBody(req)
	if err != nil {
		return nil, nil, nil, err
	}
	resp, err := p.post(ctx, "converse", body)
	if err != nil {
		return nil, nil, nil, err
	}
	var raw json.RawMessage
	if err := p.up.Decode(resp, &raw); err != nil {
		return nil, nil, nil, err
	}
	r, txt, calls, err := parseConverse(raw)
	if err != nil {
		return nil, nil, nil, p.up.Err(provider.KindBadResponse, "the answer is not the expected JSON", err)
	}
	return r, txt, calls, nil
}

func (p *Provider) id(kind string) string { return fmt.Sprintf("bedrock-%s-%d", kind, p.up.Created()) }

// Chat calls Converse.
func (p *Provider) Chat(ctx context.Context, req *deployments.ChatRequest) (*deployments.ChatResponse, error) {
	r, txt, calls, err := p.converse(ctx, req)
	if err != nil {
		return nil, err
	}
	return &deployments.ChatResponse{ID: p.id("chat"), Object: "chat.completion", Created: p.up.Created(), Model: p.model, Usage: r.Usage.usage(),
		Choices: []deployments.ChatChoice{{Index: 0, FinishReason: finishReason(r.StopReason),
			Message: deployments.ResponseMessage{Role: "assistant", Content: txt, ToolCalls: upstream.ToolCallsJSON(calls)}}}}, nil
}

func asChat(req *deployments.CompletionsRequest) *deployments.ChatRequest {
	return &deployments.ChatRequest{Messages: []deployments.Message{deployments.TextMessage("user", req.Prompt)},
		Temperature: req.Temperature, N: req.N, Stop: req.Stop, MaxTokens: req.MaxTokens, Extra: req.Extra}
}

// Completions calls Converse with the prompt as one user message.
func (p *Provider) Completions(ctx context.Context, req *deployments.CompletionsRequest) (*deployments.CompletionsResponse, error) {
	r, txt, _, err := p.converse(ctx, asChat(req))
	if err != nil {
		return nil, err
	}
	t := ""
	if txt != nil {
		t = *txt
	}
	return &deployments.CompletionsResponse{ID: p.id("completions"), Object: "text_completion", Created: p.up.Created(), Model: p.model,
		Usage: r.Usage.usage(), Choices: []deployments.CompletionsChoice{{Index: 0, Text: t, FinishReason: finishReason(r.StopReason)}}}, nil
}

// streamEvent is the payload of one ConverseStream event; which members
// are set depends on the :event-type header.
type streamEvent struct {
	Role              string `json:"role"`              // messageStart
	ContentBlockIndex int    `json:"contentBlockIndex"` // contentBlockStart/Delta/Stop
	Start             *struct {
		ToolUse *struct {
			ToolUseID string `json:"toolUseId"`
			Name      string `json:"name"`
		} `json:"toolUse"`
	} `json:"start"`
	Delta *struct {
		Text    *string `json:"text"`
		ToolUse *struct {
			Input string `json:"input"`
		} `json:"toolUse"`
	} `json:"delta"`
	StopReason string `json:"stopReason"` // messageStop
	Usage      *usage `json:"usage"`      // metadata
	Message    string `json:"message"`    // exceptions
}

// piece is what one event adds to the OpenAI-shaped stream.
type piece struct {
	role      bool
	text      *string
	toolCalls json.RawMessage
	finish    *string
	usage     *deployments.Usage
}

// translator keeps what later events need: tool-call indices and the
// stop reason (messageStop comes before metadata's usage).
type translator struct {
	tools  map[int]int
	finish *string
	done   bool
}

// exceptionStatus maps ConverseStream's exception events to the HTTP
// status Bedrock answers the same exception with.
var exceptionStatus = map[string]int{
	"throttlingException": 429, "validationException": 400, "modelStreamErrorException": 424,
	"serviceUnavailableException": 503, "internalServerException": 500, "accessDeniedException": 403,
	"resourceNotFoundException": 404, "modelTimeoutException": 408,
}

// next translates one event.
func (t *translator) next(provider_ string, m eventstream.Message) (*piece, error) {
	header := func(name string) string {
		if v := m.Headers.Get(name); v != nil {
			return v.String()
		}
		return ""
	}
	var e streamEvent
	if len(m.Payload) > 0 {
		if err := json.Unmarshal(m.Payload, &e); err != nil {
			return nil, err
		}
	}
	switch header(":message-type") {
	case "exception", "error":
		kind := header(":exception-type")
		if kind == "" {
			kind = header(":error-code")
		}
		status := exceptionStatus[kind]
		if status == 0 {
			status = 502
		}
		msg := e.Message
		if msg == "" {
			msg = kind
		}
		return nil, &provider.Error{Provider: provider_, Kind: provider.KindUpstream, Status: status, Message: msg}
	}
	switch header(":event-type") {
	case "messageStart":
		return &piece{role: true, text: deployments.Ptr("")}, nil
	case "contentBlockStart":
		if e.Start != nil && e.Start.ToolUse != nil {
			if t.tools == nil {
				t.tools = map[int]int{}
			}
			i := len(t.tools)
			t.tools[e.ContentBlockIndex] = i
			return &piece{toolCalls: upstream.ToolCallDelta(i, e.Start.ToolUse.ToolUseID, e.Start.ToolUse.Name, "")}, nil
		}
	case "contentBlockDelta":
		if e.Delta == nil {
			return nil, nil
		}
		if e.Delta.Text != nil {
			return &piece{text: e.Delta.Text}, nil
		}
		if e.Delta.ToolUse != nil {
			i, ok := t.tools[e.ContentBlockIndex]
			if !ok {
				return nil, errors.New("a toolUse delta for a block that did not start a tool use")
			}
			return &piece{toolCalls: upstream.ToolCallDelta(i, "", "", e.Delta.ToolUse.Input)}, nil
		}
	case "messageStop":
		t.finish = finishReason(e.StopReason)
	case "metadata":
		u := e.Usage.usage()
		t.done = true
		return &piece{finish: t.finish, usage: &u}, nil
	}
	return nil, nil
}

// stream calls ConverseStream and passes each piece to emit.
func (p *Provider) stream(ctx context.Context, req *deployments.ChatRequest, emit func(*piece) error) error {
	body, err := p.converseBody(req)
	if err != nil {
		return err
	}
	resp, err := p.post(ctx, "converse-stream", body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	stop := context.AfterFunc(ctx, func() { resp.Body.Close() })
	defer stop()
	dec := eventstream.NewDecoder()
	buf := make([]byte, 0, 4<<10)
	t := &translator{}
	for !t.done {
		m, err := dec.Decode(resp.Body, buf)
		if err != nil {
			if errors.Is(err, io.EOF) {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return p.up.Err(provider.KindBadResponse, "the stream ended before its metadata event", nil)
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return p.up.Err(provider.KindBadResponse, "the event stream is not readable", err)
		}
		pc, err := t.next(p.up.Provider, m)
		if err != nil {
			if _, ok := provider.AsError(err); ok {
				return err
			}
			return p.up.BadEvent(err)
		}
		if pc != nil {
			if err := emit(pc); err != nil {
				return err
			}
		}
	}
	return nil
}

// ChatStream calls ConverseStream, translating its events into OpenAI
// chat chunks; the last carries finish_reason and usage.
func (p *Provider) ChatStream(ctx context.Context, req *deployments.ChatRequest, fn func(*deployments.ChatChunk) error) error {
	id, created := p.id("chat-stream"), p.up.Created()
	return p.stream(ctx, req, func(pc *piece) error {
		d := deployments.Delta{Content: pc.text, ToolCalls: pc.toolCalls}
		if pc.role {
			d.Role = deployments.Ptr("assistant")
		}
		return fn(&deployments.ChatChunk{ID: id, Object: "chat.completion.chunk", Created: created, Model: p.model, Usage: pc.usage,
			Choices: []deployments.ChatChunkChoice{{Index: 0, FinishReason: pc.finish, Delta: d}}})
	})
}

// CompletionsStream streams ConverseStream as completions chunks.
func (p *Provider) CompletionsStream(ctx context.Context, req *deployments.CompletionsRequest, fn func(*deployments.CompletionsChunk) error) error {
	id, created := p.id("completions-stream"), p.up.Created()
	return p.stream(ctx, asChat(req), func(pc *piece) error {
		if pc.role || (pc.text == nil && pc.usage == nil) {
			return nil
		}
		return fn(&deployments.CompletionsChunk{ID: id, Object: "text_completion_chunk", Created: created, Model: p.model, Usage: pc.usage,
			Choices: []deployments.CompletionsChunkChoice{{Index: 0, FinishReason: pc.finish, Delta: deployments.Delta{Content: pc.text}}}})
	})
}
