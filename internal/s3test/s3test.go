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
	cmd      *exec.Cmd
	exited   chan struct{}
	logs     *lockedBuffer
	ownDir   bool
}

// DefaultBinary is where scripts/fetch-seaweedfs.sh puts the weed binary:
// $BERTH_WEED_BIN if set, else berth/seaweedfs-<version>/weed under the
// user's cache directory.
func DefaultBinary() string {
	if bin := os.Getenv("BERTH_WEED_BIN"); bin != "" {
		return bin
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "weed"
	}
	return filepath.Join(cache, "berth", "seaweedfs-"+SeaweedFSVersion, "weed")
}

// Binary returns DefaultBinary. Without it the test is skipped, or fails
// when BERTH_REQUIRE_TOOLS=1, naming what is missing.
func Binary(tb testing.TB) string {
	tb.Helper()
	bin := DefaultBinary()
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
func freePorts(n int) ([]int, error) {
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
			return nil, err
		}
		lns = append(lns, ln)
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	return ports, nil
}

// Start runs `weed server -s3` until the test ends, and returns once its
// S3 API answers.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s, err := Run(Binary(tb), tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		s.Close()
		if tb.Failed() {
			tb.Logf("weed server:\n%s", s.Logs())
		}
	})
	return s
}

// Run starts bin (`weed server -s3`) with its data in dir ("" for a new
// temporary directory, removed by Close) on free loopback ports, and
// returns once its S3 API answers. Close stops it.
func Run(bin, dir string) (*Server, error) {
	s := &Server{dir: dir, exited: make(chan struct{}), logs: &lockedBuffer{}}
	if dir == "" {
		d, err := os.MkdirTemp("", "seaweedfs-")
		if err != nil {
			return nil, err
		}
		s.dir, s.ownDir = d, true
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	p, err := freePorts(9)
	if err != nil {
		return nil, err
	}
	port := func(i int) string { return strconv.Itoa(p[i]) }
	args := []string{"server", "-dir=" + s.dir, "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
		"-master.port=" + port(0), "-master.port.grpc=" + port(1),
		"-volume.port=" + port(2), "-volume.port.grpc=" + port(3),
		"-filer.port=" + port(4), "-filer.port.grpc=" + port(5),
		"-s3", "-s3.port=" + port(6), "-s3.port.grpc=" + port(7),
		"-metricsPort=" + port(8), "-s3.port.iceberg=0", "-s3.port.lance=0",
		"-master.telemetry=false", // no traffic leaves the machine
		"-master.volumeSizeLimitMB=1024", "-volume.max=0"}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Dir = s.dir
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		s.cleanDir()
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	go func() { s.cmd.Wait(); close(s.exited) }()
	s.Endpoint = "http://127.0.0.1:" + port(6)
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			s.cleanDir()
			return nil, fmt.Errorf("weed server exited at start:\n%s", s.logs.String())
		default:
		}
		// Anonymous ListBuckets: answers 200 once the S3 gateway has
		// reached the filer.
		if resp, err := http.Get(s.Endpoint + "/"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.Close()
	return nil, fmt.Errorf("weed server's S3 API did not answer within 90s:\n%s", s.logs.String())
}

// Close stops the server (SIGINT, then SIGKILL after 10s) and removes a
// data directory Run made.
func (s *Server) Close() {
	s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
	s.cleanDir()
}

func (s *Server) cleanDir() {
	if s.ownDir {
		os.RemoveAll(s.dir)
	}
}

// Logs is what the server printed (its first MiB).
func (s *Server) Logs() string { return s.logs.String() }

// CreateBucket creates a bucket, retrying while the volume servers
// register.
func (s *Server) CreateBucket(name string) error {
	var last string
	for range 100 {
		req, err := http.NewRequest(http.MethodPut, s.Endpoint+"/"+name, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("creating bucket %s: %s", name, last)
}

// Bucket creates a bucket and returns its name.
func (s *Server) Bucket(tb testing.TB, name string) string {
	tb.Helper()
	if err := s.CreateBucket(name); err != nil {
		tb.Fatal(err)
	}
	return name
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
