package deployments

import (
	"encoding/json"
	"errors"
)

// EmbeddingsRequest is the body of a query to an llm/v1/embeddings
// endpoint, and of POST /v1/embeddings (where Model names the endpoint).
type EmbeddingsRequest struct {
	Model string
	Input json.RawMessage // a string or a list of strings (or token lists), passed through
	Extra Extra           // every other member (dimensions, encoding_format, ...), passed through
}

// UnmarshalJSON decodes an embeddings request, keeping unknown members in
// Extra.
func (r *EmbeddingsRequest) UnmarshalJSON(data []byte) error {
	m, err := splitObject(data)
	if err != nil {
		return err
	}
	return r.FromMembers(m)
}

// FromMembers sets r from a JSON object already split into its members,
// taking the known ones out of m.
func (r *EmbeddingsRequest) FromMembers(m map[string]json.RawMessage) error {
	*r = EmbeddingsRequest{}
	if err := take(m, "model", &r.Model); err != nil {
		return err
	}
	if in, ok := m["input"]; ok {
		if !isNull(in) {
			r.Input = in
		}
		delete(m, "input")
	}
	if len(m) > 0 {
		r.Extra = m
	}
	return nil
}

// MarshalJSON writes model and input first, then Extra.
func (r EmbeddingsRequest) MarshalJSON() ([]byte, error) {
	return writeObject([]member{{"model", str(r.Model)}, {"input", raw(r.Input)}}, r.Extra)
}

// ErrInputNotText is returned by Texts for an input that is neither a
// string nor a list of strings.
var ErrInputNotText = errors.New("input is neither a string nor a list of strings")

// Texts returns the input as a list of strings (a single string as a list
// of one).
func (r *EmbeddingsRequest) Texts() ([]string, error) {
	var one string
	if err := json.Unmarshal(r.Input, &one); err == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(r.Input, &many); err != nil {
		return nil, ErrInputNotText
	}
	return many, nil
}

// EmbeddingsResponse is an embeddings endpoint's answer.
type EmbeddingsResponse struct {
	Object string      `json:"object"` // "list"
	Data   []Embedding `json:"data"`
	Model  string      `json:"model"`
	Usage  Usage       `json:"usage"`
}

// Embedding is one input's vector.
type Embedding struct {
	Object    string    `json:"object"` // "embedding"
	Embedding []float64 `json:"embedding"`
	Index     int       `json:"index"`
}
