package serve

import (
	"sort"
	"sync"

	"github.com/berthml/berth/internal/servingusage"
)

// Usage is what one model version has served since the server started
// (cumulative).
type Usage = servingusage.Usage

// usageKey is a served model version.
type usageKey struct{ model, version string }

// usageCounters are the usage counters of every model version served, by
// model and version.
type usageCounters struct {
	mu sync.Mutex
	m  map[usageKey]*servingusage.Counter
}

// get returns the counter of model and version, making it on first use.
func (c *usageCounters) get(model, version string) *servingusage.Counter {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := usageKey{model, version}
	u, ok := c.m[k]
	if !ok {
		if c.m == nil {
			c.m = map[usageKey]*servingusage.Counter{}
		}
		u = servingusage.NewCounter()
		c.m[k] = u
	}
	return u
}

// Usage returns what each model version the server has served (or been
// given) has answered, sorted by model and version. It reads plain
// counters kept beside the request metrics, so it costs nothing on the
// request path; requests that named no served model are left out.
func (s *Server) Usage() []Usage {
	c := &s.metrics.usage
	c.mu.Lock()
	out := make([]Usage, 0, len(c.m))
	for k, u := range c.m {
		out = append(out, u.Usage(k.model, k.version))
	}
	c.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Model != out[j].Model {
			return out[i].Model < out[j].Model
		}
		return out[i].Version < out[j].Version
	})
	return out
}

// Serving returns the version each served model name answers with now.
func (s *Server) Serving() map[string]string {
	out := map[string]string{}
	for _, m := range s.Models() {
		out[m.Name] = m.Version
	}
	return out
}
