package deployments

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"testing"
)

// The shortcuts in take and writeObject must give encoding/json's values
// and bytes exactly; these tests compare them with encoding/json itself.

var plainSeeds = []string{`"user"`, `"a\"b"`, `"<b>&"`, `"é"`, `"\u00e9"`, `"tab	"`, `""`, `0.2`, `-0`, `1e3`, `2`, `-7`,
	`9007199254740993`, `99999999999999999999`, `1.5e-7`, `1e400`, `true`, `false`, `null`, `[1]`, `{"a":1}`, `"x\\y"`}

// FuzzTakePlain: take (with its shortcuts) decodes every JSON value into
// every type take is used with as json.Unmarshal does, errors included.
func FuzzTakePlain(f *testing.F) {
	for _, s := range plainSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !json.Valid([]byte(s)) {
			return
		}
		raw := json.RawMessage(bytes.TrimSpace([]byte(s)))
		for _, mk := range []func() any{
			func() any { return new(string) }, func() any { return new(*float64) },
			func() any { return new(*int) }, func() any { return new(*bool) }, func() any { return new([]string) },
		} {
			got, want := mk(), mk()
			err := take(map[string]json.RawMessage{"f": raw}, "f", got)
			var wantErr error
			if !isNull(raw) {
				if e := json.Unmarshal(raw, want); e != nil {
					wantErr = &FieldError{Field: "f", Err: e}
				}
			}
			if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
				t.Fatalf("%s into %T: error %v, encoding/json %v", raw, got, err, wantErr)
			}
			if err == nil && !reflect.DeepEqual(got, want) {
				t.Fatalf("%s into %T: %#v, encoding/json %#v", raw, got, got, want)
			}
		}
	})
}

// FuzzMarshalValue: marshalValue writes json.Marshal's bytes.
func FuzzMarshalValue(f *testing.F) {
	for _, s := range []string{"user", "<b>", "a&b", "é", "\u2028", "\x00", `q"`, `\`, ""} {
		f.Add(s, 0.2, 3, true)
	}
	f.Add("x", 1e-7, -1, false)
	f.Add("x", 1e21, 0, false)
	f.Add("x", math.Copysign(0, -1), 1<<60, false)
	f.Add("x", 123456789.125, -1<<63, true)
	f.Fuzz(func(t *testing.T, s string, fl float64, n int, b bool) {
		for _, v := range []any{s, &fl, &n, &b} {
			got, err := marshalValue(v)
			want, wantErr := json.Marshal(v)
			if (err == nil) != (wantErr == nil) || !bytes.Equal(got, want) {
				t.Fatalf("%#v: %s %v, json.Marshal %s %v", v, got, err, want, wantErr)
			}
		}
	})
}

// TestWriteObjectKeys: member names and Extra's keys are written as
// json.Marshal writes them, escapes included.
func TestWriteObjectKeys(t *testing.T) {
	n := 2
	got, err := writeObject([]member{{"model", str("m")}, {"n", &n}, {"stop", nil}},
		Extra{"<k>": json.RawMessage(`1`), "stop": json.RawMessage(`["x"]`), "model": json.RawMessage(`"dup"`), "é": json.RawMessage(`2`)})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"model":"m","n":2,"\u003ck\u003e":1,"stop":["x"],"é":2}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// FuzzResponseMessage: ResponseMessage's hand-written encoding is
// encoding/json's for the struct (tool_calls null when none).
func FuzzResponseMessage(f *testing.F) {
	f.Add("assistant", "hello", true, `[{"id":"1","type":"function"}]`)
	f.Add("", "<b>é\u2028", false, ``)
	f.Add("a\"", "x", true, `null`)
	f.Add("a", "", true, ` [ 1 , 2 ] `)
	f.Fuzz(func(t *testing.T, role, content string, hasContent bool, tools string) {
		if tools != "" && !json.Valid([]byte(tools)) {
			return
		}
		m := ResponseMessage{Role: role, ToolCalls: json.RawMessage(tools)}
		if hasContent {
			m.Content = &content
		}
		type plain ResponseMessage
		p := plain(m)
		if len(p.ToolCalls) == 0 {
			p.ToolCalls = json.RawMessage("null")
		}
		want, wantErr := json.Marshal(p)
		got, err := m.MarshalJSON()
		if (err == nil) != (wantErr == nil) || !bytes.Equal(got, want) {
			t.Fatalf("%#v: %s %v, encoding/json %s %v", m, got, err, want, wantErr)
		}
		if got, err = json.Marshal(m); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%#v nested: %s %v, encoding/json %s", m, got, err, want)
		}
	})
}
