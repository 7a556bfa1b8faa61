// Package driftaccuracy measures how often berth's drift decision rule
// raises false alarms on same-distribution samples of real data sets, and
// how often it detects known shifts, for bench/cmd/driftaccuracy (which
// writes docs/drift-accuracy.md) and its test.
package driftaccuracy

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/berthml/berth/drift"
)

// Dataset is a table of numeric features (the target column dropped).
type Dataset struct {
	Name    string
	Columns []string
	Rows    [][]float64
}

// LoadCSV reads a data set from a CSV file with a header; a column named
// "target" is dropped.
func LoadCSV(path string) (Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return Dataset{}, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return Dataset{}, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(recs) < 2 {
		return Dataset{}, fmt.Errorf("reading %s: no rows", path)
	}
	d := Dataset{Name: strings.TrimSuffix(filepath.Base(path), ".csv")}
	var keep []int
	for i, c := range recs[0] {
		if c != "target" {
			keep = append(keep, i)
			d.Columns = append(d.Columns, c)
		}
	}
	for li, r := range recs[1:] {
		row := make([]float64, len(keep))
		for j, i := range keep {
			v, err := strconv.ParseFloat(r[i], 64)
			if err != nil {
				return Dataset{}, fmt.Errorf("reading %s line %d: %w", path, li+2, err)
			}
			row[j] = v
		}
		d.Rows = append(d.Rows, row)
	}
	return d, nil
}

// Shift is a known change applied to the current sample.
type Shift string

// The shifts measured.
const (
	NoShift   Shift = ""
	MeanShift Shift = "mean +0.5σ"    // one numeric feature moves by half its standard deviation
	Scale     Shift = "scale ×1.3"    // one numeric feature spreads 1.3 times as wide about its mean
	Swap      Shift = "category swap" // the derived categorical feature's low and high swap
)

// Shifts are the shifts measured, in table order.
var Shifts = []Shift{MeanShift, Scale, Swap}

// CategoryFeature names the categorical feature derived from each data
// set's first column: "low" below its median, "high" at or above its 80th
// percentile, "mid" between (about 50%, 30% and 20% of the rows).
const CategoryFeature = "grade"

// Config says what to measure.
type Config struct {
	Sizes  []int
	Splits int // random same-distribution splits per cell
	// ShiftSplits is the number of splits per cell and shift.
	ShiftSplits int
	Seed        uint64
	Thresholds  drift.Thresholds
	// Persistence is the number of consecutive drifting windows an alert
	// needs; the alert false-alarm rate draws that many windows against
	// each reference.
	Persistence int
}

// Cell is the outcome for one data set at one sample size.
type Cell struct {
	Dataset  string
	Features int // input features, the derived categorical one included
	Size     int
	// Resampled is true when the sample size needs more rows than half
	// the data set, so both samples were drawn with replacement.
	Resampled bool
	// FeatureFA is the worst feature's false-alarm rate (a window's
	// feature drifts); MeanFeatureFA the mean over the features.
	FeatureFA, MeanFeatureFA float64
	// ModelFA is the share of windows whose verdict is drift; AlertFA the
	// share of references against which Persistence windows in a row
	// drift.
	ModelFA, AlertFA float64
	// Detect is, per shift, the share of windows whose verdict is drift.
	Detect map[Shift]float64
}

type prepared struct {
	Dataset
	cols      []drift.Column
	grade     []string // per row
	mean, std []float64
}

func prepare(d Dataset) prepared {
	p := prepared{Dataset: d}
	for _, c := range d.Columns {
		p.cols = append(p.cols, drift.Column{Name: c, Kind: drift.Numeric})
	}
	p.cols = append(p.cols, drift.Column{Name: CategoryFeature, Kind: drift.Categorical})
	first := make([]float64, len(d.Rows))
	for i, r := range d.Rows {
		first[i] = r[0]
	}
	slices.Sort(first)
	q50, q80 := first[len(first)/2], first[len(first)*8/10]
	for _, r := range d.Rows {
		switch {
		case r[0] < q50:
			p.grade = append(p.grade, "low")
		case r[0] >= q80:
			p.grade = append(p.grade, "high")
		default:
			p.grade = append(p.grade, "mid")
		}
	}
	p.mean, p.std = make([]float64, len(d.Columns)), make([]float64, len(d.Columns))
	for j := range d.Columns {
		var s, ss float64
		for _, r := range d.Rows {
			s += r[j]
		}
		m := s / float64(len(d.Rows))
		for _, r := range d.Rows {
			ss += (r[j] - m) * (r[j] - m)
		}
		p.mean[j], p.std[j] = m, math.Sqrt(ss/float64(len(d.Rows)))
	}
	return p
}

// sample returns the row indexes of a reference and current windows of n
// rows each: disjoint, without replacement, when they fit in the data
// set, else each drawn with replacement.
func (p *prepared) sample(r *rand.Rand, n, windows int) (ref []int, cur [][]int) {
	N := len(p.Rows)
	if n*(1+windows) <= N {
		perm := r.Perm(N)
		ref = perm[:n]
		for w := range windows {
			cur = append(cur, perm[n*(w+1):n*(w+2)])
		}
		return ref, cur
	}
	draw := func() []int {
		out := make([]int, n)
		for i := range out {
			out[i] = r.IntN(N)
		}
		return out
	}
	ref = draw()
	for range windows {
		cur = append(cur, draw())
	}
	return ref, cur
}

// profile builds the profile of rows idx, against ref when not nil, with
// shift applied to feature col.
func (p *prepared) profile(idx []int, ref *drift.Profile, shift Shift, col int) (*drift.Profile, error) {
	var opts []drift.Option
	if ref != nil {
		opts = append(opts, drift.WithReference(ref))
	}
	b := drift.NewBuilder(p.cols, opts...)
	vs := make([]float64, len(idx))
	for j, c := range p.Columns {
		for i, k := range idx {
			v := p.Rows[k][j]
			if j == col {
				switch shift {
				case MeanShift:
					v += 0.5 * p.std[j]
				case Scale:
					v = p.mean[j] + 1.3*(v-p.mean[j])
				}
			}
			vs[i] = v
		}
		if err := b.AddFloats(c, vs); err != nil {
			return nil, err
		}
	}
	gs := make([]string, len(idx))
	for i, k := range idx {
		g := p.grade[k]
		if shift == Swap {
			switch g {
			case "low":
				g = "high"
			case "high":
				g = "low"
			}
		}
		gs[i] = g
	}
	if err := b.AddStrings(CategoryFeature, gs); err != nil {
		return nil, err
	}
	return b.Profile()
}

// Measure runs cfg on one data set at one size; seed picks its random
// stream.
func Measure(d Dataset, size int, cfg Config, seed uint64) (Cell, error) {
	p := prepare(d)
	r := rand.New(rand.NewPCG(cfg.Seed, seed))
	persistence := max(cfg.Persistence, 1)
	c := Cell{Dataset: d.Name, Features: len(p.cols), Size: size, Resampled: size*(1+persistence) > len(d.Rows), Detect: map[Shift]float64{}}
	featureHits := make([]int, len(p.cols))
	var modelHits, alertHits int
	for range cfg.Splits {
		refIdx, curIdx := p.sample(r, size, persistence)
		ref, err := p.profile(refIdx, nil, NoShift, -1)
		if err != nil {
			return c, err
		}
		consecutive := 0
		var status drift.Status
		for w, idx := range curIdx {
			cur, err := p.profile(idx, ref, NoShift, -1)
			if err != nil {
				return c, err
			}
			rep, err := drift.Compare(ref, cur, cfg.Thresholds)
			if err != nil {
				return c, err
			}
			if w == 0 {
				for i, f := range rep.Features {
					if f.Drifted {
						featureHits[i]++
					}
				}
				if rep.Status == drift.StatusDrift {
					modelHits++
				}
			}
			status, consecutive = drift.Persist(rep.Status, consecutive, persistence)
		}
		if status == drift.StatusDrift {
			alertHits++
		}
	}
	for _, h := range featureHits {
		rate := float64(h) / float64(cfg.Splits)
		c.FeatureFA = max(c.FeatureFA, rate)
		c.MeanFeatureFA += rate / float64(len(featureHits))
	}
	c.ModelFA = float64(modelHits) / float64(cfg.Splits)
	c.AlertFA = float64(alertHits) / float64(cfg.Splits)
	for _, s := range Shifts {
		hits := 0
		for range cfg.ShiftSplits {
			refIdx, curIdx := p.sample(r, size, 1)
			ref, err := p.profile(refIdx, nil, NoShift, -1)
			if err != nil {
				return c, err
			}
			col := r.IntN(len(p.Columns))
			cur, err := p.profile(curIdx[0], ref, s, col)
			if err != nil {
				return c, err
			}
			rep, err := drift.Compare(ref, cur, cfg.Thresholds)
			if err != nil {
				return c, err
			}
			if rep.Status == drift.StatusDrift {
				hits++
			}
		}
		c.Detect[s] = float64(hits) / float64(cfg.ShiftSplits)
	}
	return c, nil
}

// Goals the issue sets: false alarms at most 5% per feature and 1% per
// model at every size, detection at least 90% from 500 rows.
const (
	GoalFeatureFA = 0.05
	GoalModelFA   = 0.01
	GoalDetect    = 0.90
	GoalDetectMin = 500
)

// Misses lists the cells that miss a goal, one line each.
func Misses(cells []Cell) []string {
	var out []string
	for _, c := range cells {
		if c.FeatureFA > GoalFeatureFA {
			out = append(out, fmt.Sprintf("%s n=%d: feature false alarms %.1f%% > 5%%", c.Dataset, c.Size, 100*c.FeatureFA))
		}
		if c.AlertFA > GoalModelFA {
			out = append(out, fmt.Sprintf("%s n=%d: model alert false alarms %.1f%% > 1%%", c.Dataset, c.Size, 100*c.AlertFA))
		}
		if c.Size >= GoalDetectMin {
			for _, s := range Shifts {
				if c.Detect[s] < GoalDetect {
					out = append(out, fmt.Sprintf("%s n=%d: %s detected %.1f%% < 90%%", c.Dataset, c.Size, s, 100*c.Detect[s]))
				}
			}
		}
	}
	return out
}

// WriteTable writes cells as a markdown table.
func WriteTable(w io.Writer, cells []Cell, persistence int) error {
	hdr := fmt.Sprintf("| data set | features | n | max feature FA | mean feature FA | model FA (1 window) | alert FA (%d windows) |", persistence)
	sep := "|---|---:|---:|---:|---:|---:|---:|"
	for _, s := range Shifts {
		hdr += " " + string(s) + " |"
		sep += "---:|"
	}
	if _, err := fmt.Fprintln(w, hdr+"\n"+sep); err != nil {
		return err
	}
	pct := func(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) }
	for _, c := range cells {
		n := strconv.Itoa(c.Size)
		if c.Resampled {
			n += "*"
		}
		line := fmt.Sprintf("| %s | %d | %s | %s | %s | %s | %s |", c.Dataset, c.Features, n, pct(c.FeatureFA), pct(c.MeanFeatureFA), pct(c.ModelFA), pct(c.AlertFA))
		for _, s := range Shifts {
			line += " " + pct(c.Detect[s]) + " |"
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
	}
	return nil
}
