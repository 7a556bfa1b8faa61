package project

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/berthml/berth/internal/pyvalue"
)

// Param is one name and value, in the order MLflow keeps them.
type Param struct {
	Key, Value string
}

// ParseParams reads -P name=value arguments as mlflow run does: split at
// the first '=', each name once.
func ParseParams(args []string) ([]Param, error) {
	out := make([]Param, 0, len(args))
	seen := map[string]bool{}
	for _, a := range args {
		name, value, ok := strings.Cut(a, "=")
		if !ok {
			return nil, fmt.Errorf("Invalid format for -P parameter: '%s'. Use -P name=value.", a) //nolint:staticcheck // MLflow's text
		}
		if seen[name] {
			return nil, fmt.Errorf("Repeated parameter: '%s'", name) //nolint:staticcheck // MLflow's text
		}
		seen[name] = true
		out = append(out, Param{name, value})
	}
	return out, nil
}

func lookup(ps []Param, key string) (string, bool) {
	for _, p := range ps {
		if p.Key == key {
			return p.Value, true
		}
	}
	return "", false
}

// Validate refuses a run that leaves a parameter without a default
// unset, with MLflow's message.
func (ep *EntryPoint) Validate(user []Param) error {
	var missing []string
	for _, p := range ep.Parameters {
		if _, ok := lookup(user, p.Name); !ok && !p.HasDefault {
			missing = append(missing, "'"+p.Name+"'")
		}
	}
	if len(missing) > 0 {
		return execErr("No value given for missing parameters: %s", strings.Join(missing, ", "))
	}
	return nil
}

// Compute returns the declared parameters (in declaration order, each the
// user's value or the default) and the extra ones (in the user's order),
// every value shell-quoted, as MLflow's compute_parameters does. With cwd
// empty it computes what MLflow logs: path values stay as given. With cwd
// set it computes what goes into the command: a path value must be an
// existing local file or directory and becomes its absolute path, resolved
// against cwd (the caller's directory, not the project's).
func (ep *EntryPoint) Compute(user []Param, cwd string) (params, extra []Param, err error) {
	if err := ep.Validate(user); err != nil {
		return nil, nil, err
	}
	for _, p := range ep.Parameters {
		v, ok := lookup(user, p.Name)
		if !ok {
			v = p.Default
		}
		switch {
		case p.Type == "path" && cwd != "":
			v, err = localPath(p.Name, v, cwd)
			if err != nil {
				return nil, nil, err
			}
		case p.Type == "uri":
			if pyScheme(v) == "" {
				return nil, nil, execErr("Expected URI for parameter %s but got %s", p.Name, v)
			}
		}
		params = append(params, Param{p.Name, Quote(v)})
	}
	for _, u := range user {
		if _, declared := lookup(params, u.Key); !declared {
			extra = append(extra, Param{u.Key, Quote(u.Value)})
		}
	}
	return params, extra, nil
}

// localPath is MLflow's path parameter: a local path or file: URI that
// exists, made absolute against cwd.
func localPath(name, v, cwd string) (string, error) {
	scheme := pyScheme(v)
	local := ""
	switch {
	case scheme == "":
		local = pyUnquote(v)
	case scheme == "file":
		rest := v[len("file:"):]
		if strings.HasPrefix(rest, "//") {
			host, path, _ := strings.Cut(rest[2:], "/")
			if host != "" {
				return "", execErr("Got value %s for parameter %s: berth reads path parameters from this machine only (file:// with no host, or a path)", v, name)
			}
			rest = "/" + path
		}
		if i := strings.IndexAny(rest, "?#"); i >= 0 {
			rest = rest[:i]
		}
		local = pyUnquote(rest)
	default:
		return "", execErr("Got value %s for parameter %s: berth does not download %s: URIs for path parameters; give a local path", v, name, scheme)
	}
	if !filepath.IsAbs(local) {
		local = filepath.Join(cwd, local)
	}
	local = filepath.Clean(local)
	if _, err := os.Stat(local); err != nil {
		return "", execErr("Got value %s for parameter %s, but no such file or directory was found.", v, name)
	}
	return local, nil
}

// pyScheme is the scheme Python's urllib.parse.urlparse finds: the lower-
// cased text before the first ':' when it starts with a letter and holds
// only letters, digits, '+', '-' and '.'.
func pyScheme(s string) string {
	i := strings.IndexByte(s, ':')
	if i <= 0 {
		return ""
	}
	c := s[0]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
		return ""
	}
	for j := 0; j < i; j++ {
		c := s[j]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return ""
		}
	}
	return strings.ToLower(s[:i])
}

// pyUnquote is urllib.parse.unquote: %XX sequences decoded, invalid ones
// kept as they are.
func pyUnquote(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && ishex(s[i+1]) && ishex(s[i+2]) {
			d, _ := url.PathUnescape(s[i : i+3])
			b = append(b, d...)
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

func ishex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// Render renders the entry point's command as MLflow does: the command's
// {name} fields filled with the quoted parameters, then each extra
// parameter appended as --name value.
func (ep *EntryPoint) Render(user []Param, cwd string) (string, error) {
	params, extra, err := ep.Compute(user, cwd)
	if err != nil {
		return "", err
	}
	return ep.render(params, extra)
}

func (ep *EntryPoint) render(params, extra []Param) (string, error) {
	var b strings.Builder
	err := formatFields(ep.Command, func(lit string) { b.WriteString(lit) }, func(name string) error {
		v, ok := lookup(params, name)
		if !ok {
			return fmt.Errorf("the command refers to {%s}, which is not a parameter of entry point %s", name, pyvalue.StrRepr(ep.Name))
		}
		b.WriteString(v)
		return nil
	})
	if err != nil {
		return "", err
	}
	parts := []string{b.String()}
	for _, e := range extra {
		parts = append(parts, "--"+e.Key+" "+e.Value)
	}
	return strings.Join(parts, " "), nil
}

// checkFormat checks the command's fields when the MLproject is read, so
// that a command MLflow would fail on (Python's str.format raising) is
// refused with the file and line.
func checkFormat(ep *EntryPoint) error {
	return formatFields(ep.Command, func(string) {}, func(name string) error {
		for _, p := range ep.Parameters {
			if p.Name == name {
				return nil
			}
		}
		return fmt.Errorf("the command refers to {%s}, which is not one of its parameters", name)
	})
}

// formatFields walks a Python format string: literal text (with {{ and }}
// unescaped) and {name} fields. Conversions, format specs, attribute and
// index lookups and positional fields are refused.
func formatFields(s string, lit func(string), field func(string) error) error {
	for i := 0; i < len(s); {
		switch c := s[i]; c {
		case '{':
			if i+1 < len(s) && s[i+1] == '{' {
				lit("{")
				i += 2
				continue
			}
			end := strings.IndexByte(s[i+1:], '}')
			if end < 0 {
				return fmt.Errorf("single '{' encountered in the command %q", s)
			}
			name := s[i+1 : i+1+end]
			if name == "" || strings.ContainsAny(name, "{!:.[") || isDigits(name) {
				return fmt.Errorf("the command's field {%s} is not a parameter name (berth fills {name} fields only)", name)
			}
			if err := field(name); err != nil {
				return err
			}
			i += end + 2
		case '}':
			if i+1 < len(s) && s[i+1] == '}' {
				lit("}")
				i += 2
				continue
			}
			return fmt.Errorf("single '}' encountered in the command %q", s)
		default:
			j := strings.IndexAny(s[i:], "{}")
			if j < 0 {
				j = len(s) - i
			}
			lit(s[i : i+j])
			i += j
		}
	}
	return nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
