package judge

import (
	"strings"
	"testing"
)

// TestParse: MLflow 2.17's _extract_score_and_justification, and the
// exceptions _score_model_on_one_payload turns into justifications; each
// expectation worked from the Python source by hand.
func TestParse(t *testing.T) {
	const (
		fx = failedExtract
		fs = failedScore
	)
	none := -1.0 // no score
	for _, tt := range []struct {
		text  string
		score float64
		just  string // "<nil>": None
	}{
		{`{"score": 4, "justification": "good"}`, 4, "good"},
		{` {"Score": 3, "JUSTIFICATION": "ok"} ` + "\n", 3, "ok"}, // lowercased, then JSON
		{`score: 5, justification: fine`, 5, "fine"},
		{"Score: 2\nJustification: partial\nmore", 2, "partial"},                                     // one line: \s* spans the newline, . does not
		{"score:4\njustification:\n multi\nline", 4, "multi\nline"},                                  // the DOTALL expression
		{"SCORE: 3, JUSTIFICATION: Scored well", 3, "scored well"},                                   // every "score" is lowercased, in the text too
		{"ſcore: 3, JUSTİFİCATıON: long s, dotted and dotless i", 3, "long s, dotted and dotless i"}, // Python's IGNORECASE equivalences
		{"score: \u0664\U0001D7D9, justification: two scripts", 41, "two scripts"},                   // int() of Unicode digits
		{"The verdict. score: 1, justification: bad", 1, "bad"},                                      // search, not match
		{"score: \u0664, justification: arabic-indic four", 4, "arabic-indic four"},                  // \d is Unicode
		{"score: 12\u00a0justification: nbsp", 12, "nbsp"},                                           // \s is Unicode
		{"", none, "<nil>"},
		{"gibberish", none, fx + "gibberish"},
		{"Score is 4", none, fx + "score is 4"},
		{"score: four, justification: x", none, fx + "score: four, justification: x"},
		{`{"score": "4", "justification": "x"}`, 4, "x"},
		{`{"score": " +4 ", "justification": "x"}`, 4, "x"},
		{`{"score": "1_0", "justification": "x"}`, 10, "x"},
		{`{"score": 4.7, "justification": "x"}`, 4, "x"},
		{`{"score": -2.5, "justification": "x"}`, -2, "x"},
		{`{"score": true, "justification": "x"}`, 1, "x"},
		{`{"score": null, "justification": "x"}`, none, fs + "int() argument must be a string, a bytes-like object or a real number, not 'NoneType'"},
		{`{"justification": "x"}`, none, fs + "int() argument must be a string, a bytes-like object or a real number, not 'NoneType'"},
		{`{"score": [4], "justification": "x"}`, none, fs + "int() argument must be a string, a bytes-like object or a real number, not 'list'"},
		{`{"score": "four", "justification": "x"}`, none, fs + "invalid literal for int() with base 10: 'four'"},
		{`{"score": "it's", "justification": "x"}`, none, fs + `invalid literal for int() with base 10: "it's"`},
		// Characters Python does not print are escaped in the repr (CPython 3.11's message).
		{`{"score": "4\u200b", "justification": "x"}`, none, fs + `invalid literal for int() with base 10: '4\u200b'`},
		{`{"score": "\u00ad", "justification": "x"}`, none, fs + `invalid literal for int() with base 10: '\xad'`},
		{`{"score": 1e400, "justification": "x"}`, none, fs + "cannot convert float infinity to integer"},
		{`{"score": 4, "justification": 5}`, none, fx + `{"score": 4, "justification": 5}`},
		{`{"score": 4}`, none, fx + `{"score": 4}`},
		{`[1, 2]`, none, fs + "'list' object has no attribute 'get'"},
		{`42`, none, fs + "'int' object has no attribute 'get'"},
		{`4.5`, none, fs + "'float' object has no attribute 'get'"},
		{`"score: 4, justification: x"`, none, fs + "'str' object has no attribute 'get'"},
		{`null`, none, fs + "'NoneType' object has no attribute 'get'"},
		{`NaN`, none, fs + "'float' object has no attribute 'get'"},
		{`{"score": NaN, "justification": "x"}`, none, fs + "cannot convert float NaN to integer"}, // json.loads reads NaN
		{`[-Infinity]`, none, fs + "'list' object has no attribute 'get'"},
		{`{"score": 3, "justification": "NaN"}`, 3, "NaN"},
		{"NaN5", none, fx + "NaN5"}, // extra data: not JSON
		// Not JSON (extra data): the expressions are tried, and "score" is followed by a quote.
		{`{"score": 4, "justification": "a"} trailing`, none, fx + `{"score": 4, "justification": "a"} trailing`},
	} {
		v := Parse(tt.text)
		got := none
		if v.Score != nil {
			got = *v.Score
		}
		just := "<nil>"
		if v.Justification != nil {
			just = *v.Justification
		}
		if got != tt.score || just != tt.just {
			t.Errorf("Parse(%q) = %v, %q; want %v, %q", tt.text, got, just, tt.score, tt.just)
		}
	}
}

// FuzzParse: any answer gives a verdict without panicking; a score comes
// with a justification; an unreadable answer keeps its text.
func FuzzParse(f *testing.F) {
	for _, s := range []string{`{"score": 4, "justification": "good"}`, "score: 5, justification: fine", "score:4\njustification:\nx",
		"gibberish", `{"score": "1_0", "justification": 1}`, `[{"score": 1}]`, "SCORE: \u0664 JUSTIFICATION: ok", "NaN", `{"score": 1e400}`, ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		v := Parse(text)
		if text == "" {
			if v.Score != nil || v.Justification != nil {
				t.Fatalf("empty answer: %+v", v)
			}
			return
		}
		if v.Justification == nil {
			t.Fatalf("%q: no justification", text)
		}
		j := *v.Justification
		if v.Score == nil && !strings.HasPrefix(j, failedExtract) && !strings.HasPrefix(j, failedScore) {
			t.Fatalf("%q: no score and justification %q", text, j)
		}
		if strings.HasPrefix(j, failedExtract) && !strings.EqualFold(j[len(failedExtract):], text) {
			t.Fatalf("%q: raw output not kept: %q", text, j)
		}
	})
}
