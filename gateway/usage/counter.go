// Package usage writes what the LLM gateway served back to tracking, the
// way berth serve writes serving reports (serve/servingreport): a
// [Counter] is told of every query (it is the gateway's
// UsageObserver), a [Reporter] turns its counts into one [Report] per
// endpoint per interval, and a [Writer] logs each report, off the request
// path and through a bounded queue, as metrics with steps of a monitoring
// run per endpoint and gateway process, over MLflow's REST API or straight
// into the tracking store of the server the gateway is mounted in.
//
// The figures of an interval: requests, client and server errors,
// input and output tokens, cost by the config's price table, latency
// p50/p95, for the endpoint and for each gateway key that called it.
package usage

import (
	"math"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/berthml/berth/gateway"
	"github.com/berthml/berth/gateway/keys"
	"github.com/berthml/berth/internal/servingusage"
)

// Buckets are the latency histogram's upper bounds in seconds: 10 ms to
// about 5.5 minutes, doubling, for LLM calls (a p95 past the last bound
// reads as the last bound).
var Buckets = func() []float64 {
	b := make([]float64, 16)
	for i := range b {
		b[i] = 0.01 * math.Pow(2, float64(i))
	}
	return b
}()

// DefaultMaxKeys is how many gateway keys a Counter counts apart before it
// counts the rest under [OtherKey].
const DefaultMaxKeys = 100

// OtherKey counts the keys past a Counter's cap (as the per-key metrics do).
const OtherKey = gateway.OtherKey

// Counter counts what the gateway's queries used, per endpoint and per
// endpoint and gateway key. It is the gateway's UsageObserver
// (gateway.WithUsageObserver): Observe takes no lock on the path of a
// known endpoint and key. Safe for concurrent use.
type Counter struct {
	cells  sync.Map // cellKey -> *cell
	prices atomic.Pointer[keys.PriceTable]
	keys   *gateway.KeyLabels
}

// NewCounter returns a counter that prices tokens by prices and counts at
// most maxKeys keys apart (DefaultMaxKeys when maxKeys ≤ 0).
func NewCounter(prices keys.PriceTable, maxKeys int) *Counter {
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	c := &Counter{keys: gateway.NewKeyLabels(maxKeys)}
	c.prices.Store(&prices)
	return c
}

// SetPrices replaces the price table, as when the gateway's config is
// reloaded; queries that end afterwards are priced by it.
func (c *Counter) SetPrices(t keys.PriceTable) { c.prices.Store(&t) }

// cellKey names a cell: an endpoint's total (key "") or one key's share.
type cellKey struct{ endpoint, key string }

// cell is what one endpoint, or one key on it, used since the start.
type cell struct {
	requests, clientErrors, serverErrors atomic.Int64
	input, output, cost                  atomic.Int64 // tokens; cost in nano-dollars
	buckets                              []atomic.Int64
	sumBits                              atomic.Uint64 // float64 seconds
}

func newCell() *cell { return &cell{buckets: make([]atomic.Int64, len(Buckets)+1)} }

// Observe counts one ended query.
func (c *Counter) Observe(u gateway.Usage) {
	if u.Endpoint == "" {
		return
	}
	cost := int64(0)
	if u.InputTokens > 0 || u.OutputTokens > 0 {
		cost = int64(c.prices.Load().Cost(u.Endpoint, u.Model, int64(u.InputTokens), int64(u.OutputTokens)))
	}
	c.cell(cellKey{u.Endpoint, ""}).observe(u, cost)
	if u.Key != "" {
		c.cell(cellKey{u.Endpoint, c.keys.Label(u.Key)}).observe(u, cost)
	}
}

func (c *Counter) cell(k cellKey) *cell {
	if v, ok := c.cells.Load(k); ok {
		return v.(*cell)
	}
	v, _ := c.cells.LoadOrStore(k, newCell())
	return v.(*cell)
}

func (cl *cell) observe(u gateway.Usage, cost int64) {
	cl.requests.Add(1)
	switch u.Status / 100 {
	case 4:
		cl.clientErrors.Add(1)
	case 5:
		cl.serverErrors.Add(1)
	}
	cl.input.Add(int64(max(u.InputTokens, 0)))
	cl.output.Add(int64(max(u.OutputTokens, 0)))
	cl.cost.Add(cost)
	s := u.Duration.Seconds()
	cl.buckets[sort.SearchFloat64s(Buckets, s)].Add(1)
	for {
		old := cl.sumBits.Load()
		if cl.sumBits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+s)) {
			return
		}
	}
}

// Totals is what an endpoint, or one key on it, used since the start.
type Totals struct {
	Endpoint, Key string // Key "" for the endpoint's total
	// Serving holds the requests, errors and latency histogram, so that
	// servingusage's Since and Quantile apply.
	Serving                   servingusage.Usage
	InputTokens, OutputTokens int64
	Cost                      keys.Spend
}

// Since returns what t used after prev (which may be the zero Totals).
func (t Totals) Since(prev Totals) Totals {
	return Totals{Endpoint: t.Endpoint, Key: t.Key, Serving: t.Serving.Since(prev.Serving),
		InputTokens: t.InputTokens - prev.InputTokens, OutputTokens: t.OutputTokens - prev.OutputTokens,
		Cost: t.Cost - prev.Cost}
}

// Totals returns the counts of every endpoint and key seen, sorted by
// endpoint, the endpoint's total before its keys.
func (c *Counter) Totals() []Totals {
	var out []Totals
	c.cells.Range(func(k, v any) bool {
		ck, cl := k.(cellKey), v.(*cell)
		u := servingusage.Usage{Model: ck.endpoint, Requests: cl.requests.Load(), ClientErrors: cl.clientErrors.Load(),
			ServerErrors: cl.serverErrors.Load(), Bounds: append([]float64(nil), Buckets...), Counts: make([]int64, len(Buckets)),
			Sum: math.Float64frombits(cl.sumBits.Load())}
		for i := range cl.buckets {
			u.Count += cl.buckets[i].Load()
			if i < len(u.Counts) {
				u.Counts[i] = u.Count
			}
		}
		out = append(out, Totals{Endpoint: ck.endpoint, Key: ck.key, Serving: u,
			InputTokens: cl.input.Load(), OutputTokens: cl.output.Load(), Cost: keys.Spend(cl.cost.Load())})
		return true
	})
	sort.Slice(out, func(i, j int) bool {
		if out[i].Endpoint != out[j].Endpoint {
			return out[i].Endpoint < out[j].Endpoint
		}
		return out[i].Key < out[j].Key
	})
	return out
}
