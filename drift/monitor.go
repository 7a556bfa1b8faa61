package drift

import (
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"
)

// Defaults of the monitor options.
const (
	DefaultWindowRows    = 1000
	DefaultWindowTime    = time.Minute
	DefaultWindowMinRows = 50
	DefaultHistory       = 60
)

// MonitorOption configures a [Monitor].
type MonitorOption func(*monitorOptions)

type monitorOptions struct {
	rows, minRows, history int
	persistence            int
	every                  time.Duration
	th                     Thresholds
	now                    func() time.Time
	onWindow               func(WindowResult)
	period                 time.Duration // WithPeriod
	onPeriod               func(PeriodResult)
}

// WithWindowRows closes a window once it holds n rows. Default:
// [DefaultWindowRows].
func WithWindowRows(n int) MonitorOption { return func(o *monitorOptions) { o.rows = max(n, 1) } }

// WithWindowTime closes a window once it is d old and holds at least the
// minimum rows; zero disables closing by time. Default: [DefaultWindowTime].
func WithWindowTime(d time.Duration) MonitorOption { return func(o *monitorOptions) { o.every = d } }

// WithMinRows is the fewest rows a window closed by time must hold; a
// younger window keeps filling. Default: [DefaultWindowMinRows].
func WithMinRows(n int) MonitorOption { return func(o *monitorOptions) { o.minRows = max(n, 1) } }

// WithThresholds sets the thresholds windows are graded by. Default:
// [DefaultThresholds].
func WithThresholds(th Thresholds) MonitorOption { return func(o *monitorOptions) { o.th = th } }

// WithPersistence makes a model's status drift only once n consecutive
// windows drifted; a drifting window short of that warns, and every
// window still reports its own statistics and verdict. Default:
// [DefaultPersistence].
func WithPersistence(n int) MonitorOption {
	return func(o *monitorOptions) { o.persistence = max(n, 1) }
}

// WithHistory keeps the results of the last n windows. Default:
// [DefaultHistory].
func WithHistory(n int) MonitorOption { return func(o *monitorOptions) { o.history = max(n, 1) } }

// WithClock sets the monitor's clock. Default: time.Now.
func WithClock(now func() time.Time) MonitorOption { return func(o *monitorOptions) { o.now = now } }

// OnWindow calls f with each window's result, in window order, after the
// window closes. f must not call back into the monitor's Record. Default:
// none.
func OnWindow(f func(WindowResult)) MonitorOption { return func(o *monitorOptions) { o.onWindow = f } }

// WindowState describes the window being filled.
type WindowState struct {
	Window  int64     `json:"window"`
	Rows    int64     `json:"rows"`
	Started time.Time `json:"started"`
}

// Monitor compares a live stream of rows with a reference profile in
// windows closed by row count or by age. It is safe for concurrent use;
// recording a value costs a binary search into the reference's bin edges
// (or a map lookup for a categorical feature) and a counter increment
// under the monitor's lock.
type Monitor struct {
	ref  *Profile
	opts monitorOptions
	// feats are the reference's input features, then its outputs; a
	// Recorder's feature index points into it.
	feats  []*Feature
	index  map[string]int // input features
	outIdx map[string]int // output columns
	// edges32 are the reference's bin edges rounded to float32, for
	// float32 inputs: a float32 value equal to an edge in the data the
	// reference was built from must fall in the same bin.
	edges32 [][]float64

	mu      sync.Mutex
	window  int64
	started time.Time
	rows    int64
	acc     []accum
	last    *WindowResult
	streak  int            // drifting windows in a row, up to the last closed
	history []WindowResult // ring of the last opts.history results, oldest first

	// The wall-clock period being counted (WithPeriod): [pstart, pend),
	// its rows and its counters. With periods, acc counts only the rows
	// since the last cut (a window's close or a period's end), so that
	// recording a value costs what it costs without periods; a cut adds
	// acc to wacc (the window's rows before it) and to pacc (the
	// period's). pacc and wacc are nil when periods are off, and acc is
	// then the whole window.
	pstart, pend time.Time
	prows        int64
	pacc, wacc   []accum

	cbMu sync.Mutex // delivers OnWindow results in window order
}

// accum is one feature's counters in the current window.
type accum struct {
	count, nulls int64
	min, max     float64
	sum, sumSq   float64
	bins         []int64 // numeric: as NumericStats.Counts
	cats         map[string]int
	catCounts    []int64
	other        int64
}

// NewMonitor returns a monitor of the features of ref, which it validates.
func NewMonitor(ref *Profile, opts ...MonitorOption) (*Monitor, error) {
	if ref == nil {
		return nil, fmt.Errorf("creating a drift monitor: no reference profile")
	}
	if err := ref.Validate(); err != nil {
		return nil, fmt.Errorf("creating a drift monitor: %w", err)
	}
	o := monitorOptions{
		rows: DefaultWindowRows, minRows: DefaultWindowMinRows, history: DefaultHistory,
		every: DefaultWindowTime, th: DefaultThresholds(), now: time.Now, persistence: DefaultPersistence,
	}
	for _, opt := range opts {
		opt(&o)
	}
	m := &Monitor{ref: ref, opts: o, index: make(map[string]int, len(ref.Features)), outIdx: make(map[string]int, len(ref.Outputs))}
	for i := range ref.Features {
		m.index[ref.Features[i].Name] = len(m.feats)
		m.feats = append(m.feats, &ref.Features[i])
	}
	for i := range ref.Outputs {
		m.outIdx[ref.Outputs[i].Name] = len(m.feats)
		m.feats = append(m.feats, &ref.Outputs[i])
	}
	m.acc = make([]accum, len(m.feats))
	m.edges32 = make([][]float64, len(m.feats))
	for i, f := range m.feats {
		if f.Numeric != nil {
			m.edges32[i] = make([]float64, len(f.Numeric.Edges))
			for j, e := range f.Numeric.Edges {
				m.edges32[i][j] = float64(float32(e))
			}
		}
	}
	m.resetLocked()
	m.window = 1
	if m.periodsOn() {
		m.pacc, m.wacc = make([]accum, len(m.feats)), make([]accum, len(m.feats))
		m.resetAccums(m.pacc)
		m.resetAccums(m.wacc)
		m.pstart, m.pend = PeriodOf(o.now(), o.period)
	}
	return m, nil
}

// Reference returns the reference profile; callers must not modify it.
func (m *Monitor) Reference() *Profile { return m.ref }

// Feature returns the index of the input feature called name for
// [Recorder] calls, or -1 when the reference has no such feature.
func (m *Monitor) Feature(name string) int {
	if i, ok := m.index[name]; ok {
		return i
	}
	return -1
}

// Output returns the index of the output column called name for
// [Recorder] calls, or -1 when the reference has no such output.
func (m *Monitor) Output(name string) int {
	if i, ok := m.outIdx[name]; ok {
		return i
	}
	return -1
}

func (m *Monitor) resetLocked() {
	m.resetAccums(m.acc)
	if m.wacc != nil {
		m.resetAccums(m.wacc)
	}
	m.rows = 0
	m.started = m.opts.now()
}

// resetAccums zeroes the counters of acc, one per feature of m.
func (m *Monitor) resetAccums(acc []accum) {
	for i := range acc {
		f := m.feats[i]
		a := accum{min: math.Inf(1), max: math.Inf(-1)}
		if f.Numeric != nil {
			a.bins = make([]int64, len(f.Numeric.Counts))
		}
		if c := f.Categorical; c != nil {
			a.cats = acc[i].cats
			if a.cats == nil && len(m.acc) > i {
				a.cats = m.acc[i].cats // read-only once built: windows and periods share it
			}
			if a.cats == nil {
				a.cats = make(map[string]int, len(c.Categories))
				for j, name := range c.Categories {
					a.cats[name] = j
				}
			}
			a.catCounts = make([]int64, len(c.Categories))
		}
		acc[i] = a
	}
}

// add adds the counters of b, on the same bins, to a.
func (a *accum) add(b *accum) {
	a.count += b.count
	a.nulls += b.nulls
	a.min, a.max = math.Min(a.min, b.min), math.Max(a.max, b.max)
	a.sum += b.sum
	a.sumSq += b.sumSq
	for j, c := range b.bins {
		a.bins[j] += c
	}
	for j, c := range b.catCounts {
		a.catCounts[j] += c
	}
	a.other += b.other
}

// cutLocked adds the rows recorded since the last cut to the window's and
// the period's counters and starts a new segment; without periods it does
// nothing (acc is the window).
func (m *Monitor) cutLocked() {
	if m.pacc == nil {
		return
	}
	for i := range m.acc {
		m.wacc[i].add(&m.acc[i])
		m.pacc[i].add(&m.acc[i])
	}
	m.resetAccums(m.acc)
}

// addFloat counts the number v, in histogram slot bin (-1: none).
func (a *accum) addFloat(v float64, bin int) {
	a.count++
	a.min, a.max = math.Min(a.min, v), math.Max(a.max, v)
	a.sum += v
	a.sumSq += v * v
	if bin >= 0 {
		a.bins[bin]++
	}
}

// addCat counts a category, j of the reference's (-1: other).
func (a *accum) addCat(j int) {
	a.count++
	if j >= 0 {
		a.catCounts[j]++
	} else {
		a.other++
	}
}

// Recorder adds values to the current window; it is valid only inside
// the function given to [Monitor.Record].
type Recorder struct{ m *Monitor }

// Float records value v of feature i (from [Monitor.Feature]); NaN counts
// as null. A numeric value of a categorical feature counts as its decimal
// text.
func (r Recorder) Float(i int, v float64) {
	r.float(i, v, r.m.feats[i].Numeric, 64)
}

// Float32 records value v of feature i, binned against the reference's
// edges rounded to float32, so that a value read as float32 lands in the
// bin its float64 original would.
func (r Recorder) Float32(i int, v float32) {
	r.float(i, float64(v), r.m.feats[i].Numeric, 32)
}

func (r Recorder) float(i int, v float64, n *NumericStats, bits int) {
	a := &r.m.acc[i]
	if math.IsNaN(v) {
		r.Null(i)
		return
	}
	if a.cats != nil {
		r.String(i, strconv.FormatFloat(v, 'f', -1, bits))
		return
	}
	edges := n.Edges
	if bits == 32 {
		edges = r.m.edges32[i]
	}
	bin := -1
	if len(edges) > 0 {
		bin = binIndex(edges, v)
	}
	a.addFloat(v, bin)
}

// String records value s of feature i; a string given to a numeric
// feature is parsed, and counts as null when it is not a number.
func (r Recorder) String(i int, s string) {
	a := &r.m.acc[i]
	if a.cats == nil {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			v = math.NaN()
		}
		r.Float(i, v)
		return
	}
	if s == "" {
		r.Null(i)
		return
	}
	j, ok := a.cats[s]
	if !ok {
		j = -1
	}
	a.addCat(j)
}

// Null records a missing value of feature i.
func (r Recorder) Null(i int) { r.m.acc[i].nulls++ }

// Record adds rows rows to the current window: fill records their values
// through the Recorder, under the monitor's lock, so it must be quick and
// must not call the monitor. A window that fills up (or is old enough)
// closes on return.
func (m *Monitor) Record(rows int, fill func(Recorder)) {
	m.mu.Lock()
	var p *PeriodResult
	if m.pacc != nil {
		p = m.rollPeriodLocked(m.opts.now())
		m.prows += int64(rows)
	}
	fill(Recorder{m})
	m.rows += int64(rows)
	m.closeIfDueLocked(p)
}

// Observe records one batch of rows given by feature name: numeric
// columns in floats, text columns in strs. Features the reference lacks
// are ignored. [Monitor.Record] with indexes from [Monitor.Feature] avoids
// building the maps.
func (m *Monitor) Observe(rows int, floats map[string][]float64, strs map[string][]string) {
	m.Record(rows, func(r Recorder) {
		for name, vs := range floats {
			if i := m.Feature(name); i >= 0 {
				for _, v := range vs {
					r.Float(i, v)
				}
			}
		}
		for name, vs := range strs {
			if i := m.Feature(name); i >= 0 {
				for _, s := range vs {
					r.String(i, s)
				}
			}
		}
	})
}

// Tick closes the current window if it is old enough; call it now and
// then so that a quiet model's window still closes.
func (m *Monitor) Tick() {
	m.mu.Lock()
	var p *PeriodResult
	if m.pacc != nil {
		p = m.rollPeriodLocked(m.opts.now())
	}
	m.closeIfDueLocked(p)
}

// closeIfDueLocked closes the window when it is due, hands on it and the
// closed period p (nil: none), and unlocks m.mu.
func (m *Monitor) closeIfDueLocked(p *PeriodResult) {
	due := m.rows >= int64(m.opts.rows)
	if !due && m.opts.every > 0 && m.rows >= int64(m.opts.minRows) {
		due = m.opts.now().Sub(m.started) >= m.opts.every
	}
	var w *WindowResult
	if due {
		res := m.closeLocked()
		w = &res
	}
	m.emit(w, p)
}

// emit hands on a closed window and a closed period (either may be nil)
// to the callbacks, in order, and unlocks m.mu.
func (m *Monitor) emit(w *WindowResult, p *PeriodResult) {
	if (w == nil || m.opts.onWindow == nil) && (p == nil || m.opts.onPeriod == nil) {
		m.mu.Unlock()
		return
	}
	m.cbMu.Lock() // taken before m.mu is released: callbacks keep window order
	m.mu.Unlock()
	defer m.cbMu.Unlock()
	if p != nil && m.opts.onPeriod != nil {
		m.opts.onPeriod(*p)
	}
	if w != nil && m.opts.onWindow != nil {
		m.opts.onWindow(*w)
	}
}

func (m *Monitor) closeLocked() WindowResult {
	res, err := Judge(m.ref, m.profileLocked(), m.opts.th, m.streak, m.opts.persistence)
	if err != nil { // cannot happen: the window is built on the reference's bins
		panic(fmt.Sprintf("drift monitor: %v", err))
	}
	res.Window, res.Start, res.End, res.Rows = m.window, m.started, m.opts.now(), m.rows
	m.streak = res.Consecutive
	m.last = &res
	if len(m.history) >= m.opts.history {
		m.history = append(m.history[:0], m.history[len(m.history)-m.opts.history+1:]...)
	}
	m.history = append(m.history, res)
	m.window++
	m.resetLocked()
	return res
}

// profileLocked returns the current window's profile.
func (m *Monitor) profileLocked() *Profile {
	if m.wacc != nil {
		m.cutLocked()
		return m.profileOf(m.wacc)
	}
	return m.profileOf(m.acc)
}

// profileOf returns the profile of the counters acc.
func (m *Monitor) profileOf(acc []accum) *Profile {
	p := &Profile{Version: ProfileVersion, Features: make([]Feature, len(m.ref.Features))}
	if len(m.ref.Outputs) > 0 {
		p.Outputs = make([]Feature, len(m.ref.Outputs))
	}
	for i := range acc {
		a, rf := &acc[i], m.feats[i]
		f := Feature{Name: rf.Name, Kind: rf.Kind, Type: rf.Type, Count: a.count, Nulls: a.nulls}
		if rf.Numeric != nil {
			n := &NumericStats{Edges: rf.Numeric.Edges, Counts: a.bins}
			if a.count > 0 {
				c := float64(a.count)
				n.Min, n.Max, n.Mean = a.min, a.max, a.sum/c
				n.Variance = max(a.sumSq/c-n.Mean*n.Mean, 0)
			}
			f.Numeric = n
		} else {
			f.Categorical = &CategoricalStats{Categories: rf.Categorical.Categories, Counts: a.catCounts, Other: a.other}
		}
		if i < len(p.Features) {
			p.Features[i] = f
		} else {
			p.Outputs[i-len(p.Features)] = f
		}
	}
	return p
}

// Last returns the result of the last closed window, or nil before the
// first closes.
func (m *Monitor) Last() *WindowResult {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.last == nil {
		return nil
	}
	r := *m.last
	return &r
}

// History returns the results of the last closed windows, oldest first.
func (m *Monitor) History() []WindowResult {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]WindowResult(nil), m.history...)
}

// Current describes the window being filled.
func (m *Monitor) Current() WindowState {
	m.mu.Lock()
	defer m.mu.Unlock()
	return WindowState{Window: m.window, Rows: m.rows, Started: m.started}
}
