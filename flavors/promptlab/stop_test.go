package promptlab_test

import (
	"reflect"
	"testing"

	"github.com/berthml/berth/flavors/promptlab"
)

func TestPyStringList(t *testing.T) {
	for in, want := range map[string][]string{
		"['END']":               {"END"},
		`['a', "it's", 'x\ny']`: {"a", "it's", "x\ny"},
		"[]":                    nil,
		"END":                   {"END"},
		"['unterminated":        {"['unterminated"},
		"[1, 2]":                {"[1, 2]"},
	} {
		if got := promptlab.PyStringList(in); !reflect.DeepEqual(got, want) {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

// FuzzPyStringList: the stop parameter comes from a saved model; reading
// it never panics and keeps some text.
func FuzzPyStringList(f *testing.F) {
	for _, s := range []string{"['END']", `["a\"b", 'c']`, "[", "['", `['\`, ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_ = promptlab.PyStringList(s)
	})
}
