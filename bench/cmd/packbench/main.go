// Command packbench measures berth pack on the iris model: the image's
// size, pack-and-push time to Debian's docker-registry beside crane append
// and crane mutate of the same files, and the blob bytes a push sends when
// only the model changed. bench/pack.sh runs it; it prints one Markdown
// table.
package main

import (
	"archive/tar"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/berthml/berth/flavors/onnx"
	"github.com/berthml/berth/pack"
)

func main() {
	berth := flag.String("berth", "bin/berth", "berth binary (built by make build)")
	crane := flag.String("crane", "crane", "crane binary")
	registry := flag.String("registry", "docker-registry", "Debian's docker-registry binary")
	model := flag.String("model", "testdata/models/iris_logreg", "MLflow model directory")
	runs := flag.Int("runs", 3, "timed runs of each tool; the median is reported")
	flag.Parse()
	if err := run(context.Background(), *berth, *crane, *registry, *model, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "packbench:", err)
		os.Exit(1)
	}
}

type row struct{ figure, value string }

func run(ctx context.Context, berth, crane, registryBin, model string, runs int) error {
	work, err := os.MkdirTemp("", "packbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	ort, err := onnx.DefaultLibraryPath()
	if err != nil {
		return err
	}
	var rows []row

	// (a) the image's size, as berth pack prints it.
	out, err := command(ctx, berth, "pack", model, "--oci-layout", filepath.Join(work, "layout"))
	if err != nil {
		return err
	}
	m := regexp.MustCompile(`(?m)^size\s+(.+) compressed, (.+) uncompressed$`).FindStringSubmatch(out)
	if m == nil {
		return fmt.Errorf("no size in berth pack's output:\n%s", out)
	}
	rows = append(rows, row{"iris image, compressed", m[1]}, row{"iris image, uncompressed", m[2]})

	addr, stop, err := startRegistry(ctx, registryBin, work)
	if err != nil {
		return err
	}
	defer stop()

	// (b) pack and push, berth against crane, each run to a repository of
	// its own so that every run uploads every blob.
	rt, md := filepath.Join(work, "runtime.tar"), filepath.Join(work, "model.tar")
	if err := runtimeTar(ctx, rt, berth, ort); err != nil {
		return err
	}
	if err := dirTar(md, model, pack.ModelPath); err != nil {
		return err
	}
	var berthTimes, craneTimes []time.Duration
	for i := range runs {
		ref := fmt.Sprintf("%s/iris-berth-%d:bench", addr, i)
		start := time.Now()
		if _, err := command(ctx, berth, "pack", model, "--tag", ref, "--insecure"); err != nil {
			return err
		}
		berthTimes = append(berthTimes, time.Since(start))

		ref = fmt.Sprintf("%s/iris-crane-%d:bench", addr, i)
		start = time.Now()
		if _, err := command(ctx, crane, "append", "-f", rt, "-f", md, "-t", ref, "--oci-empty-base", "--insecure"); err != nil {
			return err
		}
		if _, err := command(ctx, crane, "mutate", ref, "--insecure", "-t", ref,
			"--entrypoint", strings.Join([]string{pack.BinaryPath, "serve", pack.ModelPath, "--host", "0.0.0.0", "--port", pack.Port}, ","),
			"--env", "BERTH_ORT_LIB="+pack.ORTLibPath, "--user", fmt.Sprintf("%d:%d", pack.UID, pack.UID),
			"--workdir", pack.ModelPath, "--exposed-ports", pack.Port+"/tcp", "--set-platform", "linux/amd64",
			"--label", "org.opencontainers.image.title=iris", "--label", pack.LabelModelName+"=iris"); err != nil {
			return err
		}
		craneTimes = append(craneTimes, time.Since(start))
	}
	b, c := median(berthTimes), median(craneTimes)
	rows = append(rows,
		row{fmt.Sprintf("berth pack --tag, median of %d (runs)", runs), ms(b) + " (" + list(berthTimes) + ")"},
		row{fmt.Sprintf("crane append + crane mutate, median of %d (runs)", runs), ms(c) + " (" + list(craneTimes) + ")"},
		row{"berth / crane (target ≤ 1.5)", fmt.Sprintf("%.2f×", float64(b)/float64(c))})

	// (c) blob bytes sent when only the model changed, counted by a proxy
	// in front of the registry.
	proxy, counted, closeProxy, err := countingProxy(addr)
	if err != nil {
		return err
	}
	defer closeProxy()
	if _, err := command(ctx, berth, "pack", model, "--tag", proxy+"/iris-delta:1", "--insecure"); err != nil {
		return err
	}
	first := counted.Swap(0)
	changed := filepath.Join(work, "iris-changed")
	if err := os.CopyFS(changed, os.DirFS(model)); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(changed, "requirements.txt"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString("# changed\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if _, err := command(ctx, berth, "pack", changed, "--model-name", "iris", "--tag", proxy+"/iris-delta:2", "--insecure"); err != nil {
		return err
	}
	second := counted.Load()
	rows = append(rows,
		row{"blob bytes uploaded, first push", fmt.Sprintf("%d (%s)", first, mib(first))},
		row{"blob bytes uploaded, push after a one-file model change", fmt.Sprintf("%d (%s)", second, mib(second))})

	fmt.Println("| pack figure | value |")
	fmt.Println("|---|---|")
	for _, r := range rows {
		fmt.Printf("| %s | %s |\n", r.figure, r.value)
	}
	return nil
}

// command runs name with args and returns its standard output.
func command(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return string(out), nil
}

// startRegistry runs docker-registry on a free 127.0.0.1 port with its
// storage under dir.
func startRegistry(ctx context.Context, bin, dir string) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := filepath.Join(dir, "registry.yml")
	conf := fmt.Sprintf("version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n",
		filepath.Join(dir, "registry"), addr)
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		return "", nil, err
	}
	// It logs every 404 (a blob not there yet) at level error: keep its
	// log in a file, and show it only when the registry does not start.
	logFile := filepath.Join(dir, "registry.log")
	logs, err := os.Create(logFile)
	if err != nil {
		return "", nil, err
	}
	defer logs.Close()
	cmd := exec.CommandContext(ctx, bin, "serve", cfg)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("starting docker-registry: %w", err)
	}
	stop := func() { cmd.Process.Kill(); cmd.Wait() }
	for range 100 {
		if resp, err := http.Get("http://" + addr + "/v2/"); err == nil {
			resp.Body.Close()
			return addr, stop, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	log, _ := os.ReadFile(logFile)
	return "", nil, fmt.Errorf("docker-registry did not start on %s:\n%s", addr, log)
}

// countingProxy forwards to the registry at addr and counts the request
// body bytes of blob uploads (PATCH and PUT under /blobs/uploads/).
func countingProxy(addr string) (string, *atomic.Int64, func(), error) {
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: addr})
	var n atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/blobs/uploads/") && (r.Method == http.MethodPatch || r.Method == http.MethodPut) && r.Body != nil {
			r.Body = &countingBody{ReadCloser: r.Body, n: &n}
		}
		rp.ServeHTTP(w, r)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, nil, err
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	return ln.Addr().String(), &n, func() { srv.Close() }, nil
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// runtimeTar writes the files of berth's runtime layer as crane gets them:
// berth, ONNX Runtime and the host libraries both load, at their paths in
// berth's image.
func runtimeTar(ctx context.Context, file, berth, ort string) error {
	libs, err := pack.HostLibraries(ctx, berth, ort)
	if err != nil {
		return err
	}
	files := map[string]string{pack.BinaryPath: berth, pack.ORTLibPath: ort}
	for _, l := range libs {
		files[l] = l
	}
	return writeTar(file, files)
}

// dirTar writes the files under dir to file, under prefix.
func dirTar(file, dir, prefix string) error {
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		files[path.Join(prefix, filepath.ToSlash(rel))] = p
		return err
	})
	if err != nil {
		return err
	}
	return writeTar(file, files)
}

// writeTar writes an uncompressed tar of files (path in the tar to host
// path), following links, in path order.
func writeTar(file string, files map[string]string) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if err := addFile(tw, strings.TrimPrefix(n, "/"), files[n]); err != nil {
			f.Close()
			return err
		}
	}
	if err := tw.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func addFile(tw *tar.Writer, name, src string) error {
	r, err := os.Open(src)
	if err != nil {
		return err
	}
	defer r.Close()
	fi, err := r.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: fi.Size(), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}); err != nil {
		return err
	}
	_, err = io.Copy(tw, r)
	return err
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func list(ds []time.Duration) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = ms(d)
	}
	return strings.Join(s, ", ")
}

func ms(d time.Duration) string { return fmt.Sprintf("%d ms", d.Milliseconds()) }

func mib(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
}
