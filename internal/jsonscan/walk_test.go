package jsonscan_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/berthml/berth/internal/jsonscan"
)

func members(t testing.TB, b []byte) (keys []string, values []string, ok bool) {
	ok = jsonscan.Members(b, func(k, v []byte) bool {
		keys = append(keys, string(k))
		values = append(values, string(v))
		return true
	})
	return keys, values, ok
}

func TestMembers(t *testing.T) {
	for _, tc := range []struct {
		in     string
		keys   []string
		values []string
		ok     bool
	}{
		{`{}`, nil, nil, true},
		{` { } `, nil, nil, true},
		{`{"a":1}`, []string{"a"}, []string{"1"}, true},
		{"{ \"a\" :\n 1 , \"b\":[1,{\"c\":\"]}\"}] ,\"d\":\"x\\\"y\",\"e\":null}",
			[]string{"a", "b", "d", "e"}, []string{"1", `[1,{"c":"]}"}]`, `"x\"y"`, "null"}, true},
		{`{"a":1,"a":2}`, []string{"a", "a"}, []string{"1", "2"}, true},
		{`{"a\u0062":1}`, nil, nil, false}, // escaped key: left to encoding/json
		{`{"é":1}`, nil, nil, false},       // non-ASCII key (encoding/json folds case)
		{`[1]`, nil, nil, false},
		{`"s"`, nil, nil, false},
		{``, nil, nil, false},
	} {
		keys, values, ok := members(t, []byte(tc.in))
		if ok != tc.ok {
			t.Errorf("%q: ok %v, want %v", tc.in, ok, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		if len(keys) != len(tc.keys) {
			t.Errorf("%q: keys %q, want %q", tc.in, keys, tc.keys)
			continue
		}
		for i := range keys {
			if keys[i] != tc.keys[i] || values[i] != tc.values[i] {
				t.Errorf("%q: member %d %q:%q, want %q:%q", tc.in, i, keys[i], values[i], tc.keys[i], tc.values[i])
			}
		}
	}
}

func TestElementsStopsWhenAsked(t *testing.T) {
	var n int
	if jsonscan.Elements([]byte(`[1, "2", [3], {"4":4}]`), func([]byte) bool { n++; return n < 2 }) {
		t.Error("Elements reported true after fn said false")
	}
	if n != 2 {
		t.Errorf("fn called %d times, want 2", n)
	}
	var got []string
	if !jsonscan.Elements([]byte(` [ 1 , "2,]" , [3] , {"4":4} ] `), func(v []byte) bool { got = append(got, string(v)); return true }) {
		t.Fatal("Elements: false for an array")
	}
	want := []string{"1", `"2,]"`, "[3]", `{"4":4}`}
	if len(got) != len(want) {
		t.Fatalf("Elements: %q, want %q", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("Elements[%d] = %q, want %q", i, got[i], want[i])
		}
	}
	if jsonscan.Elements([]byte(`{}`), func([]byte) bool { return true }) {
		t.Error("Elements: true for an object")
	}
}

// FuzzMembers: on any valid JSON object, what Members hands out is what
// encoding/json splits it into (members in order, each value the same
// bytes as a json.RawMessage decode gives), and an array's Elements are
// its []json.RawMessage.
func FuzzMembers(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1,"b":[1,2,{"c":"d"}],"e":"\"}"}`, `[1,[2],{"3":3},"4"]`, `{"a":{"b":{"c":[]}}}`, ` [ ] `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		var arr []json.RawMessage
		if json.Unmarshal(b, &arr) == nil {
			var got [][]byte
			if !jsonscan.Elements(b, func(v []byte) bool { got = append(got, v); return true }) {
				t.Fatalf("Elements(%q): false for an array", b)
			}
			if len(got) != len(arr) {
				t.Fatalf("Elements(%q): %d values, encoding/json %d", b, len(got), len(arr))
			}
			for i := range got {
				if !bytes.Equal(got[i], bytes.TrimSpace(arr[i])) {
					t.Fatalf("Elements(%q)[%d] = %q, encoding/json %q", b, i, got[i], arr[i])
				}
			}
		}
		keys, values, ok := members(t, b)
		if !ok {
			return
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("Members(%q) walked what encoding/json refuses as an object: %v", b, err)
		}
		last := map[string]string{}
		for i, k := range keys {
			last[k] = values[i]
		}
		if len(last) != len(m) {
			t.Fatalf("Members(%q): %d distinct keys, encoding/json %d", b, len(last), len(m))
		}
		for k, v := range last {
			if w, ok := m[k]; !ok || v != string(bytes.TrimSpace(w)) {
				t.Fatalf("Members(%q)[%q] = %q, encoding/json %q", b, k, v, w)
			}
		}
	})
}

func TestPlainString(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		ok   bool
	}{
		{`"abc"`, "abc", true},
		{`""`, "", true},
		{`"a b~"`, "a b~", true},
		{`"a\"b"`, "", false},
		{`"a\nb"`, "", false},
		{"\"a\tb\"", "", false},
		{`"é"`, "", false},
		{`abc`, "", false},
		{`"`, "", false},
		{`1`, "", false},
	} {
		got, ok := jsonscan.PlainString([]byte(tc.in))
		if ok != tc.ok || got != tc.want {
			t.Errorf("PlainString(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	for _, tc := range []struct {
		in string
		ok bool
	}{{"abc", true}, {"", true}, {"a<b", false}, {"a&b", false}, {`a"b`, false}, {"é", false}, {"a\x7fb", false}} {
		if ok := jsonscan.PlainText(tc.in); ok != tc.ok {
			t.Errorf("PlainText(%q) = %v, want %v", tc.in, ok, tc.ok)
		}
	}
}

// FuzzPlainString: what PlainString accepts decodes to the same string
// through encoding/json, and what PlainText accepts json.Marshal writes
// unchanged between quotes.
func FuzzPlainString(f *testing.F) {
	for _, s := range []string{`"abc"`, `"a\"b"`, `""`, `"<>"`, "\"\x7f\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if s, ok := jsonscan.PlainString(b); ok {
			var want string
			if err := json.Unmarshal(b, &want); err != nil || want != s {
				t.Fatalf("PlainString(%q) = %q; encoding/json %q, %v", b, s, want, err)
			}
		}
		if jsonscan.PlainText(string(b)) {
			got, _ := json.Marshal(string(b))
			if string(got) != `"`+string(b)+`"` {
				t.Fatalf("PlainText(%q) true, but json.Marshal writes %s", b, got)
			}
		}
	})
}
