package recipe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/project"
)

// Option configures a Runner.
type Option func(*Runner)

// Runner runs recipes.
type Runner struct {
	berth          string
	registry       string
	token          string
	timeout        time.Duration
	stdout, stderr io.Writer
	env            []string
	force          bool
	now            func() time.Time
}

// NewRunner returns a Runner. Defaults: the berth binary is this
// executable, no registry (evaluate logs nothing, register and promote
// fail), a step timeout of 30 minutes, output discarded, os.Environ().
func NewRunner(opts ...Option) *Runner {
	r := &Runner{timeout: 30 * time.Minute, stdout: io.Discard, stderr: io.Discard, now: time.Now}
	if exe, err := os.Executable(); err == nil {
		r.berth = exe
	}
	for _, o := range opts {
		o(r)
	}
	if r.env == nil {
		r.env = os.Environ()
	}
	return r
}

// WithBerth is the berth binary the native steps run. Default: os.Executable().
func WithBerth(path string) Option { return func(r *Runner) { r.berth = path } }

// WithRegistry is the tracking server and registry (an MLflow-compatible
// URI) and its bearer token.
func WithRegistry(uri, token string) Option {
	return func(r *Runner) { r.registry, r.token = uri, token }
}

// WithStepTimeout bounds every step that sets no timeout. Default: 30m.
func WithStepTimeout(d time.Duration) Option { return func(r *Runner) { r.timeout = d } }

// WithOutput streams the steps' output. Default: discarded.
func WithOutput(stdout, stderr io.Writer) Option {
	return func(r *Runner) { r.stdout, r.stderr = stdout, stderr }
}

// WithEnv is the environment steps start from. Default: os.Environ().
func WithEnv(env []string) Option { return func(r *Runner) { r.env = env } }

// WithForce re-runs every step, ignoring (and replacing) cached entries.
func WithForce(force bool) Option { return func(r *Runner) { r.force = force } }

// ErrStep wraps the failure of a step.
var ErrStep = errors.New("recipe step failed")

// Run runs rec's steps in order up to and including the step named until
// ("" for all), re-using every step whose key is cached. It returns the
// cards of the steps it went through; on a failure the last card is the
// failed step's, and the error wraps ErrStep.
func (rn *Runner) Run(ctx context.Context, rec *Recipe, until string) ([]*Card, error) {
	steps := rec.Steps
	if until != "" {
		i := rec.Index(until)
		if i < 0 {
			names := make([]string, len(rec.Steps))
			for j, s := range rec.Steps {
				names[j] = s.Name
			}
			return nil, fmt.Errorf("no step %q in the recipe (steps: %s)", until, strings.Join(names, ", "))
		}
		steps = steps[:i+1]
	}
	st := &state{values: map[string]string{}}
	var cards []*Card
	prev := ""
	for _, s := range steps {
		var extra []string
		if s.Kind != KindProject && s.Kind != KindSmoke {
			extra = append(extra, rn.registry)
		}
		key, read, err := rec.Key(s, prev, extra)
		if err != nil {
			return cards, err
		}
		dir := rec.stepDir(s)
		if c := rec.entry(s, key); c != nil && !rn.force {
			c.Cached = true
			st.take(filepath.Join(dir, key), c)
			cards = append(cards, c)
			fmt.Fprintf(rn.stderr, "recipe: step %s: cached (%s)\n", s.Name, key)
			if err := writeJSON(filepath.Join(dir, "last.json"), c); err != nil {
				return cards, err
			}
			prev = key
			continue
		}
		c, err := rn.runStep(ctx, rec, s, key, read, st)
		cards = append(cards, c)
		if err != nil {
			return cards, err
		}
		prev = key
	}
	return cards, nil
}

// state is what earlier steps handed on.
type state struct {
	values map[string]string
	model  string // the model directory (absolute)
	layout string // the pack step's OCI layout (absolute)
}

func (st *state) take(entry string, c *Card) {
	for k, v := range c.Values {
		st.values[k] = v
	}
	if m, ok := c.Values["model"]; ok {
		st.model = filepath.Join(entry, "output", m)
	}
	if c.Kind == KindPack && c.Values["pack_format"] == "oci-layout" {
		st.layout = filepath.Join(entry, "output", c.Values["image"])
	}
}

func (rn *Runner) runStep(ctx context.Context, rec *Recipe, s *Step, key string, read map[string]string, st *state) (*Card, error) {
	dir := rec.stepDir(s)
	c := &Card{Step: s.Name, Kind: s.Kind, Key: key, Read: read, Started: rn.now().UTC().Format(time.RFC3339),
		Values: map[string]string{}, Metrics: map[string]float64{}}
	fail := func(err error) (*Card, error) {
		c.Status, c.Error = "failed", err.Error()
		if werr := writeJSON(filepath.Join(dir, "last.json"), c); werr != nil {
			err = errors.Join(err, werr)
		}
		return c, fmt.Errorf("%w: %s: %w", ErrStep, s.Name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fail(err)
	}
	tmp, err := os.MkdirTemp(dir, "tmp-")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(tmp) // gone after the rename on success
	out := filepath.Join(tmp, "output")
	if err := os.Mkdir(out, 0o755); err != nil {
		return fail(err)
	}
	timeout := s.Timeout
	if timeout == 0 {
		timeout = rn.timeout
	}
	sctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	fmt.Fprintf(rn.stderr, "recipe: step %s (%s): running\n", s.Name, s.Kind)
	start := time.Now()
	err = rn.exec(sctx, rec, s, out, st, c)
	c.Seconds = time.Since(start).Seconds()
	c.Wrote = listFiles(out)
	if err != nil {
		if errors.Is(sctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
			err = fmt.Errorf("timed out after %s: %w", timeout, err)
		}
		return fail(err)
	}
	c.Status = "ok"
	if err := writeJSON(filepath.Join(tmp, "card.json"), c); err != nil {
		return fail(err)
	}
	entry := filepath.Join(dir, key)
	if err := os.RemoveAll(entry); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, entry); err != nil {
		return fail(err)
	}
	if err := writeJSON(filepath.Join(dir, "last.json"), c); err != nil {
		return c, err
	}
	st.take(entry, c)
	fmt.Fprintf(rn.stderr, "recipe: step %s: done in %.1fs\n", s.Name, c.Seconds)
	return c, nil
}

func (rn *Runner) exec(ctx context.Context, rec *Recipe, s *Step, out string, st *state, c *Card) error {
	switch s.Kind {
	case KindProject:
		return rn.userStep(ctx, rec, s, out, c)
	case KindEvaluate:
		return rn.evaluate(ctx, rec, s, out, st, c)
	case KindRegister:
		return rn.register(ctx, rec, s, out, st, c)
	case KindPromote:
		return rn.promote(ctx, rec, s, out, st, c)
	case KindPack:
		return rn.pack(ctx, rec, s, out, st, c)
	case KindSmoke:
		return rn.smoke(ctx, rec, s, out, st, c)
	}
	return fmt.Errorf("unknown step kind %q", s.Kind)
}

// userStep runs an entry point of the recipe's project as a tracked run,
// with BERTH_RECIPE_OUTPUT naming the directory it writes to.
func (rn *Runner) userStep(ctx context.Context, rec *Recipe, s *Step, out string, c *Card) error {
	if rn.registry == "" {
		return errors.New("user steps run as tracked runs: give a registry (--registry-uri)")
	}
	names := make([]string, 0, len(s.Parameters))
	for k := range s.Parameters {
		names = append(names, k)
	}
	slices.Sort(names)
	var params []project.Param
	for _, k := range names {
		params = append(params, project.Param{Key: k, Value: s.Parameters[k]})
	}
	env := append(slices.Clone(rn.env), "BERTH_RECIPE_OUTPUT="+out, "BERTH_RECIPE_DIR="+rec.Dir, "BERTH_RECIPE_STEP="+s.Name)
	client := &mlflowrest.Client{BaseURL: rn.registry, Token: rn.token}
	res, err := project.Run(ctx, client, project.Request{URI: rec.projectDir(), EntryPoint: s.EntryPoint, Params: params,
		ExperimentName: rec.Experiment, RunName: "recipe-" + s.Name, EnvManager: project.EnvManagerLocal},
		project.WithEnv(env), project.WithCwd(rec.Dir), project.WithOutput(rn.stdout, rn.stderr))
	if res != nil && res.RunID != "" {
		c.RunIDs = append(c.RunIDs, res.RunID)
		c.Values["run_id"] = res.RunID
	}
	if err != nil {
		return err
	}
	if res.Status != "FINISHED" {
		return fmt.Errorf("entry point %s ended %s (exit status %d)", s.EntryPoint, res.Status, res.ExitCode)
	}
	if s.Model != "" {
		if _, err := os.Stat(filepath.Join(out, s.Model, "MLmodel")); err != nil {
			return fmt.Errorf("entry point %s wrote no MLflow model at $BERTH_RECIPE_OUTPUT/%s: %w", s.EntryPoint, s.Model, err)
		}
		c.Values["model"] = s.Model
	}
	return nil
}

// berthCmd runs the berth binary, keeping its standard output in
// out/NAME and returning it.
func (rn *Runner) berthCmd(ctx context.Context, out, name string, args ...string) ([]byte, error) {
	if rn.berth == "" {
		return nil, errors.New("no berth binary to run the native steps (WithBerth)")
	}
	var buf bytes.Buffer
	cmd := exec.CommandContext(ctx, rn.berth, args...)
	cmd.Stdout, cmd.Stderr, cmd.Env = &buf, rn.stderr, rn.env
	cmd.WaitDelay = 5 * time.Second
	fmt.Fprintf(rn.stderr, "recipe: berth %s\n", strings.Join(args, " "))
	err := cmd.Run()
	if werr := os.WriteFile(filepath.Join(out, name), buf.Bytes(), 0o644); werr != nil && err == nil {
		err = werr
	}
	if err != nil {
		return buf.Bytes(), fmt.Errorf("berth %s: %w", args[0], err)
	}
	return buf.Bytes(), nil
}

func (rn *Runner) registryArgs() []string {
	if rn.registry == "" {
		return nil
	}
	a := []string{"--registry-uri", rn.registry}
	if rn.token != "" {
		a = append(a, "--registry-token", rn.token)
	}
	return a
}

// lowerIsBetter are MLflow's error metrics: a criterion on them is an
// upper bound.
var lowerIsBetter = []string{"log_loss", "mean_absolute_error", "mean_squared_error", "root_mean_squared_error",
	"max_error", "mean_absolute_percentage_error", "false_positives", "false_negatives"}

func requireArgs(cs []Criterion) []string {
	var a []string
	for _, c := range cs {
		op := ">="
		if slices.Contains(lowerIsBetter, c.Metric) {
			op = "<="
		}
		a = append(a, "--require", fmt.Sprintf("%s%s%v", c.Metric, op, c.Threshold))
	}
	return a
}

type evalRecord struct {
	Metrics    map[string]float64 `json:"metrics"`
	RunID      string             `json:"run_id"`
	Validation *struct {
		Passed   bool `json:"passed"`
		Failures []struct {
			Metric  string `json:"metric_name"`
			Message string `json:"message"`
		} `json:"failures"`
	} `json:"validation"`
}

func (rn *Runner) dataArgs(rec *Recipe, data string) []string {
	return []string{"--data", filepath.Join(rec.Dir, data), "--target", rec.TargetCol, "--model-type", rec.ModelType}
}

// evaluate runs berth evaluate with the criteria; a model that misses them
// is a successful evaluation whose card says validation=failed (register
// then refuses it), as in MLflow Recipes.
func (rn *Runner) evaluate(ctx context.Context, rec *Recipe, s *Step, out string, st *state, c *Card) error {
	args := append([]string{"evaluate", st.model}, rn.dataArgs(rec, s.Data)...)
	args = append(args, "--artifacts-dir", filepath.Join(out, "artifacts"), "-o", "json")
	if rec.Experiment != "" {
		args = append(args, "--experiment", rec.Experiment)
	}
	args = append(args, append(rn.registryArgs(), requireArgs(s.ValidationCriteria)...)...)
	b, runErr := rn.berthCmd(ctx, out, "evaluation.json", args...)
	var r evalRecord
	if err := json.Unmarshal(b, &r); err != nil || r.Metrics == nil {
		if runErr != nil {
			return runErr
		}
		return fmt.Errorf("berth evaluate wrote no evaluation record: %v", err)
	}
	if runErr != nil && (r.Validation == nil || r.Validation.Passed) {
		return runErr
	}
	c.Metrics = r.Metrics
	if r.RunID != "" {
		c.RunIDs = append(c.RunIDs, r.RunID)
	}
	c.Values["data"] = s.Data
	c.Values["validation"] = "none"
	if r.Validation != nil {
		c.Values["validation"] = "passed"
		if !r.Validation.Passed {
			c.Values["validation"] = "failed"
		}
		for _, f := range r.Validation.Failures {
			c.Failures = append(c.Failures, f.Message)
		}
	}
	c.Values["criteria"] = strings.Join(requireArgs(s.ValidationCriteria), " ")
	return nil
}

func (rn *Runner) register(ctx context.Context, rec *Recipe, s *Step, out string, st *state, c *Card) error {
	if v := st.values["validation"]; v == "failed" && !s.AllowNonValidated {
		return fmt.Errorf("the model did not meet the validation_criteria (see the evaluate step's card): not registered (allow_non_validated_model: true registers it anyway)")
	}
	args := append([]string{"models", "register", st.model, "--name", rec.ModelName, "-o", "json"}, rn.registryArgs()...)
	if rec.Experiment != "" {
		args = append(args, "--experiment", rec.Experiment)
	}
	b, err := rn.berthCmd(ctx, out, "version.json", args...)
	if err != nil {
		return err
	}
	var v struct{ Name, Version, RunID, Source string }
	if err := json.Unmarshal(b, &v); err != nil || v.Version == "" {
		return fmt.Errorf("berth models register answered no version: %s", bytes.TrimSpace(b))
	}
	c.Values["model_version"] = v.Version
	c.Values["model_uri"] = fmt.Sprintf("models:/%s/%s", rec.ModelName, v.Version)
	if v.RunID != "" {
		c.RunIDs = append(c.RunIDs, v.RunID)
	}
	return nil
}

func (rn *Runner) promote(ctx context.Context, rec *Recipe, s *Step, out string, st *state, c *Card) error {
	uri := st.values["model_uri"]
	c.Values["gate"] = "berth promote: validation_criteria, and against the current holder when the alias has one"
	args := append([]string{"promote", uri, "--alias", s.Alias}, rn.dataArgs(rec, st.values["data"])...)
	args = append(args, "-o", "json")
	if rec.Experiment != "" {
		args = append(args, "--experiment", rec.Experiment)
	}
	args = append(args, rn.registryArgs()...)
	var crit []Criterion
	for _, k := range sortedKeys(st.criteria(rec)) {
		crit = append(crit, Criterion{Metric: k, Threshold: st.criteria(rec)[k]})
	}
	args = append(args, requireArgs(crit)...)
	for _, k := range sortedKeys(s.MinRelativeChange) {
		args = append(args, "--min-relative-change", fmt.Sprintf("%s=%v", k, s.MinRelativeChange[k]))
	}
	for _, k := range sortedKeys(s.MinAbsoluteChange) {
		args = append(args, "--min-absolute-change", fmt.Sprintf("%s=%v", k, s.MinAbsoluteChange[k]))
	}
	b, err := rn.berthCmd(ctx, out, "promotion.json", args...)
	var res map[string]any
	_ = json.Unmarshal(b, &res)
	for _, k := range []string{"candidate_run_id", "baseline_run_id", "run_id"} {
		if id, ok := res[k].(string); ok && id != "" {
			c.RunIDs = append(c.RunIDs, id)
		}
	}
	if err != nil {
		return fmt.Errorf("promotion of %s to @%s refused or failed: %w", uri, s.Alias, err)
	}
	c.Values["alias"] = s.Alias
	c.Values["promoted"] = fmt.Sprintf("models:/%s@%s -> %s", rec.ModelName, s.Alias, st.values["model_version"])
	return nil
}

// criteria are the evaluate step's criteria, kept in its card's values.
func (st *state) criteria(rec *Recipe) map[string]float64 {
	m := map[string]float64{}
	for _, s := range rec.Steps {
		if s.Kind == KindEvaluate {
			for _, c := range s.ValidationCriteria {
				m[c.Metric] = c.Threshold
			}
		}
	}
	return m
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func (rn *Runner) pack(ctx context.Context, rec *Recipe, s *Step, out string, st *state, c *Card) error {
	args := []string{"pack", st.model, "--model-name", rec.ModelName, "--source-date-epoch", "0"}
	if v := st.values["model_version"]; v != "" {
		args = append(args, "--model-version", v)
	}
	switch s.Format {
	case "oci-layout":
		args = append(args, "--oci-layout", filepath.Join(out, "image"))
		c.Values["image"] = "image"
	case "tarball":
		args = append(args, "--tarball", filepath.Join(out, "image.tar"))
		c.Values["image"] = "image.tar"
	case "image":
		args = append(args, "--tag", s.Tag)
		c.Values["image"] = s.Tag
	case "modelpack":
		args = append(args, "--tag", s.Tag, "--artifact")
		c.Values["image"] = s.Tag
	}
	c.Values["pack_format"] = s.Format
	_, err := rn.berthCmd(ctx, out, "pack.txt", args...)
	return err
}
