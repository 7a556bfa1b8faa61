package writeback

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/drift"
)

// Merged drift. With [WithMerge], each replica uploads the counts of every
// wall-clock period (drift.PeriodOf) to its own monitoring run as
// [PeriodArtifact]; once the period is over and a grace period has
// passed, it sums the period's counts of every replica of the version,
// judges the sum as one window (drift.Judge: the same rule as a
// replica's windows, persistence carried from the version's previous
// merged period), logs it to the version's merged run and tags the
// version with the verdict. Every replica merges, each after its own
// upload, so a replica that reports late updates the verdict; a merge
// that finds nothing new writes nothing.
const (
	// PeriodDir holds the period files in a replica's monitoring run.
	PeriodDir = "drift/periods"

	// TagReplicas (on the version) counts the replicas whose counts the
	// merged verdict summed, TagPeriod names its period as
	// "start/end" (RFC 3339), and TagMergeState carries what the next
	// merge needs (the period's start in Unix ms, the drifting periods in
	// a row up to it and before it, the parts and rows merged).
	TagReplicas   = "berth.drift.replicas"
	TagPeriod     = "berth.drift.period"
	TagMergeState = "berth.drift.merge_state"

	// MergedSourceName is the mlflow.source.name of the merged run, so
	// that it is not taken for a replica's.
	MergedSourceName = "berth serve (merged drift)"
)

// DefaultMergeGrace is how long after a period's end a replica waits for
// the other replicas' counts before it merges.
const DefaultMergeGrace = 30 * time.Second

// maxPeriodFile bounds a period file read back from the tracking server.
const maxPeriodFile = 32 << 20

// PeriodArtifact is where, in a replica's monitoring run, the counts of
// the period starting at start are uploaded.
func PeriodArtifact(start time.Time) string {
	return PeriodDir + "/" + start.UTC().Format("20060102T150405.000Z") + ".json"
}

// MergedRunName is the name of the run that holds a version's merged
// drift periods.
func MergedRunName(model, version string) string { return model + "-v" + version + "-drift-merged" }

// PeriodFile is the JSON of a [PeriodArtifact]: one replica's counts of
// one period.
type PeriodFile struct {
	Model    string `json:"model"`
	Version  string `json:"version"`
	Start    string `json:"start"` // RFC 3339 with milliseconds, UTC
	End      string `json:"end"`
	Rows     int64  `json:"rows"`
	Instance string `json:"instance,omitempty"`
	Process  string `json:"process"`
	// Partial is set when the replica stopped before the period ended.
	Partial bool `json:"partial,omitempty"`
	// Counts is the period's profile on the reference's bins.
	Counts *drift.Profile `json:"counts"`
}

const periodTime = "2006-01-02T15:04:05.000Z07:00"

// ReadPeriodFile decodes and checks a period file: model, version and a
// period with start before end, rows not negative, and well-formed
// counts. It reads at most 32 MiB.
func ReadPeriodFile(r io.Reader) (PeriodFile, error) {
	var pf PeriodFile
	b, err := io.ReadAll(io.LimitReader(r, maxPeriodFile+1))
	if err != nil {
		return pf, fmt.Errorf("reading a period file: %w", err)
	}
	if len(b) > maxPeriodFile {
		return pf, fmt.Errorf("a period file larger than %d bytes", maxPeriodFile)
	}
	if err := json.Unmarshal(b, &pf); err != nil {
		return pf, fmt.Errorf("decoding a period file: %w", err)
	}
	start, end, err := pf.Bounds()
	switch {
	case err != nil:
		return pf, err
	case pf.Model == "" || pf.Version == "":
		return pf, errors.New("a period file without its model and version")
	case !start.Before(end):
		return pf, fmt.Errorf("a period file whose start %s is not before its end %s", pf.Start, pf.End)
	case pf.Rows < 0:
		return pf, fmt.Errorf("a period file with %d rows", pf.Rows)
	case pf.Counts == nil:
		return pf, errors.New("a period file without counts")
	}
	if err := pf.Counts.Validate(); err != nil {
		return pf, fmt.Errorf("a period file's counts: %w", err)
	}
	return pf, nil
}

// Bounds parses the file's period.
func (pf PeriodFile) Bounds() (start, end time.Time, err error) {
	if start, err = time.Parse(time.RFC3339Nano, pf.Start); err != nil {
		return start, end, fmt.Errorf("a period file's start: %w", err)
	}
	if end, err = time.Parse(time.RFC3339Nano, pf.End); err != nil {
		return start, end, fmt.Errorf("a period file's end: %w", err)
	}
	return start, end, nil
}

// merge is a queued merge of one period of one version.
type merge struct {
	start, end  time.Time
	ref         *drift.Profile
	th          drift.Thresholds
	persistence int
}

// EnqueuePeriod queues p, a period of model's version, for [Writer.Run]
// like [Writer.Enqueue] queues a window. Without [WithMerge] it does
// nothing and returns false.
func (wr *Writer) EnqueuePeriod(model, version string, p drift.PeriodResult) bool {
	if !wr.opts.merge {
		return false
	}
	return wr.enqueue(job{key: key{model, version}, p: &p}, "drift period", "rows", p.Rows)
}

// Period uploads p, this replica's counts of one period of model's
// version, to its monitoring run as [PeriodArtifact] and, unless p is
// partial, has the period merged by [Writer.Merge] once the grace of
// [WithMerge] has passed after its end (at once when that is past).
func (wr *Writer) Period(ctx context.Context, model, version string, p drift.PeriodResult) error {
	k := key{model, version}
	wr.mu.Lock()
	run, err := wr.run(ctx, k)
	wr.mu.Unlock()
	if err != nil {
		return fmt.Errorf("writing the drift period %s of %s version %s: %w", p.Start.UTC().Format(time.RFC3339), model, version, err)
	}
	pf := PeriodFile{Model: model, Version: version, Start: p.Start.UTC().Format(periodTime), End: p.End.UTC().Format(periodTime),
		Rows: p.Rows, Instance: wr.opts.instance, Process: wr.process, Partial: p.Partial, Counts: p.Counts}
	root, err := mlflowrest.ArtifactProxyPath(run.artifactURI)
	if err != nil {
		return err
	}
	b, err := json.Marshal(pf)
	if err != nil {
		return err
	}
	if err := wr.c.PutArtifact(ctx, root+"/"+PeriodArtifact(p.Start), bytes.NewReader(b)); err != nil {
		return fmt.Errorf("uploading the drift period %s of %s version %s: %w", pf.Start, model, version, err)
	}
	if p.Partial {
		return nil
	}
	mj := merge{start: p.Start, end: p.End, ref: p.Reference, th: p.Thresholds, persistence: p.Persistence}
	queue := func() { wr.enqueue(job{key: k, m: &mj}, "drift merge", "rows", p.Rows) }
	// Each replica waits the grace and up to a quarter more, at random, so
	// that replicas rarely merge at the same moment (they would write the
	// same verdict twice).
	wait := wr.opts.grace + rand.N(wr.opts.grace/4+1)
	if d := time.Until(p.End.Add(wait)); d > 0 {
		time.AfterFunc(d, queue)
	} else {
		queue()
	}
	return nil
}

// mergeState is the version's [TagMergeState].
type mergeState struct {
	start               int64 // Unix ms of the period merged last
	consecutive, before int   // drifting periods in a row up to it, and before it
	parts               int
	rows                int64
}

func (s mergeState) String() string {
	return fmt.Sprintf("%d %d %d %d %d", s.start, s.consecutive, s.before, s.parts, s.rows)
}

func parseMergeState(v string) (mergeState, bool) {
	f := strings.Fields(v)
	if len(f) != 5 {
		return mergeState{}, false
	}
	var n [5]int64
	for i, s := range f {
		x, err := strconv.ParseInt(s, 10, 64)
		if err != nil || x < 0 {
			return mergeState{}, false
		}
		n[i] = x
	}
	return mergeState{start: n[0], consecutive: int(n[1]), before: int(n[2]), parts: int(n[3]), rows: n[4]}, true
}

// Merge sums every replica's counts of the period [start, end) of model's
// version (the [PeriodArtifact] of each of the version's monitoring runs;
// files of another period length, model or version, or counted on other
// bins than ref's, are left out and logged), judges the sum against ref
// with th and persistence by drift.Judge, logs it to the version's merged
// run (metrics as [Metrics], at step start/(end-start); the window file
// as [WindowArtifact]) and tags the version: [TagStatus], [TagRule],
// [TagLastWindow] (the period's end), [TagWorstFeature], [TagReplicas],
// [TagPeriod] and [TagMergeState]. It writes nothing when no replica's
// counts are found, when the version already has a later period's verdict,
// or when it has this period's from the same counts.
func (wr *Writer) Merge(ctx context.Context, model, version string, start, end time.Time, ref *drift.Profile, th drift.Thresholds, persistence int) error {
	wr.mu.Lock()
	defer wr.mu.Unlock()
	k := key{model, version}
	if err := wr.ensureExperiment(ctx); err != nil {
		return fmt.Errorf("merging drift of %s version %s: %w", model, version, err)
	}
	parts, replicas, rows, err := wr.periodParts(ctx, k, start, end, ref)
	if err != nil {
		return fmt.Errorf("merging drift of %s version %s: %w", model, version, err)
	}
	merged, used, refused := drift.MergePeriods(ref, parts)
	if refused != nil {
		wr.opts.logger.Warn("merging drift: counts left out", "model", model, "version", version, "error", refused)
	}
	if merged == nil || used == 0 {
		return nil
	}
	tags := wr.versionTags(ctx, k)
	st, _ := parseMergeState(tags[TagMergeState])
	base := st.consecutive
	switch ms := start.UnixMilli(); {
	case st.start > ms:
		return nil // a later period was judged: this one's verdict would be stale
	case st.start == ms && st.parts == used && st.rows == rows:
		return nil // merged already, from the same counts
	case st.start == ms:
		base = st.before
	}
	w, err := drift.Judge(ref, merged, th, base, persistence)
	if err != nil {
		return fmt.Errorf("judging the merged drift of %s version %s: %w", model, version, err)
	}
	length := end.Sub(start)
	w.Window, w.Start, w.End, w.Rows = start.UnixNano()/int64(length), start, end, rows
	run, err := wr.mergedRun(ctx, k)
	if err != nil {
		return fmt.Errorf("merging drift of %s version %s: %w", model, version, err)
	}
	ms := append(Metrics(w), mlflowrest.Metric{Key: "drift.replicas", Value: mlflowrest.Float64(float64(replicas)),
		Timestamp: mlflowrest.Int64(end.UnixMilli()), Step: mlflowrest.Int64(w.Window)})
	if err := wr.logMetrics(ctx, key{model, version + "\x00merged"}, run.id, ms); err != nil {
		return fmt.Errorf("logging merged drift of %s version %s: %w", model, version, err)
	}
	if err := wr.uploadWindow(ctx, run, NewWindowFile(model, version, w)); err != nil {
		wr.opts.logger.Warn("uploading the merged drift window", "model", model, "version", version, "error", err)
	}
	prev := drift.Status(tags[TagStatus])
	next := mergeState{start: start.UnixMilli(), consecutive: w.Consecutive, before: base, parts: used, rows: rows}
	vt := map[string]string{
		TagStatus: string(w.Status), TagRule: w.Summary(), TagLastWindow: end.UTC().Format(time.RFC3339),
		TagReplicas: strconv.Itoa(replicas), TagPeriod: start.UTC().Format(time.RFC3339) + "/" + end.UTC().Format(time.RFC3339),
		TagMergeState: next.String(),
	}
	if worst := WorstFeature(w); worst != "" {
		vt[TagWorstFeature] = worst
	}
	for _, key := range []string{TagStatus, TagRule, TagLastWindow, TagWorstFeature, TagReplicas, TagPeriod, TagMergeState} {
		v, ok := vt[key]
		if !ok {
			continue
		}
		if err := wr.c.Post(ctx, "model-versions/set-tag", mlflowrest.SetModelVersionTagRequest{Name: model, Version: version, Key: key, Value: v}, nil); err != nil {
			return fmt.Errorf("tagging %s version %s: %w", model, version, err)
		}
	}
	wr.status[k] = w.Status
	if wr.opts.webhook != "" && w.Status != prev && (prev != "" || w.Status != drift.StatusOK) {
		ev := Event{Model: model, Version: version, Status: w.Status, PreviousStatus: prev,
			Window: w.Window, WorstFeature: WorstFeature(w), Time: end.UTC()}
		if err := wr.notify(ctx, ev); err != nil {
			wr.opts.logger.Warn("calling the drift webhook", "model", model, "version", version, "error", err)
		}
	}
	return nil
}

// periodParts reads the counts of the period [start, end) from every
// replica's monitoring run of k: one part per run that has them, the
// number of distinct replicas (runs) and their rows.
func (wr *Writer) periodParts(ctx context.Context, k key, start, end time.Time, ref *drift.Profile) (parts []*drift.Profile, replicas int, rows int64, err error) {
	filter := fmt.Sprintf("tags.`%s` = '%s' and tags.`%s` = '%s' and tags.`%s` = '%s'",
		TagModel, quote(k.model), TagModelVersion, quote(k.version), TagSourceName, quote(SourceName))
	rel := PeriodArtifact(start)
	token := ""
	for {
		var found mlflowrest.SearchRunsResponse
		if err := wr.c.Post(ctx, "runs/search", mlflowrest.SearchRunsRequest{ExperimentIDs: []string{wr.expID}, Filter: filter,
			RunViewType: "ACTIVE_ONLY", MaxResults: 1000, PageToken: token}, &found); err != nil {
			return nil, 0, 0, fmt.Errorf("searching the monitoring runs: %w", err)
		}
		for _, r := range found.Runs {
			if r.Info.EndTime != nil && *r.Info.EndTime < start.UnixMilli() {
				continue // the replica stopped before the period (a run is created by its first upload, so its start says nothing)
			}
			pf, ok := wr.readPeriod(ctx, r, rel)
			if !ok {
				continue
			}
			s, e, _ := pf.Bounds()
			if pf.Model != k.model || pf.Version != k.version || !s.Equal(start) || !e.Equal(end) {
				wr.opts.logger.Warn("merging drift: a period file of another period or version left out", "run", r.Info.RunID,
					"model", pf.Model, "version", pf.Version, "start", pf.Start, "end", pf.End)
				continue
			}
			if err := drift.CheckBins(ref, pf.Counts); err != nil {
				wr.opts.logger.Warn("merging drift: counts on other bins left out", "run", r.Info.RunID, "error", err)
				continue
			}
			parts = append(parts, pf.Counts)
			replicas++
			rows += pf.Rows
		}
		if token = found.NextPageToken; token == "" {
			return parts, replicas, rows, nil
		}
	}
}

// readPeriod downloads and decodes the period file rel of run r; false
// when r has none (or it cannot be read, which is logged).
func (wr *Writer) readPeriod(ctx context.Context, r mlflowrest.Run, rel string) (PeriodFile, bool) {
	root, err := mlflowrest.ArtifactProxyPath(r.Info.ArtifactURI)
	if err != nil {
		return PeriodFile{}, false
	}
	body, err := wr.c.GetArtifact(ctx, root+"/"+rel)
	if err != nil {
		var apiErr *mlflowrest.ErrorResponse
		if !(errors.As(err, &apiErr) && apiErr.ErrorCode == mlflowrest.CodeResourceDoesNotExist) && !strings.Contains(err.Error(), "HTTP 404") {
			wr.opts.logger.Warn("merging drift: reading a replica's period", "run", r.Info.RunID, "error", err)
		}
		return PeriodFile{}, false
	}
	defer body.Close()
	pf, err := ReadPeriodFile(body)
	if err != nil {
		wr.opts.logger.Warn("merging drift: a replica's period file", "run", r.Info.RunID, "error", err)
		return PeriodFile{}, false
	}
	return pf, true
}

// versionTags reads the tags of k's model version (none when it cannot be
// read).
func (wr *Writer) versionTags(ctx context.Context, k key) map[string]string {
	var got mlflowrest.ModelVersionResponse
	tags := map[string]string{}
	if err := wr.c.Get(ctx, "model-versions/get", url.Values{"name": {k.model}, "version": {k.version}}, &got); err != nil {
		return tags
	}
	for _, t := range got.ModelVersion.Tags {
		tags[t.Key] = t.Value
	}
	return tags
}

// mergedRun finds or creates the run that holds k's merged periods.
func (wr *Writer) mergedRun(ctx context.Context, k key) (monitoringRun, error) {
	mk := key{k.model, k.version + "\x00merged"}
	if r, ok := wr.runs[mk]; ok {
		return r, nil
	}
	oldest := func() (*monitoringRun, error) {
		var found mlflowrest.SearchRunsResponse
		filter := fmt.Sprintf("tags.`%s` = '%s' and tags.`%s` = '%s' and tags.`%s` = '%s'",
			TagModel, quote(k.model), TagModelVersion, quote(k.version), TagSourceName, quote(MergedSourceName))
		if err := wr.c.Post(ctx, "runs/search", mlflowrest.SearchRunsRequest{ExperimentIDs: []string{wr.expID}, Filter: filter,
			RunViewType: "ACTIVE_ONLY", MaxResults: 1, OrderBy: []string{"attributes.start_time ASC"}}, &found); err != nil {
			return nil, fmt.Errorf("searching the merged drift run: %w", err)
		}
		if len(found.Runs) == 0 {
			return nil, nil
		}
		return &monitoringRun{found.Runs[0].Info.RunID, found.Runs[0].Info.ArtifactURI}, nil
	}
	if r, err := oldest(); err != nil || r != nil {
		if r != nil {
			wr.runs[mk] = *r
			return *r, nil
		}
		return monitoringRun{}, err
	}
	var created mlflowrest.RunResponse
	if err := wr.c.Post(ctx, "runs/create", mlflowrest.CreateRunRequest{ExperimentID: wr.expID, RunName: MergedRunName(k.model, k.version),
		StartTime: mlflowrest.Int64(time.Now().UnixMilli()), Tags: []mlflowrest.RunTag{
			{Key: TagModel, Value: k.model}, {Key: TagModelVersion, Value: k.version}, {Key: TagSourceName, Value: MergedSourceName}}}, &created); err != nil {
		return monitoringRun{}, fmt.Errorf("creating the merged drift run: %w", err)
	}
	r := monitoringRun{created.Run.Info.RunID, created.Run.Info.ArtifactURI}
	// Replicas that merged at once may each have created one: all keep the
	// oldest, and the others delete theirs.
	if first, err := oldest(); err == nil && first != nil && first.id != r.id {
		if err := wr.c.Post(ctx, "runs/delete", mlflowrest.RunIDRequest{RunID: r.id}, nil); err != nil {
			wr.opts.logger.Warn("deleting a duplicate merged drift run", "run", r.id, "error", err)
		}
		r = *first
	}
	wr.runs[mk] = r
	return r, nil
}
