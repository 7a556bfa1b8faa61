package serve_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/internal/iristest"
	"github.com/berthml/berth/internal/ortest"
	"github.com/berthml/berth/serve"
)

// driftPageServer serves iris from dir with windows of the whole data set
// and closes one per scale, sending iris with petal_length × scale.
func driftPageServer(t *testing.T, dir string, scales ...float64) *testServer {
	t.Helper()
	rows := iristest.Rows(t)
	ts := newDriftServer(t, dir, serve.WithDriftOptions(drift.WithWindowRows(len(rows)), drift.WithWindowTime(0)))
	send := func(scale float64) {
		t.Helper()
		data := make([]string, 0, 4*len(rows))
		for i := range rows {
			for j, v := range rows[(i*7)%len(rows)] {
				if j == 2 {
					v *= scale
				}
				data = append(data, strconv.FormatFloat(v, 'f', -1, 64))
			}
		}
		r := post(t, ts.URL+"/v2/models/iris/infer", fmt.Sprintf(`{"inputs": [{"name": "input", "shape": [%d, 4], "datatype": "FP32", "data": [%s]}]}`,
			len(rows), strings.Join(data, ",")))
		if r.status != http.StatusOK {
			t.Fatalf("infer = %d: %s", r.status, r.body)
		}
	}
	for _, scale := range scales {
		send(scale)
	}
	return ts
}

// pageScales close four windows: iris twice (ok), then petal_length × 1.3
// twice (drift).
var pageScales = []float64{1, 1, 1.3, 1.3}

func TestDriftPage(t *testing.T) {
	ts := driftPageServer(t, iristest.ModelWithReference(t), pageScales...)
	a := getDrift(t, ts.URL+"/v2/models/iris/drift")
	// One feature of four drifts: the model warns.
	var model, petal []drift.Status
	for _, w := range a.History {
		model = append(model, w.Status)
		for _, f := range w.Features {
			if f.Feature == "petal_length" {
				petal = append(petal, f.Status)
			}
		}
	}
	if fmt.Sprint(model, petal) != "[ok ok warning warning] [ok ok drift drift]" {
		t.Fatalf("window statuses = %v, petal_length's %v", model, petal)
	}

	r := do(t, http.MethodGet, ts.URL+"/drift/iris", "", nil)
	if r.status != http.StatusOK || r.contentType != "text/html; charset=utf-8" {
		t.Fatalf("GET /drift/iris = %d %q: %s", r.status, r.contentType, r.body)
	}
	page := string(r.body)
	for _, f := range iristest.Features {
		if !strings.Contains(page, `id="f-`+f+`"`) || !strings.Contains(page, `aria-label="histogram of `+f+`"`) ||
			!strings.Contains(page, `aria-label="drift statistics of `+f+` per window"`) {
			t.Errorf("the page has no section, histogram or timeline of %s", f)
		}
	}
	if n := strings.Count(page, "<svg "); n != 2*len(iristest.Features) {
		t.Errorf("%d SVGs, want a histogram and a timeline for each of %d features", n, len(iristest.Features))
	}
	if n := strings.Count(page, `class="timeline"`); n != len(iristest.Features) {
		t.Errorf("%d timelines, want %d", n, len(iristest.Features))
	}
	// Four windows: four PSI points per timeline; petal_length's last two drift.
	if n := strings.Count(page, `class="point psi `); n != 4*len(iristest.Features) {
		t.Errorf("%d PSI points, want %d", n, 4*len(iristest.Features))
	}
	for _, w := range []string{"Drift of iris v1", `class="status warning">warning`, `class="point psi drift"`, "window 4, 150 rows", `href="/drift"`, `http-equiv="refresh"`} {
		if !strings.Contains(page, w) {
			t.Errorf("the page lacks %q", w)
		}
	}

	idx := do(t, http.MethodGet, ts.URL+"/drift", "", nil)
	if idx.status != http.StatusOK || idx.contentType != "text/html; charset=utf-8" {
		t.Fatalf("GET /drift = %d %q: %s", idx.status, idx.contentType, idx.body)
	}
	for _, w := range []string{`<a href="/drift/iris">iris</a>`, `<td class="warning">warning</td><td>4</td>`, "<td>plain</td>", "no reference"} {
		if !strings.Contains(string(idx.body), w) {
			t.Errorf("the index lacks %q:\n%s", w, idx.body)
		}
	}

	for _, path := range []string{"/drift/plain", "/drift/nope"} {
		r := do(t, http.MethodGet, ts.URL+path, "", nil)
		if r.status != http.StatusNotFound || !strings.HasPrefix(r.contentType, "application/json") || r.json(t)["error"] == nil {
			t.Errorf("GET %s = %d %q: %s", path, r.status, r.contentType, r.body)
		}
	}
}

// A reference with the model's outputs: the page draws every column the
// report lists, inputs and outputs alike.
func TestDriftPageOutputs(t *testing.T) {
	ortest.Init(t)
	dir := iristest.ModelWithReference(t)
	iristest.WithOutputs(t, dir)
	ts := driftPageServer(t, dir, 1, 1.3)
	var a struct {
		Last struct {
			Features []struct {
				Feature string `json:"feature"`
				Output  bool   `json:"output"`
			} `json:"features"`
		} `json:"last"`
	}
	if err := json.Unmarshal(do(t, http.MethodGet, ts.URL+"/v2/models/iris/drift", "", nil).body, &a); err != nil {
		t.Fatal(err)
	}
	feats := a.Last.Features
	if len(feats) <= len(iristest.Features) || !feats[len(feats)-1].Output {
		t.Fatalf("the last report lists %+v: no outputs", feats)
	}
	t.Logf("columns: %+v", feats)
	page := string(do(t, http.MethodGet, ts.URL+"/drift/iris", "", nil).body)
	for _, f := range feats {
		if !strings.Contains(page, `aria-label="histogram of `+f.Feature+`"`) || !strings.Contains(page, `aria-label="drift statistics of `+f.Feature+` per window"`) {
			t.Errorf("the page has no histogram or timeline of %s (output %v)", f.Feature, f.Output)
		}
	}
	if n := strings.Count(page, `<small class="none">output</small>`); n != 2*(len(feats)-len(iristest.Features)) {
		t.Errorf("%d output marks, want one in the table and one in the heading of each output", n)
	}
	if n, tl := strings.Count(page, "<svg "), strings.Count(page, `class="timeline"`); n != 2*len(feats) || tl != len(feats) {
		t.Errorf("%d SVGs and %d timelines for %d columns", n, tl, len(feats))
	}
}

func TestDriftPageNoWindowAndAuth(t *testing.T) {
	const pageToken = "s3cret"
	ts := newDriftServer(t, iristest.ModelWithReference(t), serve.WithToken(pageToken))
	for _, path := range []string{"/drift", "/drift/iris"} {
		if r := do(t, http.MethodGet, ts.URL+path, "", nil); r.status != http.StatusUnauthorized {
			t.Errorf("GET %s without the token = %d", path, r.status)
		}
	}
	r := do(t, http.MethodGet, ts.URL+"/drift/iris", "", nil, "Authorization", "Bearer "+pageToken)
	if r.status != http.StatusOK || !strings.Contains(string(r.body), "No window has closed yet") {
		t.Fatalf("GET /drift/iris before a window = %d: %s", r.status, r.body)
	}
	if n, tl := strings.Count(string(r.body), "<svg "), strings.Count(string(r.body), `class="timeline"`); n != len(iristest.Features) || tl != 0 {
		t.Errorf("before a window: %d SVGs and %d timelines, want %d reference histograms only", n, tl, len(iristest.Features))
	}
}

// The colours the screenshot is searched for: the histograms' bars are
// drawn at 55 % opacity over white.
var (
	referenceBar = blend(drift.ColorReference, 0.55)
	currentBar   = blend(drift.ColorCurrent, 0.55)
	psiLine      = blend(drift.ColorPSI, 1)
)

// TestDriftPageChromium renders the live page in headless Chromium and
// checks, in the screenshot's pixels, that the charts are drawn.
func TestDriftPageChromium(t *testing.T) {
	chromium := findChromium(t)
	ts := driftPageServer(t, iristest.ModelWithReference(t), pageScales...)
	url := ts.URL + "/drift/iris"

	dir := os.Getenv("BERTH_TEST_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "drift-page-iris.png")
	runChromium(t, chromium, "--window-size=1280,2000", "--screenshot="+shot, url)
	t.Logf("screenshot: %s", shot)

	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decoding the screenshot: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 2000 {
		t.Errorf("screenshot is %v, want 1280×2000", b)
	}
	counts := countColors(img, 12, referenceBar, currentBar, psiLine)
	nonWhite := countNonWhite(img)
	t.Logf("pixels: reference bars %d, current bars %d, PSI line %d, not white %d of %d",
		counts[0], counts[1], counts[2], nonWhite, img.Bounds().Dx()*img.Bounds().Dy())
	for i, c := range []struct {
		name string
		min  int
	}{{"reference-bar", 2000}, {"current-bar", 2000}, {"PSI-line", 1000}} {
		if counts[i] < c.min {
			t.Errorf("%d %s pixels, want at least %d: is the chart drawn?", counts[i], c.name, c.min)
		}
	}
	if nonWhite < 50000 {
		t.Errorf("only %d pixels are not white: the page looks blank", nonWhite)
	}

	dom := string(runChromium(t, chromium, "--dump-dom", url))
	if n := strings.Count(dom, "<svg "); n != 2*len(iristest.Features) {
		t.Errorf("the rendered DOM has %d svg elements, want %d", n, 2*len(iristest.Features))
	}
	for _, w := range []string{"<polyline", "<circle", "<rect", `class="timeline"`} {
		if !strings.Contains(dom, w) {
			t.Errorf("the rendered DOM has no %s", w)
		}
	}
}

// findChromium returns the browser's path, skipping the test when there
// is none unless BERTH_REQUIRE_TOOLS=1.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("BERTH_REQUIRE_TOOLS") == "1" {
		t.Fatal("BERTH_REQUIRE_TOOLS=1 and chromium not found (apt-get install chromium)")
	}
	t.Skip("chromium not found (apt-get install chromium)")
	return ""
}

// runChromium runs headless Chromium with its own profile directory and
// returns its stdout; the browser and its children are killed after 60 s.
func runChromium(t *testing.T, chromium string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, append([]string{"--headless", "--no-sandbox", "--disable-gpu",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
		"--user-data-dir=" + t.TempDir()}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v (context: %v)\n%s", strings.Join(args, " "), err, ctx.Err(), stderr.Bytes())
	}
	return stdout.Bytes()
}

// blend returns the colour of hex drawn at opacity alpha over white.
func blend(hex string, alpha float64) [3]uint8 {
	var c [3]uint8
	for i := range c {
		v, err := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		if err != nil {
			panic(err)
		}
		c[i] = uint8(alpha*float64(v) + (1-alpha)*255 + 0.5)
	}
	return c
}

// countColors counts the pixels within tol of each colour on every
// channel.
func countColors(img image.Image, tol int, colors ...[3]uint8) []int {
	n := make([]int, len(colors))
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			px := [3]int{int(r >> 8), int(g >> 8), int(bl >> 8)}
			for i, c := range colors {
				if abs(px[0]-int(c[0])) <= tol && abs(px[1]-int(c[1])) <= tol && abs(px[2]-int(c[2])) <= tol {
					n[i]++
				}
			}
		}
	}
	return n
}

func countNonWhite(img image.Image) int {
	var n int
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, g, bl, _ := img.At(x, y).RGBA(); r>>8 < 250 || g>>8 < 250 || bl>>8 < 250 {
				n++
			}
		}
	}
	return n
}

func abs(x int) int { return max(x, -x) }
