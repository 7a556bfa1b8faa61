package keys

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Guard admits gateway calls by key: it checks the key, the endpoint and
// the key's limits and budgets, in memory, and counts what it admits.
// Its counts are reconciled through the Store every interval (Run), which
// also picks up keys created or revoked by other processes. Create one per
// process; it is safe for concurrent use.
type Guard struct {
	store    *Store
	now      func() time.Time
	interval time.Duration
	log      *slog.Logger
	prices   atomic.Pointer[PriceTable]
	lookups  chan struct{} // bounds concurrent database look-ups of unknown keys

	mu       sync.RWMutex
	byDigest map[[sha256.Size]byte]*keyState
	byID     map[string]*keyState
	unknown  map[[sha256.Size]byte]struct{} // digests the database did not have at the last look-up
}

// keyState is one key's counts in this process.
type keyState struct {
	mu    sync.Mutex
	key   Key
	cells map[slot]*cell
}

// cell is one key's count in one period: seen is the database's total at
// the last reconcile (every replica's), pending what this process counted
// since and has not written yet.
type cell struct{ seen, pending Usage }

func (c *cell) total() Usage {
	u := c.seen
	u.add(c.pending)
	return u
}

// Option configures a Guard.
type Option func(*Guard)

// WithClock sets the Guard's clock. Default: time.Now.
func WithClock(now func() time.Time) Option { return func(g *Guard) { g.now = now } }

// WithReconcileInterval sets how often Run writes this process's counts
// and reads every replica's. Default: 1s. The overshoot of a limit across
// replicas grows with it (see the package documentation).
func WithReconcileInterval(d time.Duration) Option { return func(g *Guard) { g.interval = d } }

// WithLogger sets the logger for reconcile failures. Default (and for
// nil): discard.
// Keys never appear in its messages; key names and ids do.
func WithLogger(l *slog.Logger) Option {
	return func(g *Guard) {
		if l != nil {
			g.log = l
		}
	}
}

// WithPrices sets the price table spend is counted with. Default: the
// empty table (every call costs nothing).
func WithPrices(t PriceTable) Option { return func(g *Guard) { g.prices.Store(&t) } }

// maxUnknown bounds the cache of digests known not to be keys.
const maxUnknown = 10_000

// NewGuard returns a Guard over store, with every key loaded.
func NewGuard(ctx context.Context, store *Store, opts ...Option) (*Guard, error) {
	g := &Guard{store: store, now: time.Now, interval: time.Second,
		log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		lookups:  make(chan struct{}, 4),
		byDigest: map[[sha256.Size]byte]*keyState{}, byID: map[string]*keyState{}, unknown: map[[sha256.Size]byte]struct{}{}}
	g.prices.Store(&PriceTable{})
	for _, o := range opts {
		o(g)
	}
	if g.interval <= 0 {
		return nil, fmt.Errorf("reconcile interval must be positive, not %s", g.interval)
	}
	if err := g.Reconcile(ctx); err != nil {
		return nil, err
	}
	return g, nil
}

// SetPrices replaces the price table, as when the gateway's config is
// reloaded. Calls that end afterwards are priced by it.
func (g *Guard) SetPrices(t PriceTable) { g.prices.Store(&t) }

// Ticket is an admitted call. Call Done when it ends, with the tokens it
// used, so that token limits and budgets count them.
type Ticket struct {
	g        *Guard
	ks       *keyState
	endpoint string
	done     atomic.Bool
}

// KeyID and KeyName say which key the call was admitted by, for metrics
// and logs (they are not secret).
func (t *Ticket) KeyID() string   { return t.ks.key.ID }
func (t *Ticket) KeyName() string { return t.ks.key.Name }

// Done counts the tokens the call used (input: prompt, output:
// completion) and their cost by the price table for its endpoint and
// model. Later calls of Done on the same Ticket do nothing; a call that
// failed before using tokens may call Done with zeros, or not at all.
func (t *Ticket) Done(model string, inputTokens, outputTokens int64) {
	if t == nil || !t.done.CompareAndSwap(false, true) {
		return
	}
	inputTokens, outputTokens = max(inputTokens, 0), max(outputTokens, 0)
	u := Usage{Tokens: inputTokens + outputTokens,
		Cost: t.g.prices.Load().Cost(t.endpoint, model, inputTokens, outputTokens)}
	if u == (Usage{}) {
		return
	}
	now := t.g.now()
	t.ks.mu.Lock()
	for _, p := range []Period{PerMinute, PerDay, PerMonth} {
		t.ks.cell(p, now).pending.add(u)
	}
	t.ks.mu.Unlock()
}

// Admit admits a call to endpoint by the gateway key the request carries
// (SecretFromRequest). A refusal is an *Error; any other error is the key
// database failing.
func (g *Guard) Admit(ctx context.Context, r *http.Request, endpoint string) (*Ticket, error) {
	return g.AdmitSecret(ctx, SecretFromRequest(r), endpoint)
}

// AdmitSecret admits a call to endpoint by the key secret.
func (g *Guard) AdmitSecret(ctx context.Context, secret, endpoint string) (*Ticket, error) {
	if secret == "" {
		return nil, unauthenticated("missing gateway key: send it as the header Authorization: Bearer bk-...")
	}
	digest, err := parseSecret(secret)
	if err != nil {
		return nil, unauthenticated("%v", err)
	}
	ks, err := g.lookup(ctx, digest)
	if err != nil {
		return nil, err
	}
	if ks == nil {
		return nil, unauthenticated("unknown gateway key")
	}
	now := g.now()
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if err := ks.check(now, endpoint); err != nil {
		return nil, err
	}
	for _, p := range []Period{PerMinute, PerDay, PerMonth} {
		ks.cell(p, now).pending.Requests++
	}
	return &Ticket{g: g, ks: ks, endpoint: endpoint}, nil
}

// check refuses a call the key may not make now. ks.mu is held.
func (ks *keyState) check(now time.Time, endpoint string) error {
	k := &ks.key
	switch {
	case k.Revoked():
		return named(unauthenticated("gateway key %q was revoked", k.Name), k.Name)
	case k.Expired(now):
		return named(unauthenticated("gateway key %q expired at %s", k.Name, k.ExpiresAt.UTC().Format(time.RFC3339)), k.Name)
	case !k.Allows(endpoint):
		return forbidden(k.Name, endpoint)
	}
	if k.RequestsPerMinute > 0 || k.TokensPerMinute > 0 {
		cur, prev := ks.usage(PerMinute, now), ks.usageAt(PerMinute, PerMinute.start(now)-60)
		if l := k.RequestsPerMinute; l > 0 && overLimit(slidingMinute(now, cur.Requests, prev.Requests), l) {
			return rateLimited(k.Name, "requests", l, minuteWait(now, cur.Requests, prev.Requests, 1, l))
		}
		if l := k.TokensPerMinute; l > 0 && overLimit(slidingMinute(now, cur.Tokens, prev.Tokens), l) {
			return rateLimited(k.Name, "tokens", l, minuteWait(now, cur.Tokens, prev.Tokens, 1, l))
		}
	}
	for _, b := range []struct {
		p          Period
		what, name string
		limit      int64
		used       func(Usage) int64
	}{
		{PerDay, "daily token", "day_tokens", k.DayTokens, func(u Usage) int64 { return u.Tokens }},
		{PerMonth, "monthly token", "month_tokens", k.MonthTokens, func(u Usage) int64 { return u.Tokens }},
		{PerDay, "daily spend", "day_spend", int64(k.DaySpend), func(u Usage) int64 { return int64(u.Cost) }},
		{PerMonth, "monthly spend", "month_spend", int64(k.MonthSpend), func(u Usage) int64 { return int64(u.Cost) }},
	} {
		if b.limit > 0 && b.used(ks.usage(b.p, now)) >= b.limit {
			return quotaExceeded(k.Name, b.what, b.name, b.p.end(now).Sub(now))
		}
	}
	return nil
}

// slot names one period of one key's counts.
type slot struct {
	period Period
	start  int64 // Unix seconds
}

// cell returns (making) the key's cell for the period holding now.
func (ks *keyState) cell(p Period, now time.Time) *cell {
	sl := slot{p, p.start(now)}
	c := ks.cells[sl]
	if c == nil {
		c = &cell{}
		ks.cells[sl] = c
	}
	return c
}

// apply takes a reconcile's outcome: written is what was written of
// pending, read the database's totals; periods that ended before from
// are dropped once nothing of theirs is pending. ks.mu is held.
func (ks *keyState) apply(written, read map[slot]Usage, from map[Period]int64) {
	for sl, c := range ks.cells {
		c.pending.sub(written[sl])
		c.seen = read[sl]
		if sl.start < from[sl.period] && c.pending == (Usage{}) {
			delete(ks.cells, sl)
		}
	}
	for sl, u := range read {
		if ks.cells[sl] == nil {
			ks.cells[sl] = &cell{seen: u}
		}
	}
}

// bySlot groups counts by key.
func bySlot(m map[cellID]Usage) map[string]map[slot]Usage {
	out := map[string]map[slot]Usage{}
	for id, u := range m {
		if out[id.key] == nil {
			out[id.key] = map[slot]Usage{}
		}
		out[id.key][slot{id.period, id.start}] = u
	}
	return out
}

func (ks *keyState) usage(p Period, now time.Time) Usage { return ks.usageAt(p, p.start(now)) }

func (ks *keyState) usageAt(p Period, start int64) Usage {
	if c := ks.cells[slot{p, start}]; c != nil {
		return c.total()
	}
	return Usage{}
}

// lookup finds the key with digest: in memory, else (a key created since
// the last reconcile) in the database, at most a few look-ups at a time.
func (g *Guard) lookup(ctx context.Context, digest [sha256.Size]byte) (*keyState, error) {
	g.mu.RLock()
	ks := g.byDigest[digest]
	_, unknown := g.unknown[digest]
	g.mu.RUnlock()
	if ks != nil || unknown {
		return ks, nil
	}
	select {
	case g.lookups <- struct{}{}:
		defer func() { <-g.lookups }()
	case <-ctx.Done():
		return nil, fmt.Errorf("looking up gateway key: %w", ctx.Err())
	}
	k, ok, err := g.store.keyByDigest(ctx, hex.EncodeToString(digest[:]))
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if !ok {
		if len(g.unknown) >= maxUnknown {
			clear(g.unknown)
		}
		g.unknown[digest] = struct{}{}
		return nil, nil
	}
	return g.addLocked(digest, k), nil
}

// addLocked returns the state of key k, making it. g.mu is held.
func (g *Guard) addLocked(digest [sha256.Size]byte, k Key) *keyState {
	if ks := g.byDigest[digest]; ks != nil {
		return ks
	}
	ks := &keyState{key: k, cells: map[slot]*cell{}}
	g.byDigest[digest] = ks
	g.byID[k.ID] = ks
	return ks
}

// Run reconciles every interval until ctx ends, then once more so that
// what this process counted is written. Failures are logged and retried
// at the next tick; counts are kept until written.
func (g *Guard) Run(ctx context.Context) {
	t := time.NewTicker(g.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if err := g.Reconcile(fctx); err != nil {
				g.log.Warn("gateway keys: writing the last usage counts", "err", err)
			}
			cancel()
			return
		case <-t.C:
			if err := g.Reconcile(ctx); err != nil && ctx.Err() == nil {
				g.log.Warn("gateway keys: reconciling usage", "err", err)
			}
		}
	}
}

// Reconcile writes what this process counted since the last reconcile,
// reads every replica's totals, and reloads the keys (so a key revoked
// or created elsewhere is seen).
func (g *Guard) Reconcile(ctx context.Context) error {
	now := g.now()
	g.mu.RLock()
	states := make([]*keyState, 0, len(g.byID))
	for _, ks := range g.byID {
		states = append(states, ks)
	}
	g.mu.RUnlock()

	deltas := map[cellID]Usage{}
	for _, ks := range states {
		ks.mu.Lock()
		for sl, c := range ks.cells {
			if c.pending != (Usage{}) {
				deltas[cellID{key: ks.key.ID, period: sl.period, start: sl.start}] = c.pending
			}
		}
		ks.mu.Unlock()
	}
	from := map[Period]int64{PerMinute: PerMinute.start(now) - 60, PerDay: PerDay.start(now), PerMonth: PerMonth.start(now)}
	totals, err := g.store.exchange(ctx, deltas, from)
	if err != nil {
		return err
	}
	written := bySlot(deltas)
	read := bySlot(totals)
	// The deltas are written, so they are in the totals: each key drops
	// them from pending and takes the totals in one step, so that its
	// count never misses them in between.
	for _, ks := range states {
		ks.mu.Lock()
		ks.apply(written[ks.key.ID], read[ks.key.ID], from)
		ks.mu.Unlock()
	}
	keys, err := g.store.keysByDigest(ctx)
	if err != nil {
		return err
	}

	g.mu.Lock()
	for hexDigest, k := range keys {
		var digest [sha256.Size]byte
		if n, err := hex.Decode(digest[:], []byte(hexDigest)); err != nil || n != len(digest) {
			continue // not written by Create
		}
		if ks := g.byDigest[digest]; ks != nil {
			ks.mu.Lock()
			ks.key = k
			ks.mu.Unlock()
		} else {
			g.addLocked(digest, k)
		}
	}
	clear(g.unknown)
	snapshot := make(map[*keyState]bool, len(states))
	for _, ks := range states {
		snapshot[ks] = true
	}
	var added []*keyState // since the snapshot: new here, or found by lookup meanwhile
	for _, ks := range g.byID {
		if !snapshot[ks] {
			added = append(added, ks)
		}
	}
	g.mu.Unlock()
	for _, ks := range added {
		ks.mu.Lock()
		ks.apply(nil, read[ks.key.ID], from)
		ks.mu.Unlock()
	}
	return nil
}
