package berth

import (
	"encoding/json"
	"testing"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/gateway/provider"
)

// FuzzTokens: any request input either is refused as the client's mistake
// or becomes token rows within the vocabulary and the length limit.
func FuzzTokens(f *testing.F) {
	for _, s := range []string{`"hello"`, `["a", "bc"]`, `[]`, `[[1, 2, 256]]`, `[1, 2]`, `[[0]]`, `{"a": 1}`, `null`,
		`"` + "\u00e9\u4e16" + `"`, `[[]]`, `[""]`, `[[1], "x"]`, `1e400`} {
		f.Add([]byte(s))
	}
	p := &Provider{maxTokens: 8, batch: 2}
	f.Fuzz(func(t *testing.T, in []byte) {
		req := &deployments.EmbeddingsRequest{Input: json.RawMessage(in)}
		ids, err := p.tokens(req)
		if err != nil {
			if pe, ok := provider.AsError(err); !ok || pe.Kind != provider.KindInvalidRequest {
				t.Fatalf("error %v is not a client error", err)
			}
			return
		}
		if len(ids) == 0 || len(ids) > maxInputs {
			t.Fatalf("%d rows", len(ids))
		}
		for _, row := range ids {
			if len(row) > p.maxTokens {
				t.Fatalf("row of %d tokens passed a limit of %d", len(row), p.maxTokens)
			}
			for _, id := range row {
				if id < 1 || id > 256 {
					t.Fatalf("token id %d", id)
				}
			}
		}
	})
}

// TestTokens: the byte tokenizer, table by table.
func TestTokens(t *testing.T) {
	p := &Provider{maxTokens: 4}
	tests := []struct {
		in   string
		want [][]int64
	}{
		{`"ab"`, [][]int64{{98, 99}}},
		{`["", "é"]`, [][]int64{{}, {0xc3 + 1, 0xa9 + 1}}},
		{`[[5, 6]]`, [][]int64{{5, 6}}},
		{`[7]`, [][]int64{{7}}},
	}
	for _, tt := range tests {
		got, err := p.tokens(&deployments.EmbeddingsRequest{Input: json.RawMessage(tt.in)})
		if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(tt.want)
		if string(g) != string(w) {
			t.Errorf("%s: %s, want %s", tt.in, g, w)
		}
	}
}
