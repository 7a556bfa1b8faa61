package project

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/berthml/berth/internal/pyvalue"
)

// Environment types, as MLflow names an MLproject's environment fields.
const (
	EnvPython = "python_env"
	EnvConda  = "conda_env"
	EnvDocker = "docker_env"
)

// Project is an MLproject file as MLflow reads it.
type Project struct {
	// Dir is the project directory.
	Dir string
	// File is the MLproject file's path; empty when the directory has none
	// (a project of scripts only).
	File string
	// Name is the name field (may be empty).
	Name string
	// EnvType is EnvPython, EnvConda or EnvDocker. As in MLflow, a project
	// with no environment field is a python_env project, with
	// python_env.yaml or conda.yaml picked up when the directory has one.
	EnvType string
	// EnvFile is the python_env or conda_env file's path, if any.
	EnvFile string
	// Docker is the docker_env field, for EnvDocker.
	Docker *DockerEnv
	// EntryPoints are the declared entry points, in file order.
	EntryPoints []*EntryPoint
}

// DockerEnv is an MLproject's docker_env.
type DockerEnv struct {
	Image   string
	Volumes []string
	// Environment holds the variables to set in the container, each either
	// copied from the host (Name alone) or given (Name and Value).
	Environment []EnvVar
}

// EnvVar is one entry of docker_env's environment list.
type EnvVar struct {
	Name  string
	Value string
	// Copy is true for a bare name: the value comes from the host.
	Copy bool
}

// EntryPoint is a declared or script (.py, .sh) entry point.
type EntryPoint struct {
	Name       string
	Parameters []Parameter
	Command    string
	// Line is where the entry point is declared in File (0 for a script).
	Line int
}

// Parameter is an entry point's declared parameter.
type Parameter struct {
	Name string
	// Type is string (the default), float, path, uri or any other word:
	// MLflow treats only path and uri specially.
	Type string
	// Default is str() of the YAML default; HasDefault is false when none
	// was given (or it was null), which makes the parameter required.
	Default    string
	HasDefault bool
}

// ExecutionError is a refusal that MLflow reports as an ExecutionException;
// its message is MLflow's text.
type ExecutionError struct {
	Msg string
}

func (e *ExecutionError) Error() string { return e.Msg }

// SpecError is an MLproject file that cannot be read: it names the file
// and the line.
type SpecError struct {
	File string
	Line int
	Msg  string
}

func (e *SpecError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

func execErr(format string, args ...any) error {
	return &ExecutionError{Msg: fmt.Sprintf(format, args...)}
}

// maxMLprojectSize bounds what Load reads.
const maxMLprojectSize = 1 << 20

// findMLproject returns the directory's file named MLproject in any case,
// as MLflow looks for it (the first in name order when there are several).
func findMLproject(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("reading project directory: %w", err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if strings.ToLower(e.Name()) == "mlproject" && !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return "", nil
	}
	sort.Strings(names)
	return filepath.Join(dir, names[0]), nil
}

// Load reads the project in dir: its MLproject file when it has one.
func Load(dir string) (*Project, error) {
	file, err := findMLproject(dir)
	if err != nil {
		return nil, err
	}
	p := &Project{Dir: dir, File: file}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("reading MLproject: %w", err)
		}
		if len(b) > maxMLprojectSize {
			return nil, &SpecError{File: file, Msg: fmt.Sprintf("%d bytes: an MLproject file larger than %d bytes is refused", len(b), maxMLprojectSize)}
		}
		if err := p.parse(b); err != nil {
			return nil, err
		}
	}
	if err := p.resolveEnv(); err != nil {
		return nil, err
	}
	return p, nil
}

// Parse reads MLproject text as Load does, without looking at the
// directory (environment files are not checked); file names the text in
// errors.
func Parse(file string, b []byte) (*Project, error) {
	p := &Project{File: file}
	if err := p.parse(b); err != nil {
		return nil, err
	}
	return p, nil
}

// fields holds the top-level nodes the parser keeps.
type fields struct {
	env map[string]*yaml.Node
}

func (p *Project) errAt(n *yaml.Node, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &SpecError{File: p.File, Line: line, Msg: fmt.Sprintf(format, args...)}
}

func (p *Project) parse(b []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return &SpecError{File: p.File, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	if len(doc.Content) == 0 {
		return nil // an empty file: MLflow would fail on None; berth reads no fields
	}
	root := doc.Content[0]
	if root.Kind == yaml.AliasNode {
		root = root.Alias
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil
	}
	if root.Kind != yaml.MappingNode {
		return p.errAt(root, "the MLproject file must be a mapping of fields (name, entry_points, python_env, conda_env, docker_env)")
	}
	env := map[string]*yaml.Node{}
	var entryPoints *yaml.Node
	for k, v := range mapping(root) {
		switch k.Value {
		case "name":
			if s, ok := scalar(v); ok {
				p.Name = s
			} else {
				return p.errAt(v, "name must be a string")
			}
		case EnvPython, EnvConda, EnvDocker:
			if truthy(v) {
				env[k.Value] = v
			} else {
				delete(env, k.Value)
			}
		case "entry_points":
			entryPoints = v
		case "databricks_spark_job":
			return p.errAt(k, "databricks_spark_job: berth runs projects locally, under podman or as a Kubernetes Job, not on Databricks")
		}
	}
	if len(env) > 1 {
		keys := make([]string, 0, len(env))
		for k := range env {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		quoted := make([]string, len(keys))
		for i, k := range keys {
			quoted[i] = pyvalue.StrRepr(k)
		}
		return execErr("Project cannot contain multiple environment fields: {%s}", strings.Join(quoted, ", "))
	}
	if err := p.parseEntryPoints(entryPoints); err != nil {
		return err
	}
	if v := env[EnvDocker]; v != nil {
		return p.parseDocker(v)
	}
	for _, t := range []string{EnvPython, EnvConda} {
		if v := env[t]; v != nil {
			s, ok := scalar(v)
			if !ok {
				return p.errAt(v, "%s must name a file in the project", t)
			}
			p.EnvType, p.EnvFile = t, s
		}
	}
	return nil
}

func (p *Project) parseEntryPoints(n *yaml.Node) error {
	if n == nil || isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return p.errAt(n, "entry_points must be a mapping of entry point names to their command and parameters")
	}
	for k, v := range mapping(n) {
		if v.Kind != yaml.MappingNode {
			return p.errAt(v, "entry point %s must be a mapping with a command (and parameters)", pyvalue.StrRepr(k.Value))
		}
		ep := &EntryPoint{Name: k.Value, Line: k.Line}
		var cmdNode *yaml.Node
		for fk, fv := range mapping(v) {
			switch fk.Value {
			case "command":
				cmdNode = fv
			case "parameters":
				params, err := p.parseParameters(ep.Name, fv)
				if err != nil {
					return err
				}
				ep.Parameters = params
			}
		}
		if cmdNode == nil || isNull(cmdNode) {
			return p.errAt(k, "entry point %s has no command", pyvalue.StrRepr(ep.Name))
		}
		s, ok := scalar(cmdNode)
		if !ok {
			return p.errAt(cmdNode, "entry point %s: command must be a string", pyvalue.StrRepr(ep.Name))
		}
		ep.Command = s
		if err := checkFormat(ep); err != nil {
			return p.errAt(cmdNode, "entry point %s: %v", pyvalue.StrRepr(ep.Name), err)
		}
		// A name declared twice: the later one wins, as in a Python dict,
		// but keeps the first one's place.
		if i := slices.IndexFunc(p.EntryPoints, func(e *EntryPoint) bool { return e.Name == ep.Name }); i >= 0 {
			p.EntryPoints[i] = ep
		} else {
			p.EntryPoints = append(p.EntryPoints, ep)
		}
	}
	return nil
}

func (p *Project) parseParameters(ep string, n *yaml.Node) ([]Parameter, error) {
	if isNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, p.errAt(n, "entry point %s: parameters must be a mapping of names to a type or {type, default}", pyvalue.StrRepr(ep))
	}
	var out []Parameter
	for k, v := range mapping(n) {
		par := Parameter{Name: k.Value, Type: "string"}
		switch v.Kind {
		case yaml.ScalarNode:
			s, ok := scalar(v)
			if !ok || isNull(v) {
				return nil, p.errAt(v, "entry point %s: parameter %s needs a type (string, float, path, uri) or {type: ..., default: ...}", pyvalue.StrRepr(ep), pyvalue.StrRepr(k.Value))
			}
			par.Type = s
		case yaml.MappingNode:
			for fk, fv := range mapping(v) {
				switch fk.Value {
				case "type":
					s, ok := scalar(fv)
					if !ok {
						return nil, p.errAt(fv, "entry point %s: parameter %s: type must be a word", pyvalue.StrRepr(ep), pyvalue.StrRepr(k.Value))
					}
					par.Type = s
				case "default":
					if fv.Kind != yaml.ScalarNode {
						return nil, p.errAt(fv, "entry point %s: parameter %s: default must be a single value", pyvalue.StrRepr(ep), pyvalue.StrRepr(k.Value))
					}
					par.Default, par.HasDefault = pyStr(fv)
				}
			}
		default:
			return nil, p.errAt(v, "entry point %s: parameter %s must be a type or {type, default}", pyvalue.StrRepr(ep), pyvalue.StrRepr(k.Value))
		}
		if i := slices.IndexFunc(out, func(q Parameter) bool { return q.Name == par.Name }); i >= 0 {
			out[i] = par
		} else {
			out = append(out, par)
		}
	}
	return out, nil
}

func (p *Project) parseDocker(n *yaml.Node) error {
	const invalid = "Project configuration (MLproject file) was invalid: "
	p.EnvType = EnvDocker
	d := &DockerEnv{}
	if n.Kind != yaml.MappingNode {
		return p.errAt(n, "docker_env must be a mapping with an image")
	}
	for k, v := range mapping(n) {
		switch k.Value {
		case "image":
			s, ok := scalar(v)
			if ok && !isNull(v) {
				d.Image = s
			}
		case "volumes":
			if !truthy(v) {
				continue
			}
			if v.Kind != yaml.SequenceNode {
				return execErr(invalid + `Docker volumes must be a list of strings, e.g.: '["/path1/:/path1", "/path2/:/path2"])`)
			}
			for _, it := range v.Content {
				s, ok := stringScalar(it)
				if !ok {
					return execErr(invalid + `Docker volumes must be a list of strings, e.g.: '["/path1/:/path1", "/path2/:/path2"])`)
				}
				d.Volumes = append(d.Volumes, s)
			}
		case "environment":
			if !truthy(v) {
				continue
			}
			envErr := execErr(invalid + "environment must be a list containing either strings (to copy environment " +
				"variables from host system) or lists of string pairs (to define new environment variables)." +
				`E.g.: '[["NEW_VAR", "new_value"], "VAR_TO_COPY_FROM_HOST"])`)
			if v.Kind != yaml.SequenceNode {
				return envErr
			}
			for _, it := range v.Content {
				if s, ok := stringScalar(it); ok {
					d.Environment = append(d.Environment, EnvVar{Name: s, Copy: true})
					continue
				}
				if it.Kind != yaml.SequenceNode {
					return envErr
				}
				if len(it.Content) < 2 {
					return p.errAt(it, "docker_env environment: a [NAME, value] pair needs both")
				}
				name, ok1 := scalar(it.Content[0])
				val, ok2 := pyStr(it.Content[1])
				if !ok1 || !ok2 || it.Content[1].Kind != yaml.ScalarNode {
					return p.errAt(it, "docker_env environment: a [NAME, value] pair needs both as strings")
				}
				d.Environment = append(d.Environment, EnvVar{Name: name, Value: val})
			}
		}
	}
	if d.Image == "" {
		return execErr(invalid + "Docker environment specified but no image attribute found.")
	}
	p.Docker = d
	return nil
}

// resolveEnv checks the environment file and, with no environment field,
// picks python_env.yaml or conda.yaml up as MLflow does.
func (p *Project) resolveEnv() error {
	switch p.EnvType {
	case EnvDocker:
		return nil
	case EnvPython:
		f := filepath.Join(p.Dir, p.EnvFile)
		if _, err := os.Stat(f); err != nil {
			return execErr("Project specified python_env file %s, but no such file was found.", f)
		}
		p.EnvFile = f
		return nil
	case EnvConda:
		f := filepath.Join(p.Dir, p.EnvFile)
		if _, err := os.Stat(f); err != nil {
			return execErr("Project specified conda environment file %s, but no such file was found.", f)
		}
		p.EnvFile = f
		return nil
	}
	p.EnvType = EnvPython
	for _, f := range []struct{ name, typ string }{{"python_env.yaml", EnvPython}, {"conda.yaml", EnvConda}} {
		path := filepath.Join(p.Dir, f.name)
		if _, err := os.Stat(path); err == nil {
			p.EnvType, p.EnvFile = f.typ, path
			return nil
		}
	}
	return nil
}

// EntryPoint returns the entry point called name: a declared one, else a
// .py or .sh script (run with python, or with shell, MLflow's $SHELL or
// bash), as MLflow's Project.get_entry_point does.
func (p *Project) EntryPoint(name, shell string) (*EntryPoint, error) {
	for _, ep := range p.EntryPoints {
		if ep.Name == name {
			return ep, nil
		}
	}
	if shell == "" {
		shell = "bash"
	}
	switch filepath.Ext(name) {
	case ".py":
		return &EntryPoint{Name: name, Command: "python " + Quote(name)}, nil
	case ".sh":
		return &EntryPoint{Name: name, Command: shell + " " + Quote(name)}, nil
	}
	names := make([]string, len(p.EntryPoints))
	for i, ep := range p.EntryPoints {
		names[i] = ep.Name
	}
	return nil, execErr("Could not find %s among entry points %s or interpret %s as a runnable script. "+
		"Supported script file extensions: %s", name, pyvalue.ListRepr(names), name, pyvalue.ListRepr([]string{".py", ".sh"}))
}

// mapping yields a mapping node's keys and values in file order, with
// merge keys left out.
func mapping(n *yaml.Node) func(func(*yaml.Node, *yaml.Node) bool) {
	return func(yield func(*yaml.Node, *yaml.Node) bool) {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if v.Kind == yaml.AliasNode && v.Alias != nil {
				v = v.Alias
			}
			if !yield(k, v) {
				return
			}
		}
	}
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// scalar returns a scalar node's text as Python sees it: str() of the
// value PyYAML resolves.
func scalar(n *yaml.Node) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		return "", false
	}
	s, ok := pyStr(n)
	if !ok {
		return "", true
	}
	return s, true
}

// stringScalar is a scalar that PyYAML reads as a str (what MLflow's
// isinstance(i, str) checks accept).
func stringScalar(n *yaml.Node) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		return "", false
	}
	if n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return n.Value, true
	}
	v := n.Value
	if pyNull.MatchString(v) || pyBool.MatchString(v) || pyInt.MatchString(v) || pyFloat.MatchString(v) {
		return "", false
	}
	return v, true
}

// truthy is Python's truth of the value: not null, empty, false or zero.
func truthy(n *yaml.Node) bool {
	switch n.Kind {
	case yaml.MappingNode, yaml.SequenceNode:
		return len(n.Content) > 0
	case yaml.ScalarNode:
		if n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			return n.Value != ""
		}
		s, ok := pyResolve(n.Value)
		return ok && s != "False" && s != "0" && s != "0.0" && s != "-0.0" && s != ""
	}
	return true
}
