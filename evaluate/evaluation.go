package evaluate

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/batchscore"
	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/flavors"
)

// Subject is a model to evaluate: as given (URI, a directory or a
// models:/ URI), its directory, the registered version it came from ("" for
// a directory) and the loaded model.
type Subject struct {
	URI, Dir      string
	Name, Version string
	Loaded        *flavors.Loaded
}

// Label names the subject in run names: NAME-vVERSION, or the directory's
// base name.
func (s *Subject) Label() string {
	if s.Name != "" {
		return s.Name + "-v" + s.Version
	}
	abs, err := filepath.Abs(s.Dir)
	if err != nil {
		return filepath.Base(s.Dir)
	}
	return filepath.Base(abs)
}

// Evaluation is what berth evaluate does: evaluate a candidate (and a
// baseline, for the change checks) on labelled data, write the artifacts,
// check the thresholds, and log it all to a run.
type Evaluation struct {
	Candidate *Subject
	Baseline  *Subject // nil: none
	Data      Data
	// Thresholds are MetricThreshold checks; ValidateResults checks them.
	Thresholds map[string]MetricThreshold
	// ArtifactDir receives the plots and per-class CSV; "" writes them to
	// a temporary directory, removed once they are logged.
	ArtifactDir string
	// Reference, when set, is where the data's drift reference profile
	// (inputs and outputs, as berth drift profile writes it) is saved;
	// Init loads the runtime first.
	Reference string
	Init      func() error
	// Registry logs the evaluation to a run, as Run says (its Experiment
	// or RunID, RunName, Source); nil logs nothing. RunName "" is
	// "evaluate-" and the candidate's label.
	Registry *mlflowrest.Client
	Run      Run
}

// Evaluate runs e. A failed threshold check is not an error: it is the
// record's Validation, printed and logged like the rest.
func Evaluate(ctx context.Context, e Evaluation) (*Record, error) {
	res, err := Model(ctx, e.Candidate.URI, e.Candidate.Loaded, e.Data)
	if err != nil {
		return nil, err
	}
	var base *Result
	if e.Baseline != nil {
		if base, err = Model(ctx, e.Baseline.URI, e.Baseline.Loaded, e.Data); err != nil {
			return nil, fmt.Errorf("baseline: %w", err)
		}
	}
	dir, done, err := artifactDir(e.ArtifactDir)
	if err != nil {
		return nil, err
	}
	defer done()
	files, err := res.WriteArtifacts(dir)
	if err != nil {
		return nil, fmt.Errorf("writing the artifacts: %w", err)
	}
	if e.Reference != "" {
		if err := saveReference(ctx, e); err != nil {
			return nil, fmt.Errorf("saving the drift reference: %w", err)
		}
	}
	verr := validate(e.Thresholds, res, base)
	rec := &Record{Model: e.Candidate.URI, Data: e.Data.Path, Target: e.Data.Target, ModelType: e.Data.ModelType,
		Result: res, Baseline: base, Validation: verr, Thresholds: e.Thresholds, ArtifactDir: e.ArtifactDir, Artifacts: files}
	if e.Registry != nil {
		r := e.Run
		if r.RunName == "" {
			r.RunName = "evaluate-" + e.Candidate.Label()
		}
		r.Model, r.ModelName, r.ModelVersion = e.Candidate.URI, e.Candidate.Name, e.Candidate.Version
		r.Data, r.Result, r.Thresholds, r.Validation, r.Dir, r.Artifacts = e.Data, res, e.Thresholds, verr, dir, files
		if rec.RunID, err = LogRun(ctx, e.Registry, r); err != nil {
			return nil, err
		}
	}
	return rec, nil
}

// artifactDir is where an evaluation writes its artifacts: dir, made if
// missing, or when dir is "" a temporary directory that done removes.
func artifactDir(dir string) (_ string, done func(), err error) {
	if dir != "" {
		return dir, func() {}, os.MkdirAll(dir, 0o755)
	}
	if dir, err = os.MkdirTemp("", "berth-evaluate-"); err != nil {
		return "", nil, err
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}

// validate checks res's metrics against thresholds, and against base's
// (nil: no baseline) for the checks relative to a baseline.
func validate(thresholds map[string]MetricThreshold, res, base *Result) error {
	var baseMetrics map[string]float64
	if base != nil {
		baseMetrics = base.Metrics
	}
	return ValidateResults(thresholds, res.Metrics, baseMetrics)
}

// saveReference profiles the evaluation data for the candidate's drift
// reference, with berth drift profile's defaults.
func saveReference(ctx context.Context, e Evaluation) error {
	p, err := batchscore.ProfileModel(ctx, e.Candidate.Dir, batchscore.ProfileOptions{Data: e.Data.Path,
		Bins: drift.DefaultBins, TopK: drift.DefaultTopK, Outputs: true, Init: e.Init})
	if err != nil {
		return err
	}
	return batchscore.WriteProfile(e.Reference, p)
}
