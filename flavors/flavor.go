package flavors

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"
)

// Predictor runs a loaded model. Implementations are safe for concurrent
// use by several goroutines.
type Predictor interface {
	// Inputs and Outputs describe the model's tensors as its runtime
	// reports them, in the model's order.
	Inputs() []TensorInfo
	Outputs() []TensorInfo
	// Predict runs the model on inputs (one per entry of Inputs, matched by
	// name) and returns the named outputs, or all outputs in the model's
	// order when outputs is empty. It returns promptly with ctx's error once
	// ctx is done: servers rely on that for their per-request timeouts.
	Predict(ctx context.Context, inputs []*Tensor, outputs []string) ([]*Tensor, error)
	// Close releases the runtime's resources.
	Close() error
}

// DeadlinePredictor is a Predictor that also takes a deadline apart from
// its ctx, sparing a server that times out every request a derived
// context per request (a timer and half a dozen allocations, most of a
// small model's serving cost beyond the run). PredictBefore is Predict
// whose run stops at deadline (none when zero) as it stops when ctx is
// done, returning an error that wraps [context.DeadlineExceeded].
type DeadlinePredictor interface {
	PredictBefore(ctx context.Context, deadline time.Time, inputs []*Tensor, outputs []string) ([]*Tensor, error)
}

// Flavor turns a model directory of one MLflow flavor into a Predictor.
type Flavor interface {
	// Name is the key under MLmodel's flavors, such as "onnx".
	Name() string
	// Load builds a predictor for m, whose flavor configuration is
	// m.MLmodel.Flavors[Name()].
	Load(ctx context.Context, m *Model, opts LoadOptions) (Predictor, error)
}

// LoadOptions carry what every flavor's Load may use.
type LoadOptions struct {
	// Logger receives load-time notes (provider fallbacks and the like).
	// Nil discards them.
	Logger *slog.Logger
	// IntraOpThreads and InterOpThreads override the model's own thread
	// settings (ONNX Runtime's intra_op_num_threads and
	// inter_op_num_threads) for flavors that have them; 0 keeps the
	// model's setting or the flavor's default.
	IntraOpThreads, InterOpThreads int
}

// Log returns o.Logger or a logger that discards.
func (o LoadOptions) Log() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}

var (
	mu       sync.RWMutex
	registry = map[string]Flavor{}
)

// Register makes a flavor available to Load. It panics when a flavor of the
// same name is already registered, as a programming error.
func Register(f Flavor) {
	mu.Lock()
	defer mu.Unlock()
	name := f.Name()
	if name == "" {
		panic("flavors: Register with an empty flavor name")
	}
	if _, dup := registry[name]; dup {
		panic(fmt.Sprintf("flavors: flavor %q registered twice", name))
	}
	registry[name] = f
}

// Lookup returns the registered flavor called name.
func Lookup(name string) (Flavor, bool) {
	mu.RLock()
	defer mu.RUnlock()
	f, ok := registry[name]
	return f, ok
}

// Registered lists the names of the registered flavors, sorted.
func Registered() []string {
	mu.RLock()
	defer mu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
