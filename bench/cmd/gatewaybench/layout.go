package main

// Where the bench's upstreams and gateways run: in this process, each in a
// process of its own (this binary run again with -role), or pinned to a CPU.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/berthml/berth/gateway"
)

// layout says where the upstreams and gateways run.
type layout int

const (
	layoutProcesses layout = iota // each upstream and gateway in a process of its own
	layoutInProcess               // everything in this process
	layoutPinned                  // client and upstreams here on CPU 0, each gateway a process on CPU 1
)

func (l layout) String() string {
	switch l {
	case layoutInProcess:
		return "upstreams, gateways and clients all in this process"
	case layoutPinned:
		return "clients and upstreams in this process on CPU 0 (GOMAXPROCS=1), each gateway a process of its own on CPU 1 (GOMAXPROCS=1)"
	}
	return "upstreams and gateways each in a process of their own"
}

// pinnedEnv marks the load generator's process once -pin has restarted it
// on CPU 0.
const pinnedEnv = "BERTH_GATEWAYBENCH_PINNED"

// repin starts this command again under taskset on CPU 0 with
// GOMAXPROCS=1, passing its output through, and exits with its status.
func repin() error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command("taskset", append([]string{"-c", "0", self}, os.Args[1:]...)...)
	cmd.Env = append(os.Environ(), pinnedEnv+"=1", "GOMAXPROCS=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			os.Exit(ee.ExitCode())
		}
		return fmt.Errorf("-pin: running under taskset: %w", err)
	}
	os.Exit(0)
	return nil
}

// servers starts the upstreams and gateways, in this process or in
// children.
type servers struct {
	layout    layout
	ctx       context.Context
	stops     []func()
	gcPercent int // the gateway children's -gc-percent
}

func (s *servers) close() {
	for i := len(s.stops) - 1; i >= 0; i-- {
		s.stops[i]()
	}
}

// upstream starts a stand-in upstream (serveUpstream) answering after
// delay; it returns its URL.
func (s *servers) upstream(delay time.Duration) (string, error) {
	if s.layout != layoutProcesses {
		answer, err := cannedAnswer(directBody)
		if err != nil {
			return "", err
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
		go func() { _ = serveUpstream(ln, delay, answer) }()
		s.stops = append(s.stops, func() { ln.Close() })
		return "http://" + ln.Addr().String(), nil
	}
	url, _, _, stop, err := spawn("", false, "-role", "upstream", "-upstream-delay", delay.String())
	if err != nil {
		return "", err
	}
	s.stops = append(s.stops, stop)
	return url, nil
}

// gateway starts a gateway over upstream; guarded turns on gateway keys
// and an endpoint limit, and returns the key's secret too, and the
// gateway's process id (0 in process). profile, when not "", is where a
// child gateway writes its CPU profile.
func (s *servers) gateway(upstream string, guarded bool, profile string) (string, string, int, error) {
	if s.layout != layoutInProcess {
		args := []string{"-role", "gateway", "-upstream", upstream, "-gc-percent", strconv.Itoa(s.gcPercent)}
		if guarded {
			args = append(args, "-guarded")
		}
		if profile != "" {
			args = append(args, "-cpuprofile", profile)
		}
		url, secret, pid, stop, err := spawn("", s.layout == layoutPinned, args...)
		if err != nil {
			return "", "", 0, err
		}
		s.stops = append(s.stops, stop)
		return url, secret, pid, nil
	}
	var guard gateway.Guard
	var secret string
	if guarded {
		g, sec, stop, err := keyGuard(s.ctx)
		if err != nil {
			return "", "", 0, err
		}
		s.stops = append(s.stops, stop)
		guard, secret = g, sec
	}
	g, err := newGateway(upstream, guarded, guard)
	if err != nil {
		return "", "", 0, err
	}
	srv := httptest.NewServer(g.Handler())
	s.stops = append(s.stops, srv.Close)
	return srv.URL, secret, 0, nil
}

// spawn starts bin (this binary when "") with args, on CPU 1 with
// GOMAXPROCS=1 when pinned; the child prints "ADDR host:port" (and
// "SECRET s" first when it has one) and serves until its stdin closes.
// pid is the process serving (the taskset's, which execs bin).
func spawn(bin string, pinned bool, args ...string) (url, secret string, pid int, stop func(), err error) {
	if bin == "" {
		if bin, err = os.Executable(); err != nil {
			return "", "", 0, nil, err
		}
	}
	cmd := exec.Command(bin, args...)
	if pinned {
		cmd = exec.Command("taskset", append([]string{"-c", "1", bin}, args...)...)
		cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", "", 0, nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", "", 0, nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", "", 0, nil, err
	}
	stop = func() { stdin.Close(); _ = cmd.Wait() }
	r := bufio.NewReader(out)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			stop()
			return "", "", 0, nil, fmt.Errorf("child %v did not start: %w", args, err)
		}
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "SECRET "); ok {
			secret = v
		}
		if v, ok := strings.CutPrefix(line, "ADDR "); ok {
			return "http://" + v, secret, cmd.Process.Pid, stop, nil
		}
	}
}

// serveChild serves h on a loopback port, as listenChild says.
func serveChild(h http.Handler, secret, profile string) error {
	ln, err := listenChild(secret, profile)
	if err != nil {
		return err
	}
	return (&http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}).Serve(ln)
}

// childUpstream serves the stand-in upstream on a loopback port, as
// listenChild says.
func childUpstream(delay time.Duration) error {
	answer, err := cannedAnswer(directBody)
	if err != nil {
		return err
	}
	ln, err := listenChild("", "")
	if err != nil {
		return err
	}
	return serveUpstream(ln, delay, answer)
}

// listenChild listens on a loopback port for a child's server, prints the
// secret (if any) and the address for spawn, and ends the process when
// stdin closes; with profile, it writes the process's CPU profile there
// from now to then.
func listenChild(secret, profile string) (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	stop := func() {}
	if profile != "" {
		if stop, err = startProfile(profile); err != nil {
			return nil, err
		}
	}
	if secret != "" {
		fmt.Println("SECRET", secret)
	}
	fmt.Println("ADDR", ln.Addr().String())
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); stop(); os.Exit(0) }()
	return ln, nil
}

// startProfile starts a CPU profile into path; stop ends it.
func startProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func childGateway(upstream string, guarded bool, profile string) error {
	var guard gateway.Guard
	var secret string
	if guarded {
		g, sec, _, err := keyGuard(context.Background())
		if err != nil {
			return err
		}
		guard, secret = g, sec
	}
	g, err := newGateway(upstream, guarded, guard)
	if err != nil {
		return err
	}
	return serveChild(g.Handler(), secret, profile)
}
