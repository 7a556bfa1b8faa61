package otlp

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// TestPyJSON: values written as Python's json.dumps(ensure_ascii=False)
// writes them (the expectations are Python 3.11's output).
func TestPyJSON(t *testing.T) {
	// Floats alone: internal/pyvalue's TestFloatRepr and its CPython goldens.
	v := pcommon.NewValueMap()
	v.Map().PutStr("a", "é\n\"\\\x01\u2028<&>")
	s := v.Map().PutEmptySlice("b")
	s.AppendEmpty().SetInt(1)
	s.AppendEmpty().SetDouble(2)
	s.AppendEmpty().SetBool(true)
	s.AppendEmpty() // empty: None
	if got, want := pyJSON(v), "{\"a\": \"é\\n\\\"\\\\\\u0001\u2028<&>\", \"b\": [1, 2.0, true, null]}"; got != want {
		t.Errorf("pyJSON = %s\nwant     %s", got, want)
	}
	// Nesting past the bound is written as null, not followed.
	deep := pcommon.NewValueSlice()
	cur := deep
	for range maxPyJSONDepth + 10 {
		cur = cur.Slice().AppendEmpty()
		cur.SetEmptySlice()
	}
	if got := pyJSON(deep); len(got) > 4*maxPyJSONDepth {
		t.Errorf("a value nested %d deep wrote %d bytes", maxPyJSONDepth+10, len(got))
	}
}

// TestIOJSON: a span's inputs or outputs as MLflow's client held them.
func TestIOJSON(t *testing.T) {
	obj := pcommon.NewValueMap()
	obj.Map().PutStr("question", "which species?")
	for _, c := range []struct {
		v    pcommon.Value
		want string
	}{
		{obj, `{"question": "which species?"}`},                                 // MLflow's exporter: a kvlist
		{pcommon.NewValueStr("setosa"), `"setosa"`},                             // MLflow's exporter: a string
		{pcommon.NewValueStr(`{"question":"which?"}`), `{"question":"which?"}`}, // an SDK: JSON text of an object
		{pcommon.NewValueStr(` [1, 2]`), ` [1, 2]`},                             // of an array
		{pcommon.NewValueStr(`{not json`), `"{not json"`},                       // not JSON: a string
		{pcommon.NewValueStr(`"setosa"`), `"setosa"`},                           // an SDK: JSON text of a string
		{pcommon.NewValueStr(`which species?`), `"which species?"`},
		{pcommon.NewValueInt(6), `6`},
	} {
		if got := ioJSON(c.v); got != c.want {
			t.Errorf("ioJSON(%s) = %s, want %s", c.v.AsString(), got, c.want)
		}
	}
}
