package recipe

import (
	"fmt"
	"regexp"
	"strings"
)

// varRef is a Jinja-like {{ NAME }} reference (MLflow Recipes rendered
// recipe.yaml with Jinja2 and the profile's values; berth supports plain
// variable references, which is what the recipe templates used).
var varRef = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)

var varName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Render replaces every {{ NAME }} in text with vars[NAME]. A reference to a
// variable the profile does not define, or an expression that is not a
// plain name, is an error naming file and line.
func Render(file, text string, vars map[string]string) (string, error) {
	var firstErr error
	lines := strings.SplitAfter(text, "\n")
	for i, line := range lines {
		lines[i] = varRef.ReplaceAllStringFunc(line, func(m string) string {
			name := varRef.FindStringSubmatch(m)[1]
			if firstErr != nil {
				return m
			}
			if !varName.MatchString(name) {
				firstErr = fmt.Errorf("%s:%d: %q is not a variable name: recipes support {{ NAME }} references only", file, i+1, name)
				return m
			}
			v, ok := vars[name]
			if !ok {
				firstErr = fmt.Errorf("%s:%d: variable %s is not defined by the profile", file, i+1, name)
				return m
			}
			return v
		})
	}
	if firstErr != nil {
		return "", firstErr
	}
	return strings.Join(lines, ""), nil
}
