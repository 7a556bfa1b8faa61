package gateway

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestMembers: the walk splits what encoding/json splits, and turns down
// what it leaves to encoding/json.
func TestMembers(t *testing.T) {
	for _, tc := range []struct {
		body string
		want map[string]json.RawMessage // nil: turned down
	}{
		{`{}`, map[string]json.RawMessage{}},
		{` { "a" : 1 , "b":[1, {"c":"]"}] ,"d":"x\"y"} `, map[string]json.RawMessage{"a": json.RawMessage(`1`), "b": json.RawMessage(`[1, {"c":"]"}]`), "d": json.RawMessage(`"x\"y"`)}},
		{`{"a":1,"a":true}`, map[string]json.RawMessage{"a": json.RawMessage(`true`)}},
		{`{"a":-1.5e3,"b":null,"c":false}`, map[string]json.RawMessage{"a": json.RawMessage(`-1.5e3`), "b": json.RawMessage(`null`), "c": json.RawMessage(`false`)}},
		{`{"\u0061":1}`, nil},
		{`{"é":1}`, nil},
		{`[1]`, nil},
		{`"x"`, nil},
		{`null`, nil},
	} {
		got, ok := members([]byte(tc.body))
		if tc.want == nil {
			if ok {
				t.Errorf("%s: split as %v, want it turned down", tc.body, got)
			}
			continue
		}
		if !ok || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %q (%v), want %q", tc.body, got, ok, tc.want)
		}
	}
}

// FuzzSplit: for every valid JSON value, members and elements give what
// encoding/json gives, or turn it down.
func FuzzSplit(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add(s)
	}
	for _, s := range []string{`[1, "a", {"b":[]}, [], null]`, `[]`, ` [ "]" , "\\" ] `, `{"a":{"b":{"c":[[[]]]}}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		b := []byte(body)
		if !json.Valid(b) {
			return
		}
		if got, ok := members(b); ok {
			var want map[string]json.RawMessage
			if err := json.Unmarshal(b, &want); err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("members(%q) = %q, encoding/json %q (%v)", body, got, want, err)
			}
		}
		if got, ok := elements(b); ok {
			var want []json.RawMessage
			if err := json.Unmarshal(b, &want); err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("elements(%q) = %q, encoding/json %q (%v)", body, got, want, err)
			}
		}
	})
}
