package recipe

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Step kinds. A step named after a native kind is that kind; any other step
// is a user step and must name an entry_point.
const (
	KindProject  = "project"
	KindEvaluate = "evaluate"
	KindRegister = "register"
	KindPromote  = "promote"
	KindPack     = "pack"
	KindSmoke    = "smoke"
)

var nativeKinds = []string{KindEvaluate, KindRegister, KindPromote, KindPack, KindSmoke}

// File is the recipe file's name in a recipe directory.
const File = "recipe.yaml"

// Recipe is a loaded recipe.yaml, rendered with its profile.
type Recipe struct {
	// Dir is the recipe's directory (absolute).
	Dir string `json:"-"`
	// Profile is the profile it was rendered with ("" for none).
	Profile string `json:"profile,omitempty"`
	// Template is MLflow Recipes' `recipe:` field, e.g. classification/v1.
	Template string `json:"recipe"`
	// Project is the MLflow project directory of the user steps, relative
	// to Dir. Default: Dir itself.
	Project string `json:"project,omitempty"`
	// Experiment is the experiment the runs are logged to.
	Experiment string `json:"experiment,omitempty"`
	// ModelName is the registered model's name.
	ModelName string `json:"model_name"`
	// TargetCol is the label column (MLflow Recipes' target_col).
	TargetCol string `json:"target_col"`
	// ModelType is classifier or regressor.
	ModelType string `json:"model_type"`
	// WorkDir is where step outputs are cached, relative to Dir.
	// Default: .berth-recipe.
	WorkDir string `json:"work_dir,omitempty"`
	// Steps in the order they run.
	Steps []*Step `json:"steps"`
}

// Criterion is one of MLflow Recipes' validation_criteria: the metric must
// reach the threshold (>= for metrics where greater is better, <= for error
// metrics such as log_loss or mean_squared_error).
type Criterion struct {
	Metric    string  `yaml:"metric" json:"metric"`
	Threshold float64 `yaml:"threshold" json:"threshold"`
}

// Step is one step of a recipe.
type Step struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	Line int    `json:"-"`
	// Timeout bounds the step. Default: the runner's (WithStepTimeout).
	Timeout time.Duration `json:"timeout,omitempty"`
	// Inputs are files (relative to the recipe directory) the step reads;
	// their contents are part of its key.
	Inputs []string `json:"inputs,omitempty"`

	// User steps.
	EntryPoint string            `json:"entry_point,omitempty"`
	Parameters map[string]string `json:"parameters,omitempty"`
	// Model is where a user step writes an MLflow model directory, relative
	// to its output directory ($BERTH_RECIPE_OUTPUT). The last user step
	// that has one is the model the native steps work on.
	Model string `json:"model,omitempty"`

	// evaluate and smoke: the labelled data (relative to the recipe).
	Data string `json:"data,omitempty"`
	// evaluate: MLflow Recipes' validation_criteria. promote uses them too.
	ValidationCriteria []Criterion `json:"validation_criteria,omitempty"`
	// register: MLflow Recipes' allow_non_validated_model.
	AllowNonValidated bool `json:"allow_non_validated_model,omitempty"`
	// promote: the alias to move (default champion).
	Alias string `json:"alias,omitempty"`
	// promote: min_relative_change / min_absolute_change against the
	// alias's current holder, metric → value.
	MinRelativeChange map[string]float64 `json:"min_relative_change,omitempty"`
	MinAbsoluteChange map[string]float64 `json:"min_absolute_change,omitempty"`
	// pack: oci-layout (default) or tarball into the step's output, or a
	// registry reference in Tag (pushed).
	Format string `json:"format,omitempty"`
	Tag    string `json:"tag,omitempty"`
	// smoke: the least fraction of rows the served model must label
	// correctly (classifier) — default 0: only every row must be scored.
	MinAccuracy float64 `json:"min_accuracy,omitempty"`
	// smoke: serve (default: berth serve of the model directory, a child
	// process) or podman (the pack step's image, under podman).
	Runtime string `json:"runtime,omitempty"`
}

// Load reads dir/recipe.yaml rendered with profile (profiles/PROFILE.yaml;
// "" for no profile). Errors name the file and line.
func Load(dir, profile string) (*Recipe, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	vars := map[string]string{}
	if profile != "" {
		pf := filepath.Join(abs, "profiles", profile+".yaml")
		b, err := os.ReadFile(pf)
		if err != nil {
			return nil, fmt.Errorf("profile %s: %w", profile, err)
		}
		if vars, err = ParseProfile(pf, b); err != nil {
			return nil, err
		}
	}
	f := filepath.Join(abs, File)
	b, err := os.ReadFile(f)
	if err != nil {
		return nil, fmt.Errorf("reading the recipe: %w", err)
	}
	r, err := Parse(f, b, vars)
	if err != nil {
		return nil, err
	}
	r.Dir, r.Profile = abs, profile
	return r, nil
}

// ParseProfile reads a profile: a mapping of variable names to scalar
// values.
func ParseProfile(file string, b []byte) (map[string]string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	vars := map[string]string{}
	if len(doc.Content) == 0 {
		return vars, nil
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: a profile is a mapping of variable names to values", file, m.Line)
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if !varName.MatchString(k.Value) {
			return nil, fmt.Errorf("%s:%d: %q is not a variable name", file, k.Line, k.Value)
		}
		if v.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("%s:%d: variable %s: the value must be a scalar", file, v.Line, k.Value)
		}
		vars[k.Value] = v.Value
	}
	return vars, nil
}

type lineErr struct {
	file string
	line int
	msg  string
}

func (e *lineErr) Error() string { return fmt.Sprintf("%s:%d: %s", e.file, e.line, e.msg) }

// Parse parses a recipe file's bytes rendered with vars.
func Parse(file string, b []byte, vars map[string]string) (*Recipe, error) {
	text, err := Render(file, string(b), vars)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader([]byte(text)))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	bad := func(n *yaml.Node, format string, a ...any) error {
		return &lineErr{file, n.Line, fmt.Sprintf(format, a...)}
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, &lineErr{file, max(doc.Line, 1), "a recipe is a mapping with recipe:, model_name:, target_col:, model_type: and steps:"}
	}
	r := &Recipe{}
	var steps *yaml.Node
	top := doc.Content[0]
	seen := map[string]bool{}
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		if seen[k.Value] {
			return nil, bad(k, "%s is given twice", k.Value)
		}
		seen[k.Value] = true
		if k.Value == "steps" {
			if v.Kind != yaml.MappingNode {
				return nil, bad(v, "steps: must be a mapping of step names to their settings")
			}
			steps = v
			continue
		}
		dst := map[string]*string{"recipe": &r.Template, "project": &r.Project, "experiment": &r.Experiment,
			"model_name": &r.ModelName, "target_col": &r.TargetCol, "model_type": &r.ModelType, "work_dir": &r.WorkDir}[k.Value]
		if dst == nil {
			return nil, bad(k, "unknown field %q (known: recipe, project, experiment, model_name, target_col, model_type, work_dir, steps)", k.Value)
		}
		if v.Kind != yaml.ScalarNode {
			return nil, bad(v, "%s must be a string", k.Value)
		}
		*dst = v.Value
	}
	for _, req := range []struct{ name, val string }{{"model_name", r.ModelName}, {"target_col", r.TargetCol}, {"model_type", r.ModelType}} {
		if req.val == "" {
			return nil, bad(top, "%s is required", req.name)
		}
	}
	if r.ModelType != "classifier" && r.ModelType != "regressor" {
		return nil, bad(top, "model_type must be classifier or regressor, not %q", r.ModelType)
	}
	if steps == nil || len(steps.Content) == 0 {
		return nil, bad(top, "steps: is required and must name at least one step")
	}
	if r.WorkDir == "" {
		r.WorkDir = ".berth-recipe"
	}
	names := map[string]bool{}
	for i := 0; i+1 < len(steps.Content); i += 2 {
		k, v := steps.Content[i], steps.Content[i+1]
		if !varName.MatchString(k.Value) {
			return nil, bad(k, "step name %q: use letters, digits and _", k.Value)
		}
		if names[k.Value] {
			return nil, bad(k, "step %s is given twice", k.Value)
		}
		names[k.Value] = true
		s, err := parseStep(file, k, v)
		if err != nil {
			return nil, err
		}
		r.Steps = append(r.Steps, s)
	}
	return r, r.check(file)
}

func parseStep(file string, k, v *yaml.Node) (*Step, error) {
	s := &Step{Name: k.Value, Kind: KindProject, Line: k.Line}
	if slices.Contains(nativeKinds, s.Name) {
		s.Kind = s.Name
	}
	bad := func(n *yaml.Node, format string, a ...any) error {
		return &lineErr{file, n.Line, fmt.Sprintf("step %s: ", s.Name) + fmt.Sprintf(format, a...)}
	}
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		v = &yaml.Node{Kind: yaml.MappingNode, Line: v.Line}
	}
	if v.Kind != yaml.MappingNode {
		return nil, bad(v, "settings must be a mapping")
	}
	type field struct {
		kinds []string // "" = every kind
		dst   any
	}
	user, ev := []string{KindProject}, []string{KindEvaluate, KindSmoke}
	fields := map[string]field{
		"timeout":                   {nil, &s.Timeout},
		"inputs":                    {nil, &s.Inputs},
		"entry_point":               {user, &s.EntryPoint},
		"parameters":                {user, &s.Parameters},
		"model":                     {user, &s.Model},
		"data":                      {ev, &s.Data},
		"validation_criteria":       {[]string{KindEvaluate}, &s.ValidationCriteria},
		"allow_non_validated_model": {[]string{KindRegister}, &s.AllowNonValidated},
		"alias":                     {[]string{KindPromote}, &s.Alias},
		"min_relative_change":       {[]string{KindPromote}, &s.MinRelativeChange},
		"min_absolute_change":       {[]string{KindPromote}, &s.MinAbsoluteChange},
		"format":                    {[]string{KindPack}, &s.Format},
		"tag":                       {[]string{KindPack}, &s.Tag},
		"min_accuracy":              {[]string{KindSmoke}, &s.MinAccuracy},
		"runtime":                   {[]string{KindSmoke}, &s.Runtime},
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		fk, fv := v.Content[i], v.Content[i+1]
		f, ok := fields[fk.Value]
		if !ok || (f.kinds != nil && !slices.Contains(f.kinds, s.Kind)) {
			return nil, bad(fk, "unknown field %q for a %s step", fk.Value, s.Kind)
		}
		if d, ok := f.dst.(*time.Duration); ok {
			t, err := time.ParseDuration(fv.Value)
			if err != nil || t <= 0 || fv.Kind != yaml.ScalarNode {
				return nil, bad(fv, "timeout %q: give a positive duration such as 10m", fv.Value)
			}
			*d = t
			continue
		}
		if err := fv.Decode(f.dst); err != nil {
			return nil, bad(fv, "%s: %v", fk.Value, cleanYAMLErr(err))
		}
	}
	switch s.Kind {
	case KindProject:
		if s.EntryPoint == "" {
			return nil, bad(k, "a user step needs entry_point (an entry point of the project); native steps are %s", strings.Join(nativeKinds, ", "))
		}
	case KindEvaluate, KindSmoke:
		if s.Data == "" {
			return nil, bad(k, "data: is required (the labelled evaluation data)")
		}
		if s.Runtime != "" && s.Runtime != "serve" && s.Runtime != "podman" {
			return nil, bad(k, "runtime %q: serve (berth serve of the model) or podman (the packed image)", s.Runtime)
		}
	case KindPromote:
		if s.Alias == "" {
			s.Alias = "champion"
		}
	case KindPack:
		switch s.Format {
		case "":
			s.Format = "oci-layout"
			if s.Tag != "" {
				s.Format = "image"
			}
		case "oci-layout", "tarball", "modelpack", "image":
		default:
			return nil, bad(k, "format %q: oci-layout, tarball, image (pushed to tag) or modelpack (pushed to tag)", s.Format)
		}
		if (s.Format == "image" || s.Format == "modelpack") && s.Tag == "" {
			return nil, bad(k, "format %s pushes to a registry: give tag", s.Format)
		}
	}
	for i, c := range s.ValidationCriteria {
		if c.Metric == "" {
			return nil, bad(k, "validation_criteria[%d]: metric is required", i)
		}
	}
	return s, nil
}

func cleanYAMLErr(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return strings.Join(te.Errors, "; ")
	}
	return err.Error()
}

// check verifies the order of the steps: native steps need the model of a
// user step before them, register needs evaluate, promote needs register.
func (r *Recipe) check(file string) error {
	seen := map[string]bool{}
	for _, s := range r.Steps {
		need := map[string][]string{KindEvaluate: {"model"}, KindRegister: {"model", KindEvaluate},
			KindPromote: {KindRegister}, KindPack: {"model"}, KindSmoke: {"model"}}[s.Kind]
		for _, n := range need {
			if !seen[n] {
				what := "step " + n
				if n == "model" {
					what = "a user step with model: before it"
				}
				return &lineErr{file, s.Line, fmt.Sprintf("step %s needs %s", s.Name, what)}
			}
		}
		seen[s.Kind] = true
		if s.Kind == KindProject && s.Model != "" {
			seen["model"] = true
		}
	}
	return nil
}

// Index returns the position of the step named name, or -1.
func (r *Recipe) Index(name string) int {
	return slices.IndexFunc(r.Steps, func(s *Step) bool { return s.Name == name })
}
