package recipe

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Card is what one step did: kept as card.json in its cache entry, and as
// last.json (the latest attempt, failed ones included) in its directory.
type Card struct {
	Step    string  `json:"step"`
	Kind    string  `json:"kind"`
	Key     string  `json:"key"`
	Status  string  `json:"status"` // ok, failed
	Started string  `json:"started"`
	Seconds float64 `json:"seconds"`
	Cached  bool    `json:"cached,omitempty"`
	Error   string  `json:"error,omitempty"`
	// Read are the files the step's key covers, with their SHA-256.
	Read map[string]string `json:"read,omitempty"`
	// Wrote are the files under the step's output directory.
	Wrote []string `json:"wrote,omitempty"`
	// Metrics the step measured.
	Metrics map[string]float64 `json:"metrics,omitempty"`
	// RunIDs are the tracking runs the step made.
	RunIDs []string `json:"run_ids,omitempty"`
	// Values are what later steps read: model (directory), model_version,
	// validation (passed/failed), image, ...
	Values map[string]string `json:"values,omitempty"`
	// Failures are the validation checks that failed.
	Failures []string `json:"failures,omitempty"`
}

// hashFile returns the hex SHA-256 of a file.
func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// codeFiles lists the project's files (relative, sorted) that make a user
// step's code: everything but the work directory, .git, the recipe and its
// profiles, and the files named as any step's inputs or data (those count
// as data, in the steps that read them).
func (r *Recipe) codeFiles() ([]string, error) {
	proj := r.projectDir()
	skip := map[string]bool{}
	for _, s := range r.Steps {
		for _, in := range append(slices.Clone(s.Inputs), s.Data) {
			if in != "" {
				skip[filepath.Clean(filepath.Join(r.Dir, in))] = true
			}
		}
	}
	skip[filepath.Join(r.Dir, File)] = true
	work := filepath.Join(r.Dir, r.WorkDir)
	var out []string
	err := filepath.WalkDir(proj, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p == work || d.Name() == ".git" || d.Name() == "__pycache__" || p == filepath.Join(r.Dir, "profiles") {
				return filepath.SkipDir
			}
			return nil
		}
		if skip[p] || !d.Type().IsRegular() {
			return nil
		}
		rel, _ := filepath.Rel(proj, p)
		out = append(out, rel)
		return nil
	})
	slices.Sort(out)
	return out, err
}

func (r *Recipe) projectDir() string {
	if r.Project == "" {
		return r.Dir
	}
	return filepath.Join(r.Dir, r.Project)
}

// Key computes a step's cache key: the key of the step before it, the
// step's settings, the recipe's settings, the contents of its inputs and
// data and, for a user step, of the project's code; extra holds anything
// else the step depends on (the registry). read receives the files hashed.
func (r *Recipe) Key(s *Step, prev string, extra []string) (key string, read map[string]string, err error) {
	h := sha256.New()
	read = map[string]string{}
	settings, _ := json.Marshal(struct {
		Recipe *Recipe
		Step   *Step
	}{&Recipe{Template: r.Template, Experiment: r.Experiment, ModelName: r.ModelName, TargetCol: r.TargetCol,
		ModelType: r.ModelType, Project: r.Project}, s})
	fmt.Fprintf(h, "berth-recipe-v1\x00%s\x00%s\x00%s\x00", prev, settings, strings.Join(extra, "\x00"))
	files := slices.Clone(s.Inputs)
	if s.Data != "" {
		files = append(files, s.Data)
	}
	if s.Kind == KindProject {
		code, err := r.codeFiles()
		if err != nil {
			return "", nil, fmt.Errorf("listing the project's code: %w", err)
		}
		rel, _ := filepath.Rel(r.Dir, r.projectDir())
		for _, c := range code {
			files = append(files, filepath.Join(rel, c))
		}
	}
	for _, f := range files {
		sum, err := hashFile(filepath.Join(r.Dir, f))
		if err != nil {
			return "", nil, fmt.Errorf("step %s: input %s: %w", s.Name, f, err)
		}
		read[f] = sum
		fmt.Fprintf(h, "%s\x00%s\x00", f, sum)
	}
	return hex.EncodeToString(h.Sum(nil))[:32], read, nil
}

func (r *Recipe) stepDir(s *Step) string { return filepath.Join(r.Dir, r.WorkDir, "steps", s.Name) }

// Entry returns the cached card of step s under key, or nil.
func (r *Recipe) entry(s *Step, key string) *Card {
	b, err := os.ReadFile(filepath.Join(r.stepDir(s), key, "card.json"))
	if err != nil {
		return nil
	}
	var c Card
	if json.Unmarshal(b, &c) != nil || c.Status != "ok" || c.Key != key {
		return nil
	}
	return &c
}

// LastCard returns the card of the step's latest attempt, or nil.
func (r *Recipe) LastCard(s *Step) *Card {
	b, err := os.ReadFile(filepath.Join(r.stepDir(s), "last.json"))
	if err != nil {
		return nil
	}
	var c Card
	if json.Unmarshal(b, &c) != nil {
		return nil
	}
	return &c
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func listFiles(dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}
