package browsertest_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berthml/berth/internal/browsertest"
)

// pages are the test server's small pages, each showing one thing a
// browser test looks for.
var pages = map[string]string{
	"/clean": `<!doctype html><title>clean</title><p id="hello">hello</p>`,
	"/console": `<!doctype html><title>console</title><script>
		console.log("just a log");
		console.error("boom", 42, {a: 1});
		console.warn("careful");
	</script><p id="done">done</p>`,
	"/throw": `<!doctype html><title>throw</title><script>
		function load() { throw new Error("kaboom"); }
		load();
	</script>`,
	"/fetch404": `<!doctype html><title>fetch</title><body><script>
		fetch("/missing.json").then(r => {
			document.body.insertAdjacentHTML("beforeend", '<p id="done">' + r.status + '</p>');
		});
	</script>`,
	"/button": `<!doctype html><title>button</title>
		<button id="b" onclick="document.getElementById('out').textContent = 'clicked ' + (++n)">go</button>
		<p id="out">not yet</p><ul><li>a</li><li>b</li><li>c</li></ul>
		<script>let n = 0;</script>`,
	"/form": `<!doctype html><title>form</title>
		<form id="f"><input id="q" name="q" value="old"><button>search</button></form><p id="out"></p>
		<script>
			document.getElementById("f").addEventListener("submit", e => {
				e.preventDefault();
				document.getElementById("out").textContent = "searched " + document.getElementById("q").value;
			});
		</script>`,
	"/chart": `<!doctype html><title>chart</title><body style="margin:0;background:#fff">
		<canvas id="c" width="100" height="80"></canvas>
		<svg width="60" height="50"><rect width="60" height="50" fill="#1f77b4"/></svg>
		<script>
			const g = document.getElementById("c").getContext("2d");
			g.fillStyle = "#d62728";
			g.fillRect(0, 0, 100, 80);
		</script>`,
	"/mobile": `<!doctype html><meta name="viewport" content="width=device-width, initial-scale=1">
		<title>mobile</title><p>phone</p>`,
	"/render": `<!doctype html><title>render</title><body><main id="app" data-state="ready">first</main>
		<button id="go">go</button><script>
			document.getElementById("go").addEventListener("click", () => {
				const app = document.getElementById("app");
				app.dataset.state = "loading";
				setTimeout(() => { app.textContent = "second"; app.dataset.state = "ready"; }, 150);
			});
		</script>`,
	"/slow": `<!doctype html><title>slow</title><body><script>
		setTimeout(() => document.body.insertAdjacentHTML("beforeend", '<p id="ready">data</p>'), 50);
	</script>`,
}

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(page))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestConsoleErrors(t *testing.T) {
	srv := newServer(t)
	b := browsertest.New(t)
	for _, c := range []struct {
		path, wait string
		want       []string
	}{
		{"/clean", "#hello", nil},
		{"/console", "#done", []string{
			`console.error: boom 42 Object (` + srv.URL + `/console:3:11)`,
			`console.warn: careful (` + srv.URL + `/console:4:11)`,
		}},
		{"/throw", "", []string{`exception: Uncaught Error: kaboom (` + srv.URL + `/throw:2:27)`}},
		{"/fetch404", "#done", []string{`network: GET ` + srv.URL + `/missing.json: 404 Not Found`}},
		{"/nope", "", []string{`network: GET ` + srv.URL + `/nope: 404 Not Found`}},
	} {
		t.Run(c.path[1:], func(t *testing.T) {
			p := b.For(t).Open(srv.URL + c.path)
			if c.wait != "" {
				p.WaitVisible(c.wait)
			}
			got := p.ConsoleErrors()
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("ConsoleErrors() =\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(c.want, "\n\t"))
			}
		})
	}
}

// AssertNoConsoleErrors reports through Errorf, with every message: check
// it on a TB that records its errors instead of failing.
func TestAssertNoConsoleErrors(t *testing.T) {
	srv := newServer(t)
	rec := &recordingTB{TB: t}
	b := browsertest.New(rec)
	b.Open(srv.URL + "/clean").AssertNoConsoleErrors()
	if len(rec.errors) != 0 {
		t.Errorf("a clean page: %q", rec.errors)
	}
	p := b.Open(srv.URL + "/console")
	p.WaitVisible("#done")
	p.AssertNoConsoleErrors()
	if len(rec.errors) != 1 || !strings.Contains(rec.errors[0], "2 console errors") ||
		!strings.Contains(rec.errors[0], "console.error: boom") || !strings.Contains(rec.errors[0], "console.warn: careful") {
		t.Errorf("AssertNoConsoleErrors reported %q", rec.errors)
	}
}

// recordingTB is the test's TB, but records Errorf instead of failing.
type recordingTB struct {
	testing.TB
	errors []string
}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func TestClickText(t *testing.T) {
	srv := newServer(t)
	p := browsertest.New(t).Open(srv.URL + "/button")
	if got := p.Text("#out"); got != "not yet" {
		t.Errorf("before the click: %q", got)
	}
	p.Click("#b")
	p.Click("#b")
	if got := p.Text("#out"); got != "clicked 2" {
		t.Errorf("after two clicks: %q", got)
	}
	if n, none := p.Count("li"), p.Count(".nothing"); n != 3 || none != 0 {
		t.Errorf("Count = %d and %d, want 3 and 0", n, none)
	}
	var v struct {
		N     int    `json:"n"`
		Title string `json:"title"`
	}
	p.Eval(`Promise.resolve({n: n, title: document.title})`, &v)
	if v.N != 2 || v.Title != "button" {
		t.Errorf("Eval = %+v", v)
	}
	p.Eval(`undefined`, nil)
	p.AssertNoConsoleErrors()
}

func TestForm(t *testing.T) {
	srv := newServer(t)
	p := browsertest.New(t).Open(srv.URL + "/form")
	p.SetValue("#q", "iris")
	p.PressEnter("#q")
	if got := p.Text("#out"); got != "searched iris" {
		t.Errorf("after Enter: %q", got)
	}
	p.SetValue("#q", "wine")
	p.Submit("#f")
	if got := p.Text("#out"); got != "searched wine" {
		t.Errorf("after Submit: %q", got)
	}
	p.AssertNoConsoleErrors()
}

func TestScreenshotCountColor(t *testing.T) {
	artifacts := t.TempDir()
	t.Setenv("BERTH_TEST_ARTIFACTS", artifacts)
	srv := newServer(t)
	p := browsertest.New(t).Open(srv.URL + "/chart")
	shot := p.Screenshot("chart")
	if want := filepath.Join(artifacts, "TestScreenshotCountColor", "chart.png"); shot != want {
		t.Errorf("screenshot at %s, want %s", shot, want)
	}
	for _, c := range []struct {
		name     string
		rgb      [3]uint8
		min, max int
	}{
		{"canvas red", browsertest.Hex("#d62728"), 100 * 80, 100 * 80},
		{"svg blue", browsertest.Hex("#1f77b4"), 60 * 50, 60 * 50},
		{"white", browsertest.Hex("#ffffff"), 1280*900 - 100*80 - 60*50 - 2000, 1280*900 - 100*80 - 60*50},
	} {
		if n := browsertest.CountColor(t, shot, c.rgb, 8); n < c.min || n > c.max {
			t.Errorf("%d %s pixels, want %d to %d", n, c.name, c.min, c.max)
		}
	}
	if got, want := browsertest.Blend("#1f77b4", 0.55), [3]uint8{132, 180, 214}; got != want {
		t.Errorf("Blend = %v, want %v", got, want)
	}
}

func TestMobileViewport(t *testing.T) {
	srv := newServer(t)
	b := browsertest.New(t, browsertest.WithMobileViewport())
	p := b.Open(srv.URL + "/mobile")
	var w struct{ Width, Height int }
	p.Eval(`({Width: window.innerWidth, Height: window.innerHeight})`, &w)
	if w.Width != 390 || w.Height != 844 {
		t.Errorf("a page with a viewport meta tag is %d×%d on a phone, want 390×844", w.Width, w.Height)
	}
	// A phone lays out a page without the tag at 980 px and shrinks it.
	p.Navigate(srv.URL + "/clean")
	p.Eval(`({Width: window.innerWidth, Height: window.innerHeight})`, &w)
	t.Logf("without the tag: %d×%d", w.Width, w.Height)
	if w.Width <= 390 {
		t.Errorf("a page without a viewport meta tag is %d px wide on a phone: is it emulated as mobile?", w.Width)
	}

	d := browsertest.New(t, browsertest.WithWindowSize(800, 600)).Open(srv.URL + "/clean")
	d.Eval(`({Width: window.innerWidth, Height: window.innerHeight})`, &w)
	if w.Width != 800 || w.Height != 600 {
		t.Errorf("WithWindowSize(800, 600): %d×%d", w.Width, w.Height)
	}
}

func TestLoadTime(t *testing.T) {
	srv := newServer(t)
	p := browsertest.New(t).Open(srv.URL + "/clean")
	ready := p.LoadTime(srv.URL+"/slow", browsertest.WaitFor("#ready"))
	if ready < 50*time.Millisecond || ready > 5*time.Second {
		t.Errorf("the marker drawn after 50 ms was visible after %v", ready)
	}
	// The load event does not wait for the timer; on a busy machine it
	// may still end after the marker, so only its sign is checked.
	if load := p.LoadTime(srv.URL + "/slow"); load <= 0 || load > 5*time.Second {
		t.Errorf("the load event of /slow ended after %v", load)
	}
	// The script of WaitFor is gone: a later page does not get it.
	p.Navigate(srv.URL + "/clean")
	var v any
	p.Eval(`window.__browsertestReadyAt`, &v)
	if v != nil {
		t.Errorf("the ready script still runs: %v", v)
	}
	p.AssertNoConsoleErrors()
}

// TestThreePages times what a typical UI test does: start a browser, open
// three pages and take a screenshot of each.
func TestThreePages(t *testing.T) {
	srv := newServer(t)
	start := time.Now()
	b := browsertest.New(t)
	for _, path := range []string{"/button", "/chart", "/form"} {
		p := b.Open(srv.URL + path)
		p.Screenshot(path[1:])
		p.AssertNoConsoleErrors()
	}
	t.Logf("a browser, three pages and three screenshots: %v", time.Since(start).Round(time.Millisecond))
}

// TestCleanup checks that a browser leaves no process behind once its test
// ends.
func TestCleanup(t *testing.T) {
	srv := newServer(t)
	var pids []int
	t.Run("browser", func(t *testing.T) {
		b := browsertest.New(t)
		b.Open(srv.URL + "/clean")
		b.Open(srv.URL + "/button")
		pids = b.Processes()
		if len(pids) < 2 {
			t.Errorf("the browser runs as %v, want a browser and its helpers", pids)
		}
	})
	for _, pid := range pids {
		if running(pid) {
			t.Errorf("process %d is still running", pid)
		}
	}
}

// running reports whether the process exists and has not exited: a zombie
// waiting for init to reap it has.
func running(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// "pid (comm) S ...": the state follows the last ')'.
	i := bytes.LastIndexByte(stat, ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] != 'Z'
}

// TestMissingChromium runs New in child processes with a browser that
// does not exist: a skip by default, a failure under
// BERTH_REQUIRE_TOOLS=1. TestTimeout's child runs out of time.
func TestChildren(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the test binary again")
	}
	for _, c := range []struct {
		name, test, require string
		want                []string
	}{
		{"missing", "TestMissingChromium", "", []string{"--- SKIP", "apt-get install chromium"}},
		{"missing required", "TestMissingChromium", "1", []string{"--- FAIL", "BERTH_REQUIRE_TOOLS=1", "apt-get install chromium"}},
		{"timeout", "TestTimeout", "", []string{"--- FAIL", "waiting for #never: ", "deadline exceeded", "WithTimeout", "the page reported:", "console.error: boom"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^"+c.test+"$", "-test.v")
			cmd.Env = append(os.Environ(), "BROWSERTEST_CHILD=1", "BERTH_REQUIRE_TOOLS="+c.require)
			out, _ := cmd.CombinedOutput()
			for _, w := range c.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("the child's output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestMissingChromium(t *testing.T) {
	if os.Getenv("BROWSERTEST_CHILD") != "1" {
		t.Skip("run by TestChildren")
	}
	browsertest.New(t, browsertest.WithExecPath(filepath.Join(t.TempDir(), "no-chromium")))
	t.Fatal("New returned without a browser")
}

func TestTimeout(t *testing.T) {
	if os.Getenv("BROWSERTEST_CHILD") != "1" {
		t.Skip("run by TestChildren")
	}
	srv := newServer(t)
	// The time runs from New, so it covers Chromium's start too (2.7 s on
	// a loaded machine): the wait for #never, not the start, must use it up.
	p := browsertest.New(t, browsertest.WithTimeout(10*time.Second)).Open(srv.URL + "/console")
	p.WaitVisible("#never")
	t.Fatal("WaitVisible returned")
}

// TestAfterAttr waits out a render that takes 150 ms: without the wait the
// text would still be the first page's.
func TestAfterAttr(t *testing.T) {
	srv := newServer(t)
	p := browsertest.New(t).Open(srv.URL + "/render")
	if got := p.Text("#app"); got != "first" {
		t.Fatalf("before: %q", got)
	}
	p.AfterAttr("#app", "data-state", "ready", func() { p.Click("#go") })
	if got := p.Text("#app"); got != "second" {
		t.Errorf("after AfterAttr: %q, want the second render", got)
	}
	p.Settle()
	p.AssertNoConsoleErrors()
}
