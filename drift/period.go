package drift

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Periods: besides its own windows (closed by rows or age, judged one by
// one), a [Monitor] given [WithPeriod] counts every row a second time into
// the wall-clock period it was recorded in. Period k of length d covers
// [k·d, (k+1)·d) in Unix time, so every replica of a model cuts the same
// periods, and their counts for one period can be summed ([MergePeriods])
// and judged once, by the same [Compare] and [Persist], as if one server
// had seen all the traffic.

// DefaultPeriod is the length of the wall-clock periods whose counts
// replicas merge (berth serve's --drift-period).
const DefaultPeriod = 5 * time.Minute

// PeriodResult is the counts of one wall-clock period of one monitor.
type PeriodResult struct {
	// Start and End bound the period, [Start, End), on the Unix clock.
	Start time.Time
	End   time.Time
	Rows  int64
	// Counts is the period's profile on the reference's bins: every row
	// recorded in the period, whatever windows it fell in.
	Counts *Profile
	// Reference, Thresholds and Persistence are the monitor's, for whoever
	// judges the merged period.
	Reference   *Profile
	Thresholds  Thresholds
	Persistence int
	// Partial is set on a period flushed before its end ([Monitor.FlushPeriod]).
	Partial bool
}

// PeriodOf returns the bounds [start, end) of the period of length d that
// holds t, aligned on the Unix epoch: the same for every process whose
// clock agrees. d must be positive.
func PeriodOf(t time.Time, d time.Duration) (start, end time.Time) {
	ns := t.UnixNano()
	off := ns % int64(d)
	if off < 0 {
		off += int64(d)
	}
	start = time.Unix(0, ns-off).UTC()
	return start, start.Add(d)
}

// WithPeriod has the monitor also count rows by wall-clock period of
// length d ([PeriodOf]) and hand each period's counts to f once the
// clock has passed its end (at the next Record or Tick) — only periods
// that recorded rows. Windows are unaffected. d <= 0 or a nil f turns it
// off. Default: off.
func WithPeriod(d time.Duration, f func(PeriodResult)) MonitorOption {
	return func(o *monitorOptions) { o.period, o.onPeriod = d, f }
}

// periodsOn says whether the monitor counts periods.
func (m *Monitor) periodsOn() bool { return m.opts.period > 0 && m.opts.onPeriod != nil }

// rollPeriodLocked closes the current period when now is past its end and
// returns its result (nil when there is nothing to hand on); rows recorded
// from now on count in now's period.
func (m *Monitor) rollPeriodLocked(now time.Time) *PeriodResult {
	if !m.periodsOn() || now.Before(m.pend) {
		return nil
	}
	m.cutLocked()
	res := m.periodResultLocked(false)
	m.pstart, m.pend = PeriodOf(now, m.opts.period)
	m.resetAccums(m.pacc)
	m.prows = 0
	return res
}

// periodResultLocked returns the current period's counts, or nil when it
// recorded no rows.
func (m *Monitor) periodResultLocked(partial bool) *PeriodResult {
	if m.prows == 0 {
		return nil
	}
	return &PeriodResult{Start: m.pstart, End: m.pend, Rows: m.prows, Counts: m.profileOf(m.pacc),
		Reference: m.ref, Thresholds: m.opts.th, Persistence: m.opts.persistence, Partial: partial}
}

// FlushPeriod hands on the counts of the period being filled, marked
// Partial, and starts counting it afresh: a server that stops mid-period
// calls it so that the rows it saw still count when the period is
// merged. It does nothing without [WithPeriod] or when the period
// recorded no rows.
func (m *Monitor) FlushPeriod() {
	m.mu.Lock()
	if !m.periodsOn() {
		m.mu.Unlock()
		return
	}
	m.cutLocked()
	res := m.periodResultLocked(true)
	m.resetAccums(m.pacc)
	m.prows = 0
	m.emit(nil, res)
}

// CheckBins returns an error wrapping [ErrIncompatible] unless p has
// exactly ref's input features and output columns, in order, each of the
// same kind and counted on the same bin edges or categories: the only
// counts [MergePeriods] sums. Counts on other bins are refused, not
// re-binned — a histogram cannot be split finer than it was counted.
func CheckBins(ref, p *Profile) error {
	if p == nil {
		return fmt.Errorf("no counts: %w", ErrIncompatible)
	}
	for _, pair := range [][2][]Feature{{ref.Features, p.Features}, {ref.Outputs, p.Outputs}} {
		r, c := pair[0], pair[1]
		if len(r) != len(c) {
			return fmt.Errorf("%d columns where the reference has %d: %w", len(c), len(r), ErrIncompatible)
		}
		for i := range r {
			rf, cf := &r[i], &c[i]
			if rf.Name != cf.Name || rf.Kind != cf.Kind {
				return fmt.Errorf("column %d is %q (%s) where the reference has %q (%s): %w",
					i, cf.Name, cf.Kind, rf.Name, rf.Kind, ErrIncompatible)
			}
			switch {
			case rf.Numeric != nil:
				if cf.Numeric == nil || !slices.Equal(rf.Numeric.Edges, cf.Numeric.Edges) ||
					len(cf.Numeric.Counts) != len(rf.Numeric.Counts) {
					return fmt.Errorf("feature %q: bin edges differ from the reference's: %w", rf.Name, ErrIncompatible)
				}
			case rf.Categorical != nil:
				if cf.Categorical == nil || !slices.Equal(rf.Categorical.Categories, cf.Categorical.Categories) {
					return fmt.Errorf("feature %q: categories differ from the reference's: %w", rf.Name, ErrIncompatible)
				}
			}
		}
	}
	return nil
}

// MergePeriods sums the counts of one period from several monitors
// (replicas) of the reference ref into one profile for [Compare]. A part
// that is invalid or not counted on ref's bins ([CheckBins]) is left out
// and its index and reason returned in refused; merged is nil when no
// part is left.
func MergePeriods(ref *Profile, parts []*Profile) (merged *Profile, used int, refused error) {
	var errs []error
	for i, p := range parts {
		err := CheckBins(ref, p)
		if err == nil {
			err = p.Validate()
		}
		if err == nil && merged != nil {
			var m *Profile
			if m, err = Merge(merged, p); err == nil {
				merged = m
			}
		} else if err == nil {
			merged = p
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("part %d: %w", i, err))
			continue
		}
		used++
	}
	return merged, used, errors.Join(errs...)
}
