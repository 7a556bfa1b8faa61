package onnx

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"

	ort "github.com/yalue/onnxruntime_go"
)

// newSessionOptions turns sc into ONNX Runtime session options. Providers
// this runtime build lacks are logged and skipped: the CPU provider always
// remains. The caller destroys the result.
func newSessionOptions(sc SessionConfig, log *slog.Logger) (*ort.SessionOptions, error) {
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("creating session options: %w", err)
	}
	if err := applySessionConfig(so, sc, log); err != nil {
		so.Destroy()
		return nil, err
	}
	return so, nil
}

func applySessionConfig(so *ort.SessionOptions, sc SessionConfig, log *slog.Logger) error {
	if sc.IntraOpThreads > 0 {
		if err := so.SetIntraOpNumThreads(sc.IntraOpThreads); err != nil {
			return fmt.Errorf("setting intra-op threads to %d: %w", sc.IntraOpThreads, err)
		}
	}
	if sc.InterOpThreads > 0 {
		if err := so.SetInterOpNumThreads(sc.InterOpThreads); err != nil {
			return fmt.Errorf("setting inter-op threads to %d: %w", sc.InterOpThreads, err)
		}
	}
	switch sc.ExecutionMode {
	case ExecutionModeDefault:
	case ExecutionModeSequential, ExecutionModeParallel:
		mode := ort.ExecutionMode(ort.ExecutionModeSequential)
		if sc.ExecutionMode == ExecutionModeParallel {
			mode = ort.ExecutionModeParallel
		}
		if err := so.SetExecutionMode(mode); err != nil {
			return fmt.Errorf("setting execution mode: %w", err)
		}
	default:
		return fmt.Errorf("unknown execution mode %d", sc.ExecutionMode)
	}
	if sc.OptimizationLevel != OptimizationDefault {
		level, ok := map[OptimizationLevel]ort.GraphOptimizationLevel{
			OptimizationDisableAll: ort.GraphOptimizationLevelDisableAll,
			OptimizationBasic:      ort.GraphOptimizationLevelEnableBasic,
			OptimizationExtended:   ort.GraphOptimizationLevelEnableExtended,
			OptimizationAll:        ort.GraphOptimizationLevelEnableAll,
		}[sc.OptimizationLevel]
		if !ok {
			return fmt.Errorf("unknown graph optimization level %d", sc.OptimizationLevel)
		}
		if err := so.SetGraphOptimizationLevel(level); err != nil {
			return fmt.Errorf("setting graph optimization level: %w", err)
		}
	}
	if sc.CPUMemArena != nil {
		if err := so.SetCpuMemArena(*sc.CPUMemArena); err != nil {
			return fmt.Errorf("setting the CPU memory arena: %w", err)
		}
	}
	if sc.MemPattern != nil {
		if err := so.SetMemPattern(*sc.MemPattern); err != nil {
			return fmt.Errorf("setting memory patterns: %w", err)
		}
	}
	for k, v := range sc.ConfigEntries {
		if err := so.AddSessionConfigEntry(k, v); err != nil {
			return fmt.Errorf("adding session config entry %q=%q: %w", k, v, err)
		}
	}
	for _, p := range sc.Providers {
		if p == ProviderCPU {
			continue
		}
		if err := appendProvider(so, p); err != nil {
			// MLflow lists CUDA before CPU by default: when the MLmodel
			// names CPU as its fallback, running there is expected and
			// worth a line only at debug level (it came on every load).
			level := slog.LevelWarn
			if slices.Contains(sc.Providers, ProviderCPU) {
				level = slog.LevelDebug
			}
			log.Log(context.Background(), level, "provider "+p+" not available in this ONNX Runtime build, falling back to CPU",
				"provider", p, "error", err)
		}
	}
	return nil
}

// appendProvider asks the runtime for provider p. Builds without it (such
// as the CPU library berth fetches) answer with an error.
func appendProvider(so *ort.SessionOptions, p string) error {
	switch p {
	case ProviderCUDA:
		opts, err := ort.NewCUDAProviderOptions()
		if err != nil {
			return err
		}
		defer opts.Destroy()
		return so.AppendExecutionProviderCUDA(opts)
	case ProviderTensorRT:
		opts, err := ort.NewTensorRTProviderOptions()
		if err != nil {
			return err
		}
		defer opts.Destroy()
		return so.AppendExecutionProviderTensorRT(opts)
	case ProviderOpenVINO:
		return so.AppendExecutionProviderOpenVINO(nil)
	}
	return fmt.Errorf("berth does not know execution provider %s", strconv.Quote(p))
}
