package onnx

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// LibraryVersion is the ONNX Runtime release berth is built and tested
// against; scripts/fetch-ort.sh installs it.
const LibraryVersion = "1.30.0"

// ErrLibraryUnavailable is wrapped by the errors of [Init] when the ONNX
// Runtime shared library is missing or cannot be loaded.
var ErrLibraryUnavailable = errors.New("ONNX Runtime library unavailable: " +
	"run `make ort` or set --ort-lib / BERTH_ORT_LIB to a libonnxruntime.so")

// ErrNotInitialized is returned by [Load] before [Init] has succeeded.
var ErrNotInitialized = errors.New("ONNX Runtime is not initialized: call onnx.Init with the library path first")

var (
	initMu   sync.Mutex
	initPath string // the library loaded, once Init has succeeded
)

// DefaultLibraryPath returns where scripts/fetch-ort.sh installs the ONNX
// Runtime library: <user cache dir>/berth/onnxruntime-<LibraryVersion>/libonnxruntime.so.1.
func DefaultLibraryPath() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding the default ONNX Runtime library: %w", err)
	}
	return filepath.Join(dir, "berth", "onnxruntime-"+LibraryVersion, "libonnxruntime.so.1"), nil
}

// Init loads the ONNX Runtime shared library at path and creates the
// process's runtime environment. It may be called again with the same path
// (it then does nothing); a different path after a successful Init is an
// error, as a process holds one runtime. A missing or unloadable library
// gives an error that wraps [ErrLibraryUnavailable].
func Init(path string) error {
	if path == "" {
		return fmt.Errorf("loading ONNX Runtime: no library path given: %w", ErrLibraryUnavailable)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("loading ONNX Runtime from %s: %w", path, err)
	}
	initMu.Lock()
	defer initMu.Unlock()
	if initPath != "" {
		if initPath == abs {
			return nil
		}
		return fmt.Errorf("loading ONNX Runtime from %s: already initialized from %s", abs, initPath)
	}
	if _, err := os.Stat(abs); err != nil {
		return fmt.Errorf("loading ONNX Runtime: %w: %w", err, ErrLibraryUnavailable)
	}
	disableTelemetry()
	ort.SetSharedLibraryPath(abs)
	// The runtime's own log goes to stderr, outside berth's logger; every
	// failure berth acts on also comes back as an error, so keep it quiet.
	if err := ort.InitializeEnvironment(ort.WithLogLevelFatal()); err != nil {
		return fmt.Errorf("loading ONNX Runtime from %s: %w: %w", abs, err, ErrLibraryUnavailable)
	}
	if os.Getenv(telemetryEnv) == "1" {
		// The variable already kept the library from recording; this
		// turns off the environment's events too. It cannot fail on an
		// initialized environment, and a failure would change nothing a
		// request sees, so it does not fail Init.
		_ = ort.DisableTelemetry()
	}
	initPath = abs
	return nil
}

// telemetryEnv is the variable ONNX Runtime reads to turn its telemetry off.
const telemetryEnv = "ORT_DISABLE_TELEMETRY"

// disableTelemetry turns ONNX Runtime's telemetry off before the library
// loads, unless ORT_DISABLE_TELEMETRY is set already (to anything: the
// operator's choice stands). The Linux library of 1.30 otherwise writes a
// device id and an event database under
// ~/.cache/Microsoft/DeveloperTools/.onnxruntime and leaves an empty
// /tmp/mat-debug-PID.log behind every process that loads it: a model server
// writes only where it is told to, and a replica started a thousand times
// must not leave a thousand files in /tmp. The variable is set in the
// process's environment (with cgo, Go's os.Setenv reaches the C
// environment the library reads), so child processes inherit it too.
func disableTelemetry() {
	if _, set := os.LookupEnv(telemetryEnv); !set {
		_ = os.Setenv(telemetryEnv, "1")
	}
}

// Initialized reports whether [Init] has succeeded.
func Initialized() bool {
	initMu.Lock()
	defer initMu.Unlock()
	return initPath != ""
}

// LibraryPath returns the library [Init] loaded, or "" before Init.
func LibraryPath() string {
	initMu.Lock()
	defer initMu.Unlock()
	return initPath
}

// RuntimeVersion returns the version the loaded ONNX Runtime reports, such
// as "1.30.0", or "" before [Init].
func RuntimeVersion() string {
	if !Initialized() {
		return ""
	}
	return ort.GetVersion()
}
