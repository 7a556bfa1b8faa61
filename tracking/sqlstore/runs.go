package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"math/big"
	"strconv"

	"github.com/berthml/berth/tracking"
)

const (
	runColumns = `run_uuid, experiment_id, name, user_id, status, start_time, end_time, artifact_uri, lifecycle_stage`
	runNameTag = "mlflow.runName"
)

func newRunID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // uuid4, as MLflow's uuid.uuid4().hex
	b[8] = b[8]&0x3f | 0x80
	return hex.EncodeToString(b[:])
}

var (
	nameAdjectives = []string{"amazing", "bold", "brave", "bright", "calm", "clean", "clever", "crisp", "dapper", "eager",
		"fearless", "gentle", "glamorous", "honest", "humble", "judicious", "kindly", "lively", "mercurial", "nimble",
		"polite", "resilient", "rogue", "sedate", "skillful", "smiling", "stately", "sincere", "thoughtful", "unruly"}
	nameNouns = []string{"ant", "bass", "bat", "bear", "bird", "cat", "colt", "crab", "crane", "deer", "dog", "dove",
		"eel", "finch", "fox", "frog", "goat", "hawk", "hen", "horse", "koi", "lark", "lynx", "mole", "moth", "owl",
		"ram", "seal", "shark", "slug", "snail", "sow", "stag", "swan", "toad", "trout", "whale", "wolf", "worm"}
)

// generateRunName makes an MLflow-style "<adjective>-<noun>-<number>" name.
func generateRunName() string {
	pick := func(n int) int {
		v, _ := rand.Int(rand.Reader, big.NewInt(int64(n)))
		return int(v.Int64())
	}
	return nameAdjectives[pick(len(nameAdjectives))] + "-" + nameNouns[pick(len(nameNouns))] + "-" + strconv.Itoa(pick(1000))
}

// CreateRun implements tracking.RunStore.
func (s *Store) CreateRun(ctx context.Context, r tracking.CreateRun) (*tracking.Run, error) {
	tags := make([]tracking.Tag, 0, len(r.Tags)+1)
	tagName := ""
	for _, t := range r.Tags {
		vt, err := tracking.ValidateTag(t)
		if err != nil {
			return nil, err
		}
		if vt.Key == runNameTag {
			tagName = vt.Value
		}
		tags = append(tags, vt)
	}
	name := r.RunName
	switch {
	case name != "" && tagName != "" && name != tagName:
		return nil, tracking.InvalidParameter("Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='%s', mlflow.runName='%s').", name, tagName)
	case name == "" && tagName != "":
		name = tagName
	case name == "":
		name = generateRunName()
	}
	if err := tracking.ValidateRunName(name); err != nil {
		return nil, err
	}
	if err := tracking.ValidateUserID(r.UserID); err != nil {
		return nil, err
	}
	if tagName == "" {
		tags = append(tags, tracking.Tag{Key: runNameTag, Value: name})
	}
	start := r.StartTime
	if start == 0 {
		start = s.now()
	}
	id := newRunID()
	var run *tracking.Run
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		expID := r.ExperimentID
		if expID == "" {
			expID = tracking.DefaultExperimentID
		}
		n, stage, err := s.experimentStage(ctx, tx, expID)
		if err != nil {
			return err
		}
		if stage != tracking.LifecycleActive {
			return tracking.InvalidParameter("The experiment %s must be in the 'active' state. Current state is %s.", expID, stage)
		}
		var loc string
		if err := s.queryRow(ctx, tx, `SELECT artifact_location FROM experiments WHERE experiment_id = ?`, n).Scan(&loc); err != nil {
			return fmt.Errorf("reading experiment %s: %w", expID, err)
		}
		artifactURI := joinURI(joinURI(loc, id), "artifacts")
		if _, err := s.exec(ctx, tx, `INSERT INTO runs (`+runColumns+`) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?)`,
			id, n, name, r.UserID, string(tracking.RunRunning), start, artifactURI, tracking.LifecycleActive); err != nil {
			return fmt.Errorf("inserting run: %w", err)
		}
		for _, t := range tags {
			if err := s.upsertRunTag(ctx, tx, id, t); err != nil {
				return err
			}
		}
		runs, err := s.loadRuns(ctx, tx, `WHERE run_uuid = ?`, id)
		if err != nil {
			return err
		}
		run = &runs[0]
		return nil
	})
	if err != nil {
		return nil, err
	}
	return run, nil
}

// GetRun implements tracking.RunStore. Deleted runs are returned too.
func (s *Store) GetRun(ctx context.Context, runID string) (*tracking.Run, error) {
	runs, err := s.loadRuns(ctx, s.read, `WHERE run_uuid = ?`, runID)
	if err != nil {
		return nil, err
	}
	if len(runs) == 0 {
		return nil, tracking.NotFound("Run with id=%s not found", runID)
	}
	return &runs[0], nil
}

// runStage returns a run's lifecycle stage, or NotFound.
func (s *Store) runStage(ctx context.Context, q querier, runID string) (string, error) {
	var stage string
	err := s.queryRow(ctx, q, `SELECT lifecycle_stage FROM runs WHERE run_uuid = ?`, runID).Scan(&stage)
	if noRows(err) {
		return "", tracking.NotFound("Run with id=%s not found", runID)
	}
	if err != nil {
		return "", fmt.Errorf("reading run %s: %w", runID, err)
	}
	return stage, nil
}

// activeRun checks that a run exists and is active, as MLflow requires
// before anything is logged to it.
func (s *Store) activeRun(ctx context.Context, q querier, runID string) error {
	stage, err := s.runStage(ctx, q, runID)
	if err != nil {
		return err
	}
	if stage != tracking.LifecycleActive {
		return tracking.InvalidParameter("The run %s must be in the 'active' state. Current state is %s.", runID, stage)
	}
	return nil
}

// UpdateRun implements tracking.RunStore.
func (s *Store) UpdateRun(ctx context.Context, runID string, u tracking.RunUpdate) (*tracking.RunInfo, error) {
	if _, ok := tracking.ParseRunStatus(string(u.Status)); u.Status != "" && !ok {
		return nil, tracking.InvalidParameter("Invalid run status '%s'. Value must be one of RUNNING, SCHEDULED, FINISHED, FAILED, KILLED.", u.Status)
	}
	var info *tracking.RunInfo
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.activeRun(ctx, tx, runID); err != nil {
			return err
		}
		if u.Status != "" {
			if _, err := s.exec(ctx, tx, `UPDATE runs SET status = ? WHERE run_uuid = ?`, string(u.Status), runID); err != nil {
				return fmt.Errorf("updating run %s: %w", runID, err)
			}
		}
		if u.EndTime != nil {
			if _, err := s.exec(ctx, tx, `UPDATE runs SET end_time = ? WHERE run_uuid = ?`, *u.EndTime, runID); err != nil {
				return fmt.Errorf("updating run %s: %w", runID, err)
			}
		}
		if u.RunName != "" {
			if err := tracking.ValidateRunName(u.RunName); err != nil {
				return err
			}
			if _, err := s.exec(ctx, tx, `UPDATE runs SET name = ? WHERE run_uuid = ?`, u.RunName, runID); err != nil {
				return fmt.Errorf("updating run %s: %w", runID, err)
			}
			if err := s.upsertRunTag(ctx, tx, runID, tracking.Tag{Key: runNameTag, Value: u.RunName}); err != nil {
				return err
			}
		}
		infos, err := s.loadRunInfos(ctx, tx, `WHERE run_uuid = ?`, runID)
		if err != nil {
			return err
		}
		info = &infos[0]
		return nil
	})
	return info, err
}

// DeleteRun implements tracking.RunStore (a soft delete).
func (s *Store) DeleteRun(ctx context.Context, runID string) error {
	return s.setRunStage(ctx, runID, tracking.LifecycleDeleted)
}

// RestoreRun implements tracking.RunStore.
func (s *Store) RestoreRun(ctx context.Context, runID string) error {
	return s.setRunStage(ctx, runID, tracking.LifecycleActive)
}

func (s *Store) setRunStage(ctx context.Context, runID, stage string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.runStage(ctx, tx, runID); err != nil {
			return err
		}
		var deleted any
		if stage == tracking.LifecycleDeleted {
			deleted = s.now()
		}
		if _, err := s.exec(ctx, tx, `UPDATE runs SET lifecycle_stage = ?, deleted_time = ? WHERE run_uuid = ?`, stage, deleted, runID); err != nil {
			return fmt.Errorf("updating run %s: %w", runID, err)
		}
		return nil
	})
}
