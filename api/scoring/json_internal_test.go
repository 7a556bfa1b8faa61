package scoring

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// value is node i of d as encoding/json with UseNumber would decode it.
func (d *doc) value(i int32) any {
	n := &d.nodes[i]
	switch n.kind {
	case kindNull:
		return nil
	case kindFalse:
		return false
	case kindTrue:
		return true
	case kindNumber:
		return json.Number(d.raw(i))
	case kindString:
		return d.text(i)
	case kindArray:
		a := []any{}
		for c := n.first; c >= 0; c = d.nodes[c].next {
			a = append(a, d.value(c))
		}
		return a
	}
	m := map[string]any{}
	for k := n.first; k >= 0; {
		v := d.nodes[k].next
		m[d.text(k)] = d.value(v)
		k = d.nodes[v].next
	}
	return m
}

// FuzzParseJSON checks the request parser against encoding/json: a body
// it parses is valid JSON with the same values, and valid JSON it refuses
// is nested deeper than MaxDepth. Bodies are UTF-8 (the decoder refuses
// others before parsing).
func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{
		splitBody, `{"inputs": [[5.1, 3.5], [6.9, 3.2]], "params": {"k": [true, false, null]}}`,
		`{"a": "\ud83d\ude00\u00e9\n", "a": -0.5e-3}`, `"\ud800\u0041"`, `[1,]`, `-Infinity`, `01`,
		strings.Repeat("[", 65) + strings.Repeat("]", 65),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		var d doc
		jerr := parseJSON(&d, s)
		valid := json.Valid([]byte(s))
		if jerr == nil {
			if !valid {
				t.Fatalf("parseJSON accepts %q, which json.Valid refuses", s)
			}
			var want any
			dec := json.NewDecoder(strings.NewReader(s))
			dec.UseNumber()
			if err := dec.Decode(&want); err != nil {
				t.Fatal(err)
			}
			root := int32(0)
			if got := d.value(root); !reflect.DeepEqual(got, want) {
				t.Fatalf("parseJSON(%q) = %#v, encoding/json gives %#v", s, got, want)
			}
			return
		}
		if valid && !strings.Contains(jerr.msg, "nesting deeper than") {
			t.Fatalf("parseJSON refuses valid JSON %q: %s at %d", s, jerr.msg, jerr.off)
		}
	})
}

const splitBody = `{"dataframe_split": {"columns": ["a", "b"], "data": [[1, "x"], [2, null]]}}`

// TestArenaDoubles: a large body's arena grows by doubling, a dozen
// reallocations for 250,000 values, so decoding allocates about three
// times its final arena; append's growth by a quarter for large slices
// takes about forty and allocates about five times.
func TestArenaDoubles(t *testing.T) {
	var nodes []node
	grows := 0
	for range 250000 {
		c := cap(nodes)
		nodes = appendNode(nodes, node{})
		if cap(nodes) != c {
			grows++
		}
	}
	if grows > 12 {
		t.Fatalf("the arena grew %d times for 250,000 nodes, want at most 12 (doubling)", grows)
	}
}
