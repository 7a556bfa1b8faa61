package prompt

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		vars    []string
		wantErr string // substring; "" for none
		offset  int
	}{
		{"recorded", "Translate {{ text }} into {{language}} please.", []string{"text", "language"}, "", 0},
		{"no vars", "No variables here", nil, "", 0},
		{"empty", "", nil, "", 0},
		{"repeated var once", "{{a}} and {{ a }} and {{b}}", []string{"a", "b"}, "", 0},
		{"spaces tabs newlines", "{{\ta\n}}", []string{"a"}, "", 0},
		{"single braces are text", `{"json": {{ x }}}`, []string{"x"}, "", 0},
		{"digits underscores", "{{ v_1 }}{{2x}}", []string{"v_1", "2x"}, "", 0},
		{"unclosed", "Hello {{ name", nil, `"{{" without a closing "}}"`, 6},
		{"unopened", "Hello name }}", nil, `"}}" without an opening "{{"`, 11},
		{"empty var", "Hello {{ }}", nil, "holds no variable name", 6},
		{"two words", "{{ first name }}", nil, `"first name" is not a variable name`, 0},
		{"hyphen", "{{ first-name }}", nil, "is not a variable name", 0},
		{"nested open", "{{ a {{ b }}", nil, `before the next "{{"`, 0},
		{"non-ascii name", "{{ café }}", nil, "is not a variable name", 0},
		{"close before open", "}} {{ a }}", nil, "without an opening", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := Parse(tt.src)
			if tt.wantErr != "" {
				var te *TemplateError
				if err == nil || !errors.As(err, &te) || !errors.Is(err, ErrTemplate) {
					t.Fatalf("Parse(%q) = %v, want a *TemplateError", tt.src, err)
				}
				if !strings.Contains(err.Error(), tt.wantErr) || te.Offset != tt.offset {
					t.Fatalf("Parse(%q) = %v (offset %d), want %q at %d", tt.src, err, te.Offset, tt.wantErr, tt.offset)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.src, err)
			}
			if got := tmpl.Variables(); !reflect.DeepEqual(got, tt.vars) {
				t.Errorf("Variables = %q, want %q", got, tt.vars)
			}
			if tmpl.String() != tt.src {
				t.Errorf("String = %q", tmpl.String())
			}
		})
	}
}

func TestRender(t *testing.T) {
	tmpl, err := Parse("Translate {{ text }} into {{language}} please. {{text}}!")
	if err != nil {
		t.Fatal(err)
	}
	got, err := tmpl.Render(map[string]string{"text": "good {{ morning }}", "language": "French", "unused": "x"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "Translate good {{ morning }} into French please. good {{ morning }}!"; got != want {
		t.Errorf("Render = %q, want %q", got, want)
	}
	_, err = tmpl.Render(map[string]string{"text": "x"})
	if err == nil || !errors.Is(err, ErrTemplate) || !strings.Contains(err.Error(), `"language"`) {
		t.Errorf("Render without language = %v", err)
	}
	if err := tmpl.Check([]string{"text"}); err == nil || !strings.Contains(err.Error(), `unknown variable(s) "language"`) {
		t.Errorf("Check = %v", err)
	}
	if err := tmpl.Check([]string{"language", "text", "more"}); err != nil {
		t.Errorf("Check with all known = %v", err)
	}
}

// FuzzParse: Parse never panics; a template it accepts renders its
// variables, and text without braces renders to itself.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "Translate {{ text }} into {{language}} please.", "{{", "}}", "{{ }}", "{{a}}{{b}}{{a}}",
		"{ {{x}} }", "{{{x}}}", "{{ a {{ b }} }}", "\x00{{\xff}}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		tmpl, err := Parse(src)
		if err != nil {
			if !errors.Is(err, ErrTemplate) {
				t.Fatalf("error %v does not wrap ErrTemplate", err)
			}
			return
		}
		values := map[string]string{}
		for _, v := range tmpl.Variables() {
			if !isName(v) {
				t.Fatalf("variable %q is not a name", v)
			}
			values[v] = "<" + v + ">"
		}
		out, err := tmpl.Render(values)
		if err != nil {
			t.Fatalf("Render with every variable: %v", err)
		}
		if len(tmpl.Variables()) == 0 && out != src {
			t.Fatalf("a template without variables rendered %q to %q", src, out)
		}
	})
}
