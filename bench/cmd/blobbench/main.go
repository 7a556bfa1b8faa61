// Command blobbench measures berth server's artifacts in object storage
// against a local directory, in one run: upload throughput through the
// artifact proxy (PUT /api/2.0/mlflow-artifacts/artifacts/...), and a
// server's part of a download (a proxied GET whose bytes are dropped), a
// models:/ download of a large model (modeluri.Fetch, as berth serve and
// pack do) with the CPU time the client, the server and SeaweedFS spent on
// it, and berth pack of that model, each from a server on an S3 bucket
// (SeaweedFS, started here on 127.0.0.1) and from a server on local disk,
// in alternating turns. With -baseline, a second berth binary's pair of
// servers takes turns too (before/after in one run; the client side,
// modeluri, is this tree's for both). bench/blob.sh runs it; it prints one
// Markdown table with medians, the spread and the ratios.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/blob/s3"
	"github.com/berthml/berth/internal/s3test"
	"github.com/berthml/berth/modeluri"

	"github.com/berthml/berth/bench/proccpu"
)

func main() {
	berth := flag.String("berth", "bin/berth", "berth binary (built by make build)")
	weed := flag.String("weed", s3test.DefaultBinary(), "SeaweedFS's weed binary (scripts/fetch-seaweedfs.sh)")
	upload := flag.Int64("upload-mib", 512, "size of the proxied upload, MiB")
	model := flag.Int64("model-mb", 100, "size of the model's weights file, MB (10^6 bytes)")
	runs := flag.Int("runs", 5, "timed runs (turns) of each measurement; the median is reported")
	packRuns := flag.Int("pack-runs", 3, "timed turns of berth pack from each server (0: none)")
	baseline := flag.String("baseline", "", "a second berth binary (e.g. built from main) measured in the same turns, for before/after")
	cpuProfile := flag.String("cpuprofile", "", "write this process's CPU profile (the client side of the downloads) to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "blobbench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	bins := []string{*berth}
	if *baseline != "" {
		bins = append(bins, *baseline)
	}
	if err := run(context.Background(), bins, *weed, *upload<<20, *model*1_000_000, *runs, *packRuns); err != nil {
		fmt.Fprintln(os.Stderr, "blobbench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// server is a running berth server.
type server struct {
	name, url string
	pid       int
	stop      func()
}

// build is one berth binary's pair of servers: on local disk ([0]) and on
// the bucket ([1]).
type build struct {
	label   string
	servers [2]*server
}

// samples are one measurement's timed runs, per build and server.
type samples [][2][]time.Duration

func run(ctx context.Context, bins []string, weed string, uploadSize, modelSize int64, runs, packRuns int) error {
	work, err := os.MkdirTemp("", "blobbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	sw, err := s3test.Run(weed, filepath.Join(work, "seaweedfs"))
	if err != nil {
		return err
	}
	defer sw.Close()
	if err := sw.CreateBucket("bench"); err != nil {
		return err
	}
	env := []string{"MLFLOW_S3_ENDPOINT_URL=" + sw.Endpoint, "AWS_ACCESS_KEY_ID=" + s3test.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + s3test.SecretKey, "AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true"}
	var builds []*build
	for b, bin := range bins {
		if bin, err = filepath.Abs(bin); err != nil {
			return err
		}
		label := "berth"
		if b > 0 {
			label = "baseline"
		}
		bd := &build{label: label + " (" + bin + ")"}
		local, err := startBerth(ctx, bin, "local disk", work, nil,
			"--backend-store-uri", filepath.Join(work, fmt.Sprintf("local-%d.db", b)),
			"--artifacts-destination", filepath.Join(work, fmt.Sprintf("artifacts-%d", b)))
		if err != nil {
			return err
		}
		defer local.stop()
		bucket, err := startBerth(ctx, bin, "S3 bucket", work, env,
			"--backend-store-uri", filepath.Join(work, fmt.Sprintf("s3-%d.db", b)),
			"--artifacts-destination", fmt.Sprintf("s3://bench/berth-%d", b))
		if err != nil {
			return err
		}
		defer bucket.stop()
		bd.servers = [2]*server{local, bucket}
		builds = append(builds, bd)
	}
	// each runs f for every server of every build, in alternating turns
	// (local, bucket, local, ...), so that this shared machine's drifting
	// speed falls on all alike.
	each := func(turns int, f func(b, i, r int, s *server) (time.Duration, error)) (samples, error) {
		out := make(samples, len(builds))
		for r := range turns {
			for b, bd := range builds {
				for i, s := range bd.servers {
					d, err := f(b, i, r, s)
					if err != nil {
						return nil, fmt.Errorf("%s, %s: %w", bd.label, s.name, err)
					}
					out[b][i] = append(out[b][i], d)
				}
			}
		}
		return out, nil
	}
	mbps := func(d time.Duration) float64 { return float64(uploadSize) / 1e6 / d.Seconds() }
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	// rows prints one row per build: median (best–worst) of each server
	// and bucket ÷ local of the medians, in MB/s or ms.
	rows := func(what string, ss samples, rate bool) {
		for b, bd := range builds {
			var cells [2]string
			var med [2]float64
			for i := range 2 {
				m, lo, hi := ms(median(ss[b][i])), ms(slices.Min(ss[b][i])), ms(slices.Max(ss[b][i]))
				if rate {
					m, lo, hi = mbps(median(ss[b][i])), mbps(slices.Max(ss[b][i])), mbps(slices.Min(ss[b][i]))
				}
				cells[i], med[i] = fmt.Sprintf("%.0f (%.0f–%.0f)", m, lo, hi), m
			}
			fmt.Printf("| %s, %s | %s | %s | %.2f |\n", what, bd.label, cells[0], cells[1], med[1]/med[0])
		}
	}
	fmt.Printf("| measurement: median (best–worst) of %d turns | local disk | S3 bucket | bucket / local |\n|---|---|---|---|\n", runs)

	// Proxied upload throughput.
	up, err := each(runs, func(b, i, r int, s *server) (time.Duration, error) {
		return putArtifact(ctx, s.url, fmt.Sprintf("0/bench/artifacts/upload-%d.bin", r), uploadSize)
	})
	if err != nil {
		return err
	}
	rows(fmt.Sprintf("proxy upload, %d MiB: MB/s", uploadSize>>20), up, true)
	// The floor: the same upload straight into the bucket with the SDK
	// (blob/s3, which berth's proxy writes through), no berth in between.
	direct, err := s3.Open(ctx, "s3://bench/direct", s3.WithEndpoint(sw.Endpoint),
		s3.WithStaticCredentials(s3test.AccessKey, s3test.SecretKey), s3.WithRegion("us-east-1"))
	if err != nil {
		return err
	}
	var floor []time.Duration
	for r := range runs {
		start := time.Now()
		if err := direct.Put(ctx, fmt.Sprintf("upload-%d.bin", r), &s3test.Pattern{N: uploadSize}); err != nil {
			return fmt.Errorf("direct upload: %w", err)
		}
		floor = append(floor, time.Since(start))
	}
	fmt.Printf("| the same upload straight to the bucket (blob/s3 in this process, no berth server): MB/s | | %.0f (%.0f–%.0f) | |\n",
		mbps(median(floor)), mbps(slices.Max(floor)), mbps(slices.Min(floor)))

	// The server's part of a download: GET of the uploaded file through
	// the proxy, its bytes counted and dropped (no file written, no hash).
	get, err := each(runs, func(b, i, r int, s *server) (time.Duration, error) {
		return getArtifact(ctx, s.url, fmt.Sprintf("0/bench/artifacts/upload-%d.bin", r), uploadSize)
	})
	if err != nil {
		return err
	}
	rows("proxy download of that file, bytes dropped: MB/s", get, true)

	// models:/ download and pack of a model registered through each
	// server.
	dir, err := makeModel(filepath.Join(work, "model"), modelSize)
	if err != nil {
		return err
	}
	versions := make([][2]string, len(builds))
	for b, bd := range builds {
		for i, s := range bd.servers {
			mv, err := modeluri.Register(ctx, &mlflowrest.Client{BaseURL: s.url}, modeluri.Registration{Dir: dir, Name: "big"})
			if err != nil {
				return fmt.Errorf("%s, %s: registering: %w", bd.label, s.name, err)
			}
			versions[b][i] = mv.Version
		}
	}
	cpu := make([][2]cpuTimes, len(builds)) // CPU time of the downloads, summed over the turns
	weedPID := childNamed("weed")
	down, err := each(runs, func(b, i, r int, s *server) (time.Duration, error) {
		before := measureCPU(s.pid, weedPID)
		d, err := download(ctx, s, filepath.Join(work, fmt.Sprintf("cache-%d-%d-%d", b, i, r)), versions[b][i], modelSize)
		cpu[b][i].add(measureCPU(s.pid, weedPID).sub(before))
		return d, err
	})
	if err != nil {
		return err
	}
	rows(fmt.Sprintf("models:/ download, %d MB model: ms", modelSize/1_000_000), down, false)
	per := func(d time.Duration) string { return fmt.Sprintf("%.0f", float64(d.Microseconds())/1000/float64(runs)) }
	for b, bd := range builds {
		c := cpu[b]
		fmt.Printf("| CPU time per download: client (modeluri.Fetch) + berth server + SeaweedFS, ms, %s | %s + %s + %s | %s + %s + %s | |\n",
			bd.label, per(c[0].client), per(c[0].server), per(c[0].weed), per(c[1].client), per(c[1].server), per(c[1].weed))
	}
	if packRuns > 0 {
		packs, err := each(packRuns, func(b, i, r int, s *server) (time.Duration, error) {
			return packModel(ctx, bins[b], s, filepath.Join(work, fmt.Sprintf("pack-%d-%d-%d", b, i, r)), versions[b][i])
		})
		if err != nil {
			return err
		}
		rows(fmt.Sprintf("berth pack models:/ (download and build, --oci-layout), %d turns: ms", packRuns), packs, false)
	}
	return nil
}

var readyLine = regexp.MustCompile(`msg=ready addr=(http://\S+)`)

// startBerth runs berth server with args and returns once it logs ready.
func startBerth(ctx context.Context, bin, name, dir string, env []string, args ...string) (*server, error) {
	ctx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(ctx, bin, append([]string{"server", "--port", "0", "--ui=false"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	stderr, err := cmd.StderrPipe()
	if err != nil {
		cancel()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, err
	}
	stop := func() { cancel(); _ = cmd.Wait() }
	sc := bufio.NewScanner(stderr)
	var logged []string
	for sc.Scan() {
		logged = append(logged, sc.Text())
		if m := readyLine.FindStringSubmatch(sc.Text()); m != nil {
			go func() {
				for sc.Scan() {
				}
			}()
			return &server{name: name, url: m[1], pid: cmd.Process.Pid, stop: stop}, nil
		}
	}
	stop()
	return nil, fmt.Errorf("berth server (%s) exited before it was ready:\n%s", name, strings.Join(logged, "\n"))
}

// download fetches models:/big/version from s into a new cache (as berth
// serve and pack do) and times it.
func download(ctx context.Context, s *server, cache, version string, size int64) (time.Duration, error) {
	defer os.RemoveAll(cache)
	res, err := modeluri.NewResolver(s.url, cache)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	got, err := modeluri.Fetch(ctx, res, "models:/big/"+version)
	if err != nil {
		return 0, fmt.Errorf("%s: models:/big/%s: %w", s.name, version, err)
	}
	d := time.Since(start)
	if st, err := os.Stat(filepath.Join(got.Dir, "weights.bin")); err != nil || st.Size() != size {
		return 0, fmt.Errorf("%s: the downloaded weights.bin is not %d bytes (%v)", s.name, size, err)
	}
	return d, nil
}

// packModel runs berth pack models:/big/version from s into an OCI layout,
// with a new download cache, and times it.
func packModel(ctx context.Context, berth string, s *server, work, version string) (time.Duration, error) {
	defer os.RemoveAll(work)
	berth, err := filepath.Abs(berth)
	if err != nil {
		return 0, err
	}
	cmd := exec.CommandContext(ctx, berth, "pack", "models:/big/"+version, "--registry-uri", s.url,
		"--cache-dir", filepath.Join(work, "cache"), "--oci-layout", filepath.Join(work, "layout"), "--name", "big:"+version)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("%s: berth pack: %w\n%s", s.name, err, out)
	}
	return time.Since(start), nil
}

// cpuTimes is CPU time (user + system) of this process (the client), a
// berth server and SeaweedFS.
type cpuTimes struct{ client, server, weed time.Duration }

func (c *cpuTimes) add(d cpuTimes) { c.client += d.client; c.server += d.server; c.weed += d.weed }

func (c cpuTimes) sub(d cpuTimes) cpuTimes {
	return cpuTimes{c.client - d.client, c.server - d.server, c.weed - d.weed}
}

// measureCPU reads the CPU time used so far by this process, the server
// and SeaweedFS (0 where it cannot be read: not Linux).
func measureCPU(server, weed int) cpuTimes {
	self, _ := proccpu.Self()
	return cpuTimes{self, proccpu.Sum(server), proccpu.Sum(weed)}
}

// childNamed returns the pid of a child of this process whose command is
// name, 0 if none.
func childNamed(name string) int {
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", d.Name(), "stat"))
		if err != nil {
			continue
		}
		comm, rest, ok := strings.Cut(string(b), ") ")
		f := strings.Fields(rest)
		if ok && len(f) > 1 && strings.HasSuffix(comm, "("+name) && f[1] == strconv.Itoa(os.Getpid()) {
			return pid
		}
	}
	return 0
}

// putArtifact PUTs size bytes through the artifact proxy and times it.
func putArtifact(ctx context.Context, base, path string, size int64) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, base+mlflowrest.ArtifactsPrefix+"/"+path, &s3test.Pattern{N: size})
	if err != nil {
		return 0, err
	}
	req.ContentLength = size
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := time.Since(start)
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("PUT %s: %s %s", path, resp.Status, b)
	}
	return d, nil
}

// getArtifact GETs size bytes through the artifact proxy, drops them and
// times it.
func getArtifact(ctx context.Context, base, path string, size int64) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+mlflowrest.ArtifactsPrefix+"/"+path, nil)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return 0, fmt.Errorf("GET %s: %s %s", path, resp.Status, b)
	}
	n, err := io.CopyBuffer(io.Discard, resp.Body, make([]byte, 1<<20))
	if err != nil {
		return 0, fmt.Errorf("GET %s: %w", path, err)
	}
	if n != size {
		return 0, fmt.Errorf("GET %s: %d bytes, want %d", path, n, size)
	}
	return time.Since(start), nil
}

// makeModel writes an MLflow model directory whose weights file has size
// bytes.
func makeModel(dir string, size int64) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "MLmodel"), []byte("artifact_path: model\nflavors: {}\n"), 0o644); err != nil {
		return "", err
	}
	f, err := os.Create(filepath.Join(dir, "weights.bin"))
	if err != nil {
		return "", err
	}
	_, err = io.Copy(f, &s3test.Pattern{N: size})
	return dir, errors.Join(err, f.Close())
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
