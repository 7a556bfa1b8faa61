// Package s3test starts a real S3-compatible server for tests: SeaweedFS's
// `weed server -s3`, on free loopback ports, with its data in a temporary
// directory. scripts/fetch-seaweedfs.sh (run by `make tools`) builds the
// binary and caches it by version.
package s3test

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// SeaweedFSVersion is the SeaweedFS module version the tests run against;
// keep equal to the version in scripts/fetch-seaweedfs.sh.
const SeaweedFSVersion = "v0.0.0-20261109003541-7506e5f91cd6"

// Credentials the tests sign with. SeaweedFS without an IAM configuration
// accepts any signature; they are set so that the AWS SDK never looks for
// credentials elsewhere (the EC2 metadata address among them).
const (
	AccessKey = "berth-test"
	SecretKey = "berth-test-secret"
)

// Server is a running SeaweedFS.
type Server struct {
	// Endpoint is its S3 API, http://127.0.0.1:PORT.
	Endpoint string
	dir      string
}

// Binary returns the path of the weed binary: $BERTH_WEED_BIN, else where
// scripts/fetch-seaweedfs.sh puts it. Without it the test is skipped, or
// fails when BERTH_REQUIRE_TOOLS=1, naming what is missing.
func Binary(tb testing.TB) string {
	tb.Helper()
	bin := os.Getenv("BERTH_WEED_BIN")
	if bin == "" {
		cache, err := os.UserCacheDir()
		if err == nil {
			bin = filepath.Join(cache, "berth", "seaweedfs-"+SeaweedFSVersion, "weed")
		}
	}
	if st, err := os.Stat(bin); err != nil || st.IsDir() {
		msg := fmt.Sprintf("SeaweedFS's weed binary is missing (%s): run make tools, or scripts/fetch-seaweedfs.sh, or set BERTH_WEED_BIN", bin)
		if os.Getenv("BERTH_REQUIRE_TOOLS") == "1" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	return bin
}

// freePorts returns n distinct free loopback ports.
func freePorts(tb testing.TB, n int) []int {
	tb.Helper()
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	ports := make([]int, n)
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		lns = append(lns, ln)
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	return ports
}

// Start runs `weed server -s3` until the test ends, and returns once its
// S3 API answers.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin := Binary(tb)
	dir := tb.TempDir()
	p := freePorts(tb, 10)
	port := func(i int) string { return strconv.Itoa(p[i]) }
	args := []string{"server", "-dir=" + dir, "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
		"-master.port=" + port(0), "-master.port.grpc=" + port(1),
		"-volume.port=" + port(2), "-volume.port.grpc=" + port(3),
		"-filer.port=" + port(4), "-filer.port.grpc=" + port(5),
		"-s3", "-s3.port=" + port(6), "-s3.port.grpc=" + port(7),
		"-metricsPort=" + port(8), "-s3.port.iceberg=" + port(9),
		"-master.volumeSizeLimitMB=1024", "-volume.max=0"}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	var logs lockedBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		tb.Fatalf("starting %s: %v", bin, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	tb.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if tb.Failed() {
			tb.Logf("weed server:\n%s", logs.String())
		}
	})
	s := &Server{Endpoint: "http://127.0.0.1:" + port(6), dir: dir}
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			tb.Fatalf("weed server exited at start:\n%s", logs.String())
		default:
		}
		// Anonymous ListBuckets: answers 200 once the S3 gateway has
		// reached the filer.
		if resp, err := http.Get(s.Endpoint + "/"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	tb.Fatalf("weed server's S3 API did not answer within 90s:\n%s", logs.String())
	return nil
}

// Bucket creates a bucket and returns its name, which is unique within
// the server.
func (s *Server) Bucket(tb testing.TB, name string) string {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPut, s.Endpoint+"/"+name, nil)
	if err != nil {
		tb.Fatal(err)
	}
	// The volume servers may still be registering: retry a little.
	var last string
	for range 100 {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return name
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(100 * time.Millisecond)
	}
	tb.Fatalf("creating bucket %s: %s", name, last)
	return ""
}

// Dir is the server's data directory.
func (s *Server) Dir() string { return s.dir }

// lockedBuffer collects the server's output from two pipes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 1<<20 { // keep the start, where failures to start show
		return len(p), nil
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
