package jsonscan_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/berthml/berth/internal/jsonscan"
)

func TestValues(t *testing.T) {
	for _, tc := range []struct {
		body string
		want int
	}{
		{``, 1},
		{`1`, 1},
		{`"a,b[c{"`, 1},
		{`"a\"[,"`, 1},
		{`"a\\",[`, 3},
		{`"a\\\",[`, 1}, // the string never ends
		{`[]`, 2},
		{`[1,2,3]`, 4},
		{`{"a":[1,2],"b":{"c":"x,y"}}`, 6},
		{`[{},{},{}]`, 7},
		{`{"metrics":[{"key":"a","value":1},{"key":"b","value":2}]}`, 8},
	} {
		if got := jsonscan.Values([]byte(tc.body)); got != tc.want {
			t.Errorf("Values(%s) = %d, want %d", tc.body, got, tc.want)
		}
	}
}

// FuzzValues: Values never panics, and on valid JSON it is at least the
// number of values encoding/json decodes (the last of duplicate keys
// only), and at most twice the number of values and members it reads.
func FuzzValues(f *testing.F) {
	for _, s := range []string{`[1,2,3]`, `{"a":"\\\"","b":[{},[]]}`, `"x"`, `[[[[]]]]`, `{"k":{"k":{"k":"v,]["}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got := jsonscan.Values(b) // never panics, whatever b is
		var v any
		if json.Unmarshal(b, &v) != nil {
			return
		}
		if want := count(v); got < want {
			t.Fatalf("Values(%q) = %d; encoding/json decodes %d values", b, got, want)
		}
		if read := tokens(t, b); got > 2*read {
			t.Fatalf("Values(%q) = %d for %d values and members read", b, got, read)
		}
	})
}

// tokens counts the values and object members a json.Decoder reads in b.
func tokens(t *testing.T, b []byte) int {
	d := json.NewDecoder(bytes.NewReader(b))
	n := 0
	for {
		tok, err := d.Token()
		if err != nil {
			return n
		}
		if d, ok := tok.(json.Delim); !ok || d == '[' || d == '{' {
			n++ // a key counts too: a member
		}
	}
}

func count(v any) int {
	n := 1
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			n += count(e)
		}
	case map[string]any:
		for _, e := range v {
			n += count(e)
		}
	}
	return n
}
