package flavors

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

// The want texts below are what PyYAML 6.0 writes for the same data with
// yaml.safe_dump(data, default_flow_style=False), as MLflow calls it.
func TestPyDumpMatchesPyYAML(t *testing.T) {
	cols := `[{"type": "double", "name": "col_0", "required": true}, {"type": "double", "name": "col_1", "required": true}, ` +
		`{"type": "double", "name": "col_2", "required": true}, {"type": "double", "name": "col_3", "required": true}]`
	tests := []struct {
		name string
		in   map[string]any
		want string
	}{
		{
			name: "nested",
			in: map[string]any{
				"a": map[string]any{"b": []any{1, 2, map[string]any{"c": "d", "e": []any{}}}, "g": []any{[]any{1, []any{2}}, []any{}}},
				"f": map[string]any{}, "h": nil, "i": true,
			},
			want: "a:\n  b:\n  - 1\n  - 2\n  - c: d\n    e: []\n  g:\n  - - 1\n    - - 2\n  - []\nf: {}\nh: null\ni: true\n",
		},
		{
			name: "folded single-quoted",
			in:   map[string]any{"k": map[string]any{"inputs": cols}},
			want: "k:\n  inputs: '[{\"type\": \"double\", \"name\": \"col_0\", \"required\": true}, {\"type\": \"double\",\n" +
				"    \"name\": \"col_1\", \"required\": true}, {\"type\": \"double\", \"name\": \"col_2\", \"required\":\n" +
				"    true}, {\"type\": \"double\", \"name\": \"col_3\", \"required\": true}]'\n",
		},
		{
			name: "folded plain",
			in:   map[string]any{"text": words(30)},
			want: "text: word0 word1 word2 word3 word4 word5 word6 word7 word8 word9 word10 word11 word12\n" +
				"  word13 word14 word15 word16 word17 word18 word19 word20 word21 word22 word23 word24\n" +
				"  word25 word26 word27 word28 word29\n",
		},
		{
			name: "non-ASCII and control characters",
			in:   map[string]any{"name": "h\u00e9llo w\u00f6rld \U0001F600", "tab": "a\tb"},
			want: "name: \"h\\xE9llo w\\xF6rld \\U0001F600\"\ntab: \"a\\tb\"\n",
		},
		{
			name: "line breaks",
			in:   map[string]any{"s": "line1\nline2\n\nline4", "t": "trailing\n"},
			want: "s: 'line1\n\n  line2\n\n\n  line4'\nt: 'trailing\n\n  '\n",
		},
		{
			name: "long keys",
			in:   map[string]any{strings.Repeat("k", 130): 1, strings.Repeat("k", 122): 2, strings.Repeat("k", 123): 3},
			want: strings.Repeat("k", 122) + ": 2\n? " + strings.Repeat("k", 123) + "\n: 3\n? " + strings.Repeat("k", 130) + "\n: 1\n",
		},
		{
			name: "empty strings",
			in:   map[string]any{"": "", "x": ""},
			want: "? ''\n: ''\nx: ''\n",
		},
		{
			name: "quoting",
			in: map[string]any{"a": []any{"null", "yes", "1.5", "2001-12-14", "- a", "a: b", "#x", "x #y", "~", "<<", "=",
				"'q'", "it's", " lead", "trail ", "@at", "1:20", "0x1F", "012"}},
			want: "a:\n- 'null'\n- 'yes'\n- '1.5'\n- '2001-12-14'\n- '- a'\n- 'a: b'\n- '#x'\n- 'x #y'\n- '~'\n- '<<'\n- '='\n" +
				"- '''q'''\n- it's\n- ' lead'\n- 'trail '\n- '@at'\n- '1:20'\n- '0x1F'\n- '012'\n",
		},
		{
			name: "floats",
			in:   map[string]any{"f": []any{1e16, 1e-5, 0.1, math.Copysign(0, -1), 3.0, 1e300, 123456789.125, math.Inf(1), math.Inf(-1)}},
			want: "f:\n- 1.0e+16\n- 1.0e-05\n- 0.1\n- -0.0\n- 3.0\n- 1.0e+300\n- 123456789.125\n- .inf\n- -.inf\n",
		},
		{
			name: "folded double-quoted",
			in:   map[string]any{"d": strings.Repeat("\u00e9", 50) + " " + strings.Repeat("x", 40) + " " + strings.Repeat("\u00e9 ", 30)},
			want: `d: "` + strings.Repeat(`\xE9`, 20) + "\\\n  " + strings.Repeat(`\xE9`, 20) + "\\\n  " + strings.Repeat(`\xE9`, 10) +
				" " + strings.Repeat("x", 40) + "\\\n  \\" + strings.Repeat(` \xE9`, 16) + "\\\n  \\" + strings.Repeat(` \xE9`, 14) + " \"\n",
		},
		{
			// PyYAML writes these plain; berth quotes them because its YAML
			// reader (YAML 1.2 rules) would read them as numbers.
			name: "berth quotes YAML 1.2 numbers",
			in:   map[string]any{"a": []any{"0o17", "1e5", "-.5", "1_000"}},
			want: "a:\n- '0o17'\n- '1e5'\n- '-.5'\n- '1_000'\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pyDump(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func words(n int) string {
	w := make([]string, n)
	for i := range w {
		w[i] = "word" + strconv.Itoa(i)
	}
	return strings.Join(w, " ")
}

func TestPyDumpRefusesWhatYAMLCannotHold(t *testing.T) {
	tests := []struct {
		name string
		in   map[string]any
	}{
		{"invalid UTF-8", map[string]any{"k": "\xff"}},
		{"non-string keys", map[string]any{"k": map[int]string{1: "a"}}},
		{"channel", map[string]any{"k": make(chan int)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := pyDump(tt.in); err == nil {
				t.Error("pyDump succeeded, want an error")
			}
		})
	}
}

func TestPyFloatRepr(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{1, "1.0"}, {0.1, "0.1"}, {1e16, "1e+16"}, {1e15, "1000000000000000.0"}, {1e-4, "0.0001"},
		{1e-5, "1e-05"}, {1.5e-7, "1.5e-07"}, {5.099999904632568, "5.099999904632568"}, {-2.5, "-2.5"},
	}
	for _, tt := range tests {
		if got := pyFloatRepr(tt.in, 64); got != tt.want {
			t.Errorf("pyFloatRepr(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
