// Command blobbench measures berth server's artifacts in object storage
// against a local directory, in one run: upload throughput through the
// artifact proxy (PUT /api/2.0/mlflow-artifacts/artifacts/...), and a
// models:/ download of a large model (modeluri.Fetch, as berth serve and
// pack do), each from a server on an S3 bucket (SeaweedFS, started here on
// 127.0.0.1) and from a server on local disk. bench/blob.sh runs it; it
// prints one Markdown table with medians, the spread (min–max) and the
// ratios.
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
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/blob/s3"
	"github.com/berthml/berth/internal/s3test"
	"github.com/berthml/berth/modeluri"
)

func main() {
	berth := flag.String("berth", "bin/berth", "berth binary (built by make build)")
	weed := flag.String("weed", s3test.DefaultBinary(), "SeaweedFS's weed binary (scripts/fetch-seaweedfs.sh)")
	upload := flag.Int64("upload-mib", 512, "size of the proxied upload, MiB")
	model := flag.Int64("model-mb", 100, "size of the model's weights file, MB (10^6 bytes)")
	runs := flag.Int("runs", 3, "timed runs of each measurement; the median is reported")
	flag.Parse()
	if err := run(context.Background(), *berth, *weed, *upload<<20, *model*1_000_000, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "blobbench:", err)
		os.Exit(1)
	}
}

// server is a running berth server.
type server struct {
	name, url string
	stop      func()
}

func run(ctx context.Context, berth, weed string, uploadSize, modelSize int64, runs int) error {
	work, err := os.MkdirTemp("", "blobbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if berth, err = filepath.Abs(berth); err != nil {
		return err
	}
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
	local, err := startBerth(ctx, berth, "local disk", work, nil,
		"--backend-store-uri", filepath.Join(work, "local.db"), "--artifacts-destination", filepath.Join(work, "artifacts"))
	if err != nil {
		return err
	}
	defer local.stop()
	bucket, err := startBerth(ctx, berth, "S3 bucket", work, env,
		"--backend-store-uri", filepath.Join(work, "s3.db"), "--artifacts-destination", "s3://bench/berth")
	if err != nil {
		return err
	}
	defer bucket.stop()
	servers := []*server{local, bucket}

	fmt.Printf("| measurement | %s | %s | bucket / local |\n|---|---|---|---|\n", local.name, bucket.name)

	// Proxied upload throughput.
	var up [2][]time.Duration
	for r := range runs {
		for i, s := range servers {
			d, err := putArtifact(ctx, s.url, fmt.Sprintf("0/bench/artifacts/upload-%d.bin", r), uploadSize)
			if err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			up[i] = append(up[i], d)
		}
	}
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
	mbps := func(d time.Duration) float64 { return float64(uploadSize) / 1e6 / d.Seconds() }
	fmt.Printf("| proxy upload, %d MiB: MB/s (median, min–max) | %.0f (%.0f–%.0f) | %.0f (%.0f–%.0f) | %.2f |\n", uploadSize>>20,
		mbps(median(up[0])), mbps(slices.Max(up[0])), mbps(slices.Min(up[0])),
		mbps(median(up[1])), mbps(slices.Max(up[1])), mbps(slices.Min(up[1])),
		mbps(median(up[1]))/mbps(median(up[0])))

	fmt.Printf("| the same upload straight to the bucket (AWS SDK, no berth): MB/s | | %.0f (%.0f–%.0f) | |\n",
		mbps(median(floor)), mbps(slices.Max(floor)), mbps(slices.Min(floor)))

	// models:/ download of a model registered through each server.
	dir, err := makeModel(filepath.Join(work, "model"), modelSize)
	if err != nil {
		return err
	}
	var down [2][]time.Duration
	for i, s := range servers {
		mv, err := modeluri.Register(ctx, &mlflowrest.Client{BaseURL: s.url}, modeluri.Registration{Dir: dir, Name: "big"})
		if err != nil {
			return fmt.Errorf("%s: registering: %w", s.name, err)
		}
		for r := range runs {
			cache := filepath.Join(work, fmt.Sprintf("cache-%d-%d", i, r))
			res, err := modeluri.NewResolver(s.url, cache)
			if err != nil {
				return err
			}
			start := time.Now()
			got, err := modeluri.Fetch(ctx, res, "models:/big/"+mv.Version)
			if err != nil {
				return fmt.Errorf("%s: models:/big/%s: %w", s.name, mv.Version, err)
			}
			down[i] = append(down[i], time.Since(start))
			if st, err := os.Stat(filepath.Join(got.Dir, "weights.bin")); err != nil || st.Size() != modelSize {
				return fmt.Errorf("%s: the downloaded weights.bin is not %d bytes (%v)", s.name, modelSize, err)
			}
			os.RemoveAll(cache)
		}
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%.0f", float64(d.Microseconds())/1000) }
	fmt.Printf("| models:/ download, %d MB model: ms (median, min–max) | %s (%s–%s) | %s (%s–%s) | %.2f |\n", modelSize/1_000_000,
		ms(median(down[0])), ms(slices.Min(down[0])), ms(slices.Max(down[0])),
		ms(median(down[1])), ms(slices.Min(down[1])), ms(slices.Max(down[1])),
		median(down[1]).Seconds()/median(down[0]).Seconds())
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
			return &server{name: name, url: m[1], stop: stop}, nil
		}
	}
	stop()
	return nil, fmt.Errorf("berth server (%s) exited before it was ready:\n%s", name, strings.Join(logged, "\n"))
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
