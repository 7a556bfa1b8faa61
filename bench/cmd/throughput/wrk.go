package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// wrkScript POSTs the file named by $BERTH_BENCH_BODY as JSON and, when the
// run is done, prints one machine-readable summary line (requests, µs,
// connect/read/write/status/timeout errors; status counts wrk's "Non-2xx or
// 3xx responses") and the latency quantiles wrk computes from its own
// histogram, for parseWrk.
var wrkScript = fmt.Sprintf(`-- Written by bench/cmd/throughput.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local hlen = os.getenv("BERTH_BENCH_HEADER_LEN")
if hlen ~= nil and hlen ~= "" then
  wrk.headers["Content-Type"] = "application/octet-stream"
  wrk.headers["Inference-Header-Content-Length"] = hlen
end
local f = assert(io.open(os.getenv("BERTH_BENCH_BODY"), "rb"))
wrk.body = f:read("*a")
f:close()

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("throughput: summary %%d %%d %%d %%d %%d %%d %%d\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout))
  local qs = {}
  for i = 0, %d do
    qs[#qs + 1] = string.format("%%d", latency:percentile(100 * (i + 0.5) / %d))
  end
  io.write("throughput: quantiles ", table.concat(qs, " "), "\n")
end
`, quantileSteps-1, quantileSteps)

// wrkRunner runs Debian's wrk against URLs with a body file.
type wrkRunner struct {
	bin    string // the wrk binary
	script string // wrkScript, written to a file
	// timeout is wrk's --timeout: a request slower than this counts as an
	// error (and wrk keeps a histogram bin per µs up to it).
	timeout time.Duration
}

func newWrkRunner(bin, dir string) (*wrkRunner, error) {
	script := filepath.Join(dir, "post.lua")
	if err := os.WriteFile(script, []byte(wrkScript), 0o644); err != nil {
		return nil, err
	}
	return &wrkRunner{bin: bin, script: script, timeout: 5 * time.Second}, nil
}

// run loads url with conc keep-alive connections for d (whole seconds:
// wrk's unit) and returns what wrk measured. A headerLen sends the body as
// the Open Inference Protocol's binary tensor data.
func (w *wrkRunner) run(ctx context.Context, url, body, headerLen string, conc int, d time.Duration) (sample, error) {
	threads := min(conc, 2)
	secs := max(int(d.Round(time.Second)/time.Second), 1)
	cmd := exec.CommandContext(ctx, w.bin, "-t", strconv.Itoa(threads), "-c", strconv.Itoa(conc),
		"-d", fmt.Sprintf("%ds", secs), "--timeout", fmt.Sprintf("%ds", int(w.timeout/time.Second)),
		"-s", w.script, url)
	cmd.Env = append(os.Environ(), "BERTH_BENCH_BODY="+body, "BERTH_BENCH_HEADER_LEN="+headerLen)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return sample{}, fmt.Errorf("running wrk on %s: %w: %s", url, err, stderr.Bytes())
	}
	s, err := parseWrk(out)
	if err != nil {
		return sample{}, fmt.Errorf("reading wrk's output for %s: %w\n%s", url, err, out)
	}
	s.clientCPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return s, nil
}

// parseWrk reads the lines wrkScript's done function prints.
func parseWrk(out []byte) (sample, error) {
	var (
		s                  sample
		haveSum, haveQuant bool
	)
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || f[0] != "throughput:" {
			continue
		}
		nums := make([]int64, len(f)-2)
		for i, x := range f[2:] {
			n, err := strconv.ParseInt(x, 10, 64)
			if err != nil {
				return sample{}, fmt.Errorf("bad number %q in %q", x, sc.Text())
			}
			nums[i] = n
		}
		switch f[1] {
		case "summary":
			if len(nums) != 7 {
				return sample{}, fmt.Errorf("summary: want 7 numbers, got %d", len(nums))
			}
			s.requests, s.elapsed = nums[0], time.Duration(nums[1])*time.Microsecond
			for _, e := range nums[2:] {
				s.errors += e
			}
			haveSum = true
		case "quantiles":
			if len(nums) != quantileSteps {
				return sample{}, fmt.Errorf("quantiles: want %d, got %d", quantileSteps, len(nums))
			}
			haveQuant = true
			for _, us := range nums {
				s.points = append(s.points, point{us: float64(us)})
			}
		}
	}
	if !haveSum || !haveQuant {
		return sample{}, fmt.Errorf("no summary or quantiles line")
	}
	for i := range s.points {
		s.points[i].weight = float64(s.requests) / quantileSteps
	}
	return s, nil
}
