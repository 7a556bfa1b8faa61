package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// errUnknownFlag is a server that exited at once because it does not know
// one of its flags: a berth built before the flags this bench passes.
var errUnknownFlag = errors.New("unknown flag")

// proc is a server the bench started.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  *tail
	done chan struct{} // closed once the process has exited
	once sync.Once
}

// startServer runs argv, then polls readyURL until it answers 200. It
// fails when the process exits first (with errUnknownFlag when its output
// says so) or after limit.
func startServer(ctx context.Context, name string, argv []string, readyURL string, limit time.Duration) (*proc, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	p := &proc{name: name, cmd: cmd, log: &tail{max: 8 << 10}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() { cmd.Wait(); close(p.done) }()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(limit)
	for {
		select {
		case <-p.done:
			out := p.log.String()
			if strings.Contains(out, "unknown flag") {
				return nil, fmt.Errorf("starting %s: %w: %s", name, errUnknownFlag, out)
			}
			return nil, fmt.Errorf("starting %s: exited before it was ready (%s): %s", name, cmd.ProcessState, out)
		default:
		}
		if resp, err := client.Get(readyURL); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("starting %s: %s not ready after %s: %s", name, readyURL, limit, p.log.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// pid is the server's process id.
func (p *proc) pid() int { return p.cmd.Process.Pid }

// stop interrupts the server and waits for it to exit (killing it after
// five seconds).
func (p *proc) stop() {
	p.once.Do(func() {
		p.cmd.Process.Signal(os.Interrupt)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
		}
	})
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.b))
}
