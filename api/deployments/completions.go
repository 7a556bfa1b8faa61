package deployments

import "encoding/json"

// CompletionsRequest is the body of a query to an llm/v1/completions
// endpoint, and of POST /v1/completions (where Model names the endpoint).
type CompletionsRequest struct {
	Model       string
	Prompt      string
	Temperature *float64
	N           *int
	Stop        []string
	MaxTokens   *int
	Stream      *bool
	Extra       Extra // every other member (suffix, echo, ...), passed through
}

// IsStream reports whether the request asks for a stream.
func (r *CompletionsRequest) IsStream() bool { return r.Stream != nil && *r.Stream }

// UnmarshalJSON decodes a completions request, keeping unknown members in
// Extra.
func (r *CompletionsRequest) UnmarshalJSON(data []byte) error {
	m, err := splitObject(data)
	if err != nil {
		return err
	}
	return r.FromMembers(m)
}

// FromMembers sets r from a JSON object already split into its members,
// taking the known ones out of m.
func (r *CompletionsRequest) FromMembers(m map[string]json.RawMessage) error {
	*r = CompletionsRequest{}
	for _, f := range []struct {
		name string
		dst  any
	}{{"model", &r.Model}, {"prompt", &r.Prompt}, {"temperature", &r.Temperature}, {"n", &r.N},
		{"stop", &r.Stop}, {"max_tokens", &r.MaxTokens}, {"stream", &r.Stream}} {
		if err := take(m, f.name, f.dst); err != nil {
			return err
		}
	}
	if len(m) > 0 {
		r.Extra = m
	}
	return nil
}

// MarshalJSON writes the named members first, then Extra.
func (r CompletionsRequest) MarshalJSON() ([]byte, error) {
	return writeObject([]member{{"model", str(r.Model)}, {"prompt", r.Prompt}, {"temperature", opt(r.Temperature)},
		{"n", opt(r.N)}, {"stop", sliceOrNil(r.Stop)}, {"max_tokens", opt(r.MaxTokens)}, {"stream", opt(r.Stream)}}, r.Extra)
}

// CompletionsResponse is a completions endpoint's answer.
type CompletionsResponse struct {
	ID      string              `json:"id"`
	Object  string              `json:"object"` // "text_completion"
	Created int64               `json:"created"`
	Model   string              `json:"model"`
	Choices []CompletionsChoice `json:"choices"`
	Usage   Usage               `json:"usage"`
}

// CompletionsChoice is one choice of a completions answer.
type CompletionsChoice struct {
	Index        int     `json:"index"`
	Text         string  `json:"text"`
	FinishReason *string `json:"finish_reason"`
}

// CompletionsChunk is one event of a streamed completions answer. MLflow
// puts the text in delta.content; Text repeats it for OpenAI's clients,
// which read choices[].text (set on /v1/completions only).
type CompletionsChunk struct {
	ID      string                   `json:"id"`
	Object  string                   `json:"object"` // "text_completion_chunk"
	Created int64                    `json:"created"`
	Model   string                   `json:"model"`
	Choices []CompletionsChunkChoice `json:"choices"`
	Usage   *Usage                   `json:"usage,omitempty"`
}

// CompletionsChunkChoice is one choice's part in a completions chunk.
type CompletionsChunkChoice struct {
	Index        int     `json:"index"`
	FinishReason *string `json:"finish_reason"`
	Delta        Delta   `json:"delta"`
	Text         *string `json:"text,omitempty"`
}
