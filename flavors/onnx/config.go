package onnx

import (
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
)

// ExecutionMode is ONNX Runtime's execution mode: whether independent
// nodes of the graph run one after another or in parallel.
type ExecutionMode int

// The execution modes. The zero value keeps the runtime's default.
const (
	ExecutionModeDefault    ExecutionMode = iota // ONNX Runtime's default (sequential)
	ExecutionModeSequential                      // ORT_SEQUENTIAL
	ExecutionModeParallel                        // ORT_PARALLEL
)

// OptimizationLevel is ONNX Runtime's graph optimization level.
type OptimizationLevel int

// The graph optimization levels. The zero value keeps the runtime's
// default; the comments give the numbers MLflow's graph_optimization_level
// uses.
const (
	OptimizationDefault    OptimizationLevel = iota // ONNX Runtime's default (all)
	OptimizationDisableAll                          // 0, ORT_DISABLE_ALL
	OptimizationBasic                               // 1, ORT_ENABLE_BASIC
	OptimizationExtended                            // 2, ORT_ENABLE_EXTENDED
	OptimizationAll                                 // 99, ORT_ENABLE_ALL
)

// Execution provider names, as MLflow's providers list spells them.
const (
	ProviderCPU      = "CPUExecutionProvider"
	ProviderCUDA     = "CUDAExecutionProvider"
	ProviderTensorRT = "TensorrtExecutionProvider"
	ProviderOpenVINO = "OpenVINOExecutionProvider"
)

// SessionConfig is how an ONNX Runtime session is set up. [Load] reads it
// from the MLmodel file (onnx_session_options and providers) and then
// applies its [Option] values on top. Zero fields keep the runtime's
// defaults.
type SessionConfig struct {
	IntraOpThreads    int               // threads within an operator; 0: one per core
	InterOpThreads    int               // threads across operators (parallel mode); 0: runtime default
	ExecutionMode     ExecutionMode     // sequential or parallel
	OptimizationLevel OptimizationLevel // graph optimizations applied at load
	// CPUMemArena and MemPattern, when not nil, turn the CPU memory arena
	// and memory-pattern planning on or off.
	CPUMemArena *bool
	MemPattern  *bool
	// ConfigEntries are session configuration entries (MLflow's
	// extra_session_config), such as "session.intra_op.allow_spinning": "0".
	ConfigEntries map[string]string
	// Providers lists execution providers in order of preference. The CPU
	// provider is always available last; a provider this runtime build
	// lacks is skipped with a warning.
	Providers []string
}

// Serving defaults, for settings the MLmodel file leaves unset. A scoring
// server runs many small inferences at once: parallelism across requests
// beats parallelism inside one, and threads that spin while waiting for work
// take CPU from the requests being decoded and answered. Measured on the iris
// fixture (2 cores, BenchmarkPredict): ~20µs per run with ONNX Runtime's
// defaults, ~15µs with one intra-op thread. A model that gains from
// intra-op threads (a large CNN served at low concurrency) sets
// intra_op_num_threads in its onnx_session_options.
const (
	DefaultIntraOpThreads = 1
	configAllowSpinning   = "session.intra_op.allow_spinning"
)

// servingDefaults fills in berth's serving defaults where sc leaves a
// setting to the runtime.
func servingDefaults(sc SessionConfig) SessionConfig {
	if sc.IntraOpThreads == 0 {
		sc.IntraOpThreads = DefaultIntraOpThreads
	}
	if _, set := sc.ConfigEntries[configAllowSpinning]; !set {
		entries := make(map[string]string, len(sc.ConfigEntries)+1)
		for k, v := range sc.ConfigEntries {
			entries[k] = v
		}
		entries[configAllowSpinning] = "0"
		sc.ConfigEntries = entries
	}
	return sc
}

// Option changes a [SessionConfig] after it has been read from MLmodel.
type Option func(*SessionConfig)

// WithIntraOpThreads sets the threads used within one operator. Default:
// MLmodel's intra_op_num_threads, else one per core.
func WithIntraOpThreads(n int) Option {
	return func(c *SessionConfig) { c.IntraOpThreads = n }
}

// WithInterOpThreads sets the threads used across operators in parallel
// execution mode. Default: MLmodel's inter_op_num_threads, else the runtime's.
func WithInterOpThreads(n int) Option {
	return func(c *SessionConfig) { c.InterOpThreads = n }
}

// WithExecutionMode sets the execution mode. Default: MLmodel's
// execution_mode, else sequential.
func WithExecutionMode(m ExecutionMode) Option {
	return func(c *SessionConfig) { c.ExecutionMode = m }
}

// WithOptimizationLevel sets the graph optimization level. Default:
// MLmodel's graph_optimization_level, else all optimizations.
func WithOptimizationLevel(l OptimizationLevel) Option {
	return func(c *SessionConfig) { c.OptimizationLevel = l }
}

// WithProviders replaces the execution providers. Default: MLmodel's
// providers, else the CPU provider only.
func WithProviders(names ...string) Option {
	return func(c *SessionConfig) { c.Providers = slices.Clone(names) }
}

// WithSessionConfig replaces the whole configuration read from MLmodel.
func WithSessionConfig(sc SessionConfig) Option {
	return func(c *SessionConfig) { *c = sc }
}

// ParseSessionConfig reads the configuration of an MLmodel "onnx" flavor:
// its onnx_session_options (which may be absent or null) and providers.
// Bad values are errors; keys it does not know are logged to log as
// warnings and ignored.
func ParseSessionConfig(flavor map[string]any, log *slog.Logger) (SessionConfig, error) {
	var sc SessionConfig
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if raw, ok := flavor["providers"]; ok && raw != nil {
		names, err := stringList(raw)
		if err != nil {
			return sc, fmt.Errorf("reading onnx flavor providers: %w", err)
		}
		sc.Providers = names
	}
	raw := flavor["onnx_session_options"]
	if raw == nil {
		return sc, nil
	}
	opts, ok := raw.(map[string]any)
	if !ok {
		return sc, fmt.Errorf("reading onnx_session_options: want a mapping, got %T", raw)
	}
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := sc.set(k, opts[k], log); err != nil {
			return sc, fmt.Errorf("reading onnx_session_options.%s: %w", k, err)
		}
	}
	return sc, nil
}

// set applies one key of MLflow's onnx_session_options.
func (sc *SessionConfig) set(key string, v any, log *slog.Logger) error {
	if v == nil {
		return nil
	}
	var err error
	switch key {
	case "intra_op_num_threads":
		sc.IntraOpThreads, err = threads(v)
	case "inter_op_num_threads":
		sc.InterOpThreads, err = threads(v)
	case "execution_mode":
		sc.ExecutionMode, err = parseExecutionMode(v)
	case "graph_optimization_level":
		sc.OptimizationLevel, err = parseOptimizationLevel(v)
	case "enable_cpu_mem_arena":
		sc.CPUMemArena, err = boolPtr(v)
	case "enable_mem_pattern":
		sc.MemPattern, err = boolPtr(v)
	case "extra_session_config":
		sc.ConfigEntries, err = stringMap(v)
	default:
		log.Warn("ignoring unsupported onnx_session_options key", "key", key)
	}
	return err
}

func threads(v any) (int, error) {
	n, err := integer(v)
	if err != nil {
		return 0, err
	}
	if n < 0 || n > 1<<16 {
		return 0, fmt.Errorf("thread count %d out of range (0 for the default, or a positive number)", n)
	}
	return int(n), nil
}

func parseExecutionMode(v any) (ExecutionMode, error) {
	s, ok := v.(string)
	if !ok {
		return 0, fmt.Errorf(`want "sequential" or "parallel", got %v`, v)
	}
	switch strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "ORT_") {
	case "SEQUENTIAL":
		return ExecutionModeSequential, nil
	case "PARALLEL":
		return ExecutionModeParallel, nil
	}
	return 0, fmt.Errorf(`want "sequential" or "parallel", got %q`, s)
}

func parseOptimizationLevel(v any) (OptimizationLevel, error) {
	const want = "want 0, 1, 2, 99 or ORT_DISABLE_ALL, ORT_ENABLE_BASIC, ORT_ENABLE_EXTENDED, ORT_ENABLE_ALL"
	if s, ok := v.(string); ok {
		switch strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "ORT_") {
		case "DISABLE_ALL":
			return OptimizationDisableAll, nil
		case "ENABLE_BASIC":
			return OptimizationBasic, nil
		case "ENABLE_EXTENDED":
			return OptimizationExtended, nil
		case "ENABLE_ALL":
			return OptimizationAll, nil
		}
	}
	n, err := integer(v)
	if err != nil {
		return 0, fmt.Errorf("%s, got %v", want, v)
	}
	switch n {
	case 0:
		return OptimizationDisableAll, nil
	case 1:
		return OptimizationBasic, nil
	case 2:
		return OptimizationExtended, nil
	case 99:
		return OptimizationAll, nil
	}
	return 0, fmt.Errorf("%s, got %d", want, n)
}

// integer accepts the number types a YAML or JSON decoder produces, and
// decimal text.
func integer(v any) (int64, error) {
	switch n := v.(type) {
	case int:
		return int64(n), nil
	case int64:
		return n, nil
	case int32:
		return int64(n), nil
	case uint64:
		if n > math.MaxInt64 {
			return 0, fmt.Errorf("%d out of range", n)
		}
		return int64(n), nil
	case uint32:
		return int64(n), nil
	case float64:
		if n != math.Trunc(n) || math.Abs(n) > 1<<53 {
			return 0, fmt.Errorf("want a whole number, got %v", n)
		}
		return int64(n), nil
	case string:
		i, err := strconv.ParseInt(strings.TrimSpace(n), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("want a whole number, got %q", n)
		}
		return i, nil
	case bool:
		return 0, fmt.Errorf("want a whole number, got %v", n)
	}
	return 0, fmt.Errorf("want a whole number, got %T", v)
}

func boolPtr(v any) (*bool, error) {
	b, ok := v.(bool)
	if !ok {
		return nil, fmt.Errorf("want true or false, got %v", v)
	}
	return &b, nil
}

func stringMap(v any) (map[string]string, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("want a mapping of strings, got %T", v)
	}
	out := make(map[string]string, len(m))
	for k, x := range m {
		switch x := x.(type) {
		case string:
			out[k] = x
		case bool:
			out[k] = strconv.FormatBool(x)
		default:
			n, err := integer(x)
			if err != nil {
				return nil, fmt.Errorf("entry %q: want text or a number, got %v", k, x)
			}
			out[k] = strconv.FormatInt(n, 10)
		}
	}
	return out, nil
}

func stringList(v any) ([]string, error) {
	switch l := v.(type) {
	case []string:
		return slices.Clone(l), nil
	case []any:
		out := make([]string, len(l))
		for i, x := range l {
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("entry %d: want a provider name, got %v", i, x)
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, fmt.Errorf("want a list of provider names, got %T", v)
}
