// Package replicatest runs several real `berth server` processes on one
// PostgreSQL database and one S3 bucket behind a real HAProxy, on loopback
// ports, for the scale-out tests and bench/cmd/replicabench.
package replicatest

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/template"
	"time"
)

// Config says what a Cluster runs.
type Config struct {
	Berth       string   // the berth binary
	HAProxy     string   // the haproxy binary; default "haproxy" from PATH
	PostgresURI string   // --backend-store-uri every replica shares
	Artifacts   string   // --artifacts-destination every replica shares (s3://bucket/prefix)
	S3Endpoint  string   // --s3-endpoint-url; empty: AWS
	Env         []string // added to each replica's environment (AWS_* credentials)
	Replicas    int      // default 3
	Dir         string   // logs and the HAProxy config; must exist
	Args        []string // more berth server flags for every replica
}

// Cluster is N berth server replicas behind HAProxy.
type Cluster struct {
	// URL is HAProxy's frontend, http://127.0.0.1:PORT.
	URL string
	// StatsURL is HAProxy's stats page; StatsURL+";csv" is its CSV form.
	StatsURL string
	Replicas []*Replica
	haproxy  *process
}

// Replica is one berth server process.
type Replica struct {
	Name string // its server name in HAProxy: r0, r1, ...
	URL  string // http://127.0.0.1:PORT, bypassing HAProxy
	proc *process
}

// process is a started command whose output goes to a log file.
type process struct {
	cmd    *exec.Cmd
	log    string
	exited chan struct{}
	once   sync.Once
}

func start(name, logPath string, env []string, args ...string) (*process, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &process{cmd: cmd, log: logPath, exited: make(chan struct{})}
	go func() { cmd.Wait(); f.Close(); close(p.exited) }()
	return p, nil
}

// stop kills the process (SIGKILL) and waits for it.
func (p *process) stop() {
	p.once.Do(func() {
		p.cmd.Process.Signal(syscall.SIGKILL)
	})
	<-p.exited
}

func (p *process) logs() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// FreePorts returns n distinct free loopback ports.
func FreePorts(n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// HAProxyConfig is the configuration a Cluster gives HAProxy, the one
// deploy/haproxy/haproxy.cfg shows: round robin, a health check on
// /health every 250ms (down after 2 failures, up after 2 successes), a
// request whose connection fails retried on another replica (never one
// already sent: a write is not repeated), and a stats page.
const HAProxyConfig = `global
    maxconn 4096
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout http-request 30s
    retries 3
    option redispatch 1
frontend berth
    bind 127.0.0.1:{{.Port}}
    default_backend berth_servers
backend berth_servers
    balance roundrobin
    option httpchk GET /health
    http-check expect status 200
    default-server inter 250ms fastinter 100ms downinter 500ms fall 2 rise 2
{{- range .Servers}}
    server {{.Name}} {{.Addr}} check
{{- end}}
listen stats
    bind 127.0.0.1:{{.StatsPort}}
    stats enable
    stats uri /stats
`

var haproxyTmpl = template.Must(template.New("haproxy").Parse(HAProxyConfig))

// Start starts the replicas, waits for each to answer /health, then
// starts HAProxy and waits until it has every replica up. Close stops
// them all.
func Start(ctx context.Context, cfg Config) (_ *Cluster, err error) {
	if cfg.Replicas <= 0 {
		cfg.Replicas = 3
	}
	if cfg.HAProxy == "" {
		cfg.HAProxy = "haproxy"
	}
	ports, err := FreePorts(cfg.Replicas + 2)
	if err != nil {
		return nil, err
	}
	c := &Cluster{URL: fmt.Sprintf("http://127.0.0.1:%d", ports[0]), StatsURL: fmt.Sprintf("http://127.0.0.1:%d/stats", ports[1])}
	defer func() {
		if err != nil {
			err = fmt.Errorf("%w%s", err, c.Logs())
			c.Close()
		}
	}()
	type srv struct{ Name, Addr string }
	var servers []srv
	for i := range cfg.Replicas {
		port := ports[2+i]
		r := &Replica{Name: "r" + strconv.Itoa(i), URL: fmt.Sprintf("http://127.0.0.1:%d", port)}
		args := []string{"server", "--host", "127.0.0.1", "--port", strconv.Itoa(port),
			"--backend-store-uri", cfg.PostgresURI, "--artifacts-destination", cfg.Artifacts}
		if cfg.S3Endpoint != "" {
			args = append(args, "--s3-endpoint-url", cfg.S3Endpoint)
		}
		args = append(args, cfg.Args...)
		if r.proc, err = start(cfg.Berth, filepath.Join(cfg.Dir, r.Name+".log"), cfg.Env, args...); err != nil {
			return nil, err
		}
		c.Replicas = append(c.Replicas, r)
		servers = append(servers, srv{r.Name, fmt.Sprintf("127.0.0.1:%d", port)})
	}
	for _, r := range c.Replicas {
		if err := waitHealthy(ctx, r.URL+"/health", r.proc, 60*time.Second); err != nil {
			return nil, fmt.Errorf("replica %s: %w", r.Name, err)
		}
	}
	var conf bytes.Buffer
	if err := haproxyTmpl.Execute(&conf, map[string]any{"Port": ports[0], "StatsPort": ports[1], "Servers": servers}); err != nil {
		return nil, err
	}
	confPath := filepath.Join(cfg.Dir, "haproxy.cfg")
	if err := os.WriteFile(confPath, conf.Bytes(), 0o644); err != nil {
		return nil, err
	}
	if c.haproxy, err = start(cfg.HAProxy, filepath.Join(cfg.Dir, "haproxy.log"), nil, "-f", confPath, "-db"); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, err := c.Status(ctx)
		up := 0
		for _, r := range c.Replicas {
			if strings.HasPrefix(st[r.Name], "UP") {
				up++
			}
		}
		if err == nil && up == len(c.Replicas) {
			return c, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("HAProxy did not see every replica up within 20s: %v %v", st, err)
		}
		select {
		case <-c.haproxy.exited:
			return nil, fmt.Errorf("haproxy exited")
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func waitHealthy(ctx context.Context, url string, p *process, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer 200 within %s: %v", url, limit, err)
		}
		select {
		case <-p.exited:
			return fmt.Errorf("exited before answering %s", url)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// ServerStats is one server's row of HAProxy's stats.
type ServerStats struct {
	Status   string // UP, DOWN, "UP 1/2" ...
	Sessions int64  // stot: connections it was given
	Requests int64  // req_tot: HTTP requests it was given
}

// Stats reads HAProxy's stats for the backend's servers, by name.
func (c *Cluster) Stats(ctx context.Context) (map[string]ServerStats, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.StatsURL+";csv", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	r := csv.NewReader(resp.Body)
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("reading HAProxy stats: %w", err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("HAProxy stats: empty")
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[strings.TrimPrefix(h, "# ")] = i
	}
	out := map[string]ServerStats{}
	for _, row := range rows[1:] {
		if len(row) <= col["req_tot"] || row[col["pxname"]] != "berth_servers" {
			continue
		}
		name := row[col["svname"]]
		if name == "BACKEND" || name == "FRONTEND" {
			continue
		}
		stot, _ := strconv.ParseInt(row[col["stot"]], 10, 64)
		reqs, _ := strconv.ParseInt(row[col["req_tot"]], 10, 64)
		out[name] = ServerStats{Status: row[col["status"]], Sessions: stot, Requests: reqs}
	}
	return out, nil
}

// Status returns each server's HAProxy status by name.
func (c *Cluster) Status(ctx context.Context) (map[string]string, error) {
	st, err := c.Stats(ctx)
	out := map[string]string{}
	for k, v := range st {
		out[k] = v.Status
	}
	return out, err
}

// Kill sends SIGKILL to replica i and waits for it to exit.
func (c *Cluster) Kill(i int) { c.Replicas[i].proc.stop() }

// WaitStatus waits until HAProxy reports replica i with a status that
// starts with want ("DOWN", "UP"), and returns how long that took.
func (c *Cluster) WaitStatus(ctx context.Context, i int, want string, limit time.Duration) (time.Duration, error) {
	start := time.Now()
	for {
		st, err := c.Status(ctx)
		if err == nil && strings.HasPrefix(st[c.Replicas[i].Name], want) {
			return time.Since(start), nil
		}
		if time.Since(start) > limit {
			return time.Since(start), fmt.Errorf("HAProxy did not mark %s %s within %s: %v %v", c.Replicas[i].Name, want, limit, st, err)
		}
		select {
		case <-ctx.Done():
			return time.Since(start), ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// Logs returns the replicas' and HAProxy's output, for a failure message.
func (c *Cluster) Logs() string {
	var b strings.Builder
	for _, r := range c.Replicas {
		if r.proc != nil {
			fmt.Fprintf(&b, "\n--- %s log:\n%s", r.Name, tail(r.proc.logs(), 4000))
		}
	}
	if c.haproxy != nil {
		fmt.Fprintf(&b, "\n--- haproxy log:\n%s", tail(c.haproxy.logs(), 4000))
	}
	return b.String()
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// Close stops HAProxy and every replica.
func (c *Cluster) Close() {
	if c.haproxy != nil {
		c.haproxy.stop()
	}
	for _, r := range c.Replicas {
		if r.proc != nil {
			r.proc.stop()
		}
	}
}

// PID is the replica's process id.
func (r *Replica) PID() int { return r.proc.cmd.Process.Pid }

// HAProxyPID is HAProxy's process id.
func (c *Cluster) HAProxyPID() int { return c.haproxy.cmd.Process.Pid }
