package browsertest

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Browser is a headless Chromium that one test owns. It closes when the
// test ends.
type Browser struct {
	tb       testing.TB
	opts     options
	ctx      context.Context // the browser's root chromedp context
	deadline time.Time       // when every action of the test gives up
	dataDir  string
	shots    string // the screenshots' directory, once made
}

type options struct {
	execPath      string
	width, height int
	mobile        bool
	timeout       time.Duration
}

// Option configures [New].
type Option func(*options)

// WithExecPath names the Chromium binary, a path or a name looked up in
// PATH. Default: chromium, else chromium-browser. A binary that cannot be
// found is treated as Chromium missing: the test skips, or fails under
// BERTH_REQUIRE_TOOLS=1.
func WithExecPath(path string) Option {
	return func(o *options) { o.execPath = path }
}

// WithWindowSize sets the size of each page's viewport (window.innerWidth
// and innerHeight), in CSS pixels. Default: 1280×900.
func WithWindowSize(width, height int) Option {
	return func(o *options) { o.width, o.height, o.mobile = width, height, false }
}

// WithMobileViewport emulates a phone: a 390×844 viewport, a mobile device
// (the page's <meta name="viewport"> applies, as on a phone) and touch
// events, at a device scale factor of 1 so that screenshots stay in CSS
// pixels. Default: off, a 1280×900 desktop window.
func WithMobileViewport() Option {
	return func(o *options) { o.width, o.height, o.mobile = 390, 844, true }
}

// WithTimeout bounds the time that all of the test's browser actions may
// take together, from [New] on; the test's own deadline (go test -timeout)
// bounds it too. Default: 60 s.
func WithTimeout(d time.Duration) Option {
	return func(o *options) { o.timeout = d }
}

// flags are the Chromium flags that work here (Debian's
// chromium, headless, no sandbox, nothing fetched in the background); --user-data-dir is added per browser.
var flags = []chromedp.ExecAllocatorOption{
	chromedp.Headless,
	chromedp.NoSandbox,
	chromedp.DisableGPU,
	chromedp.NoFirstRun,
	chromedp.Flag("disable-background-networking", true),
	chromedp.Flag("disable-component-update", true),
	chromedp.Flag("disable-sync", true),
	chromedp.Flag("disable-default-apps", true),
	chromedp.Flag("disable-extensions", true),
	chromedp.Flag("no-default-browser-check", true),
	chromedp.Flag("mute-audio", true),
	chromedp.Flag("hide-scrollbars", true),
	// Tabs in the background must keep their timers and frames running:
	// a test may hold several pages open.
	chromedp.Flag("disable-background-timer-throttling", true),
	chromedp.Flag("disable-backgrounding-occluded-windows", true),
	chromedp.Flag("disable-renderer-backgrounding", true),
}

// New starts a headless Chromium for the test and closes it, with every
// process it started, when the test ends. Without Chromium the test is
// skipped, or fails when BERTH_REQUIRE_TOOLS=1.
func New(tb testing.TB, opts ...Option) *Browser {
	tb.Helper()
	o := options{width: 1280, height: 900, timeout: 60 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	path := findChromium(tb, o.execPath)
	b := &Browser{tb: tb, opts: o, deadline: time.Now().Add(o.timeout), dataDir: tb.TempDir()}
	if d, ok := tb.(interface{ Deadline() (time.Time, bool) }); ok {
		// Give up a little before go test would panic, so that the
		// failure names the action.
		if dl, ok := d.Deadline(); ok && dl.Add(-5*time.Second).Before(b.deadline) {
			b.deadline = dl.Add(-5 * time.Second)
		}
	}

	allocOpts := append(append([]chromedp.ExecAllocatorOption{}, flags...),
		chromedp.ExecPath(path),
		chromedp.UserDataDir(b.dataDir),
		chromedp.WindowSize(o.width, o.height),
		chromedp.ModifyCmdFunc(func(cmd *exec.Cmd) {
			// Kill the browser when the test binary dies.
			cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		}),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), allocOpts...)
	ctx, cancelBrowser := chromedp.NewContext(actx)
	b.ctx = ctx
	tb.Cleanup(func() {
		// Close gracefully, then make sure that no process is left to
		// write into the profile directory that t.TempDir removes next.
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if err := chromedp.Cancel(cctx); err != nil && !errors.Is(err, context.Canceled) {
			tb.Logf("closing chromium: %v", err)
		}
		cancel()
		cancelBrowser()
		cancelAlloc()
		if n := killLeftovers(b.dataDir); n > 0 {
			tb.Logf("killed %d chromium processes left after closing", n)
		}
	})

	// Start the browser with the root context, which has no deadline: a
	// deadline on the first Run would bind the browser's life to it.
	start := time.Now()
	if err := chromedp.Do(ctx); err != nil {
		tb.Fatalf("starting chromium %s: %v", path, err)
	}
	tb.Logf("chromium %s started in %v", path, time.Since(start).Round(time.Millisecond))
	return b
}

// For returns the browser as seen from another test, usually a subtest of
// the one that called New: pages it opens report to tb, close when tb
// ends, and save screenshots under tb's name. The browser itself still
// closes when New's test ends, so tb must end before that.
func (b *Browser) For(tb testing.TB) *Browser {
	c := *b
	c.tb, c.shots = tb, ""
	return &c
}

// findChromium returns the browser's path, skipping the test when there is
// none unless BERTH_REQUIRE_TOOLS=1.
func findChromium(tb testing.TB, name string) string {
	tb.Helper()
	names := []string{"chromium", "chromium-browser"}
	if name != "" {
		names = []string{name}
	}
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if os.Getenv("BERTH_REQUIRE_TOOLS") == "1" {
		tb.Fatalf("BERTH_REQUIRE_TOOLS=1 and chromium not found as %q (apt-get install chromium)", names)
	}
	tb.Skipf("chromium not found as %q (apt-get install chromium)", names)
	return ""
}

// Processes returns the ids of the processes that run with this browser's
// profile directory: the browser and all of its helpers (renderers, the
// zygote, the network service). It is empty once the browser is closed.
func (b *Browser) Processes() []int {
	return processesUsing(b.dataDir)
}

// processesUsing lists the processes whose command line holds
// --user-data-dir=dir; Chromium passes it to every child. A child sets its
// process title, which joins its arguments with spaces instead of NULs.
func processesUsing(dir string) []int {
	want := []byte(" --user-data-dir=" + dir + " ")
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || len(cmdline) == 0 {
			continue
		}
		line := append(append([]byte{' '}, bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '})...), ' ')
		if bytes.Contains(line, want) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// killLeftovers kills the processes that still use the profile directory
// until none is seen for a few looks in a row (a child can fork as its
// parent dies), and returns how many it killed.
func killLeftovers(dir string) int {
	var killed int
	deadline := time.Now().Add(3 * time.Second)
	for quiet := 0; quiet < 3 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		pids := processesUsing(dir)
		if len(pids) == 0 {
			quiet++
			continue
		}
		quiet = 0
		for _, pid := range pids {
			// A zombie has an empty command line, so it is not listed.
			if syscall.Kill(pid, syscall.SIGKILL) == nil {
				killed++
			}
		}
	}
	return killed
}
