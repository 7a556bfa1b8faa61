package llm

import (
	"slices"
	"strings"
	"testing"
)

func TestParseJSONL(t *testing.T) {
	cases := []struct {
		name, in string
		cols     []string
		rows     int
		err      string
	}{
		{"keys in order, new keys appended", "{\"q\":\"a\",\"out\":\"b\"}\n\n{\"out\":\"c\",\"ctx\":1}\n", []string{"q", "out", "ctx"}, 2, ""},
		{"not an object", "[1,2]\n", nil, 0, "line 1: not a JSON object"},
		{"two values", `{"a":1} {"b":2}`, nil, 0, "more than one JSON value"},
		{"broken", `{"a":`, nil, 0, "line 1"},
		{"empty", "", nil, 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tab, err := ParseJSONL(strings.NewReader(c.in))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(tab.Columns, c.cols) || len(tab.Data) != c.rows {
				t.Fatalf("columns %v rows %d", tab.Columns, len(tab.Data))
			}
		})
	}
}

func TestColumns(t *testing.T) {
	tab, err := ParseCSV(strings.NewReader("q,docs,n\nwhat,\"[\"\"a\"\",2]\",3\nwho,[],x\n"))
	if err != nil {
		t.Fatal(err)
	}
	ids, err := tab.IDColumn("docs")
	if err != nil || !slices.Equal(ids[0], []string{"a", "2"}) || len(ids[1]) != 0 {
		t.Fatalf("ids %q, %v", ids, err)
	}
	if _, err := tab.IDColumn("q"); err == nil || !strings.Contains(err.Error(), `row 1, column "q"`) {
		t.Fatalf("q as ids: %v", err)
	}
	if _, err := tab.TextColumn("nope"); err == nil || !strings.Contains(err.Error(), "columns: q, docs, n") {
		t.Fatalf("missing column: %v", err)
	}
	if _, err := ParseCSV(strings.NewReader("a,a\n1,2\n")); err == nil {
		t.Fatal("duplicate header accepted")
	}
	j, _ := ParseJSONL(strings.NewReader(`{"o":null,"n":2.5,"b":true}`))
	for c, want := range map[string]any{"o": nil, "n": "2.5", "b": "true"} {
		got, _ := j.TextColumn(c)
		if want == nil && got[0] != nil || want != nil && (got[0] == nil || *got[0] != want) {
			t.Errorf("%s: %v", c, got[0])
		}
	}
}
