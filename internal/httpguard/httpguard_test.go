package httpguard_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berthml/berth/internal/httpguard"
	"github.com/berthml/berth/internal/httpguard/guardtest"
)

// bodyServer answers 408 when reading the body hits the deadline, 200 with
// the body's length otherwise, and counts timeouts.
func bodyServer(t *testing.T, d time.Duration, slowHandler time.Duration) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var timeouts atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if errors.Is(err, httpguard.ErrBodyTimeout) {
			http.Error(w, err.Error(), http.StatusRequestTimeout)
			return
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		select {
		case <-time.After(slowHandler):
		case <-r.Context().Done():
			http.Error(w, "context ended", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, len(b))
	})
	srv := httptest.NewServer(httpguard.BodyDeadline(h, d, func(*http.Request) { timeouts.Add(1) }))
	t.Cleanup(srv.Close)
	return srv, &timeouts
}

func TestBodyDeadline(t *testing.T) {
	const d = 300 * time.Millisecond
	srv, timeouts := bodyServer(t, d, 0)
	addr := srv.Listener.Addr().String()
	const head = "POST / HTTP/1.1\r\nHost: x\r\n"
	for i, st := range guardtest.Stalls {
		t.Run(st.Name, func(t *testing.T) {
			resp, body, took := guardtest.Send(t, addr, head, st)
			if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(body), "within 300ms") {
				t.Fatalf("got %d %q, want 408 saying what the deadline was", resp.StatusCode, body)
			}
			if took > 2*time.Second {
				t.Errorf("answered after %s, deadline %s", took, d)
			}
			waitFor(t, func() bool { return timeouts.Load() == int64(i+1) })
		})
	}
	for _, st := range []guardtest.Stall{
		{Name: "whole body at once", Headers: "Content-Length: 3\r\n\r\nabc"},
		{Name: "chunked and ended", Headers: "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"},
	} {
		resp, body, _ := guardtest.Send(t, addr, head, st)
		if resp.StatusCode != http.StatusOK || string(body) != "3" {
			t.Errorf("%s: got %d %q, want 200 \"3\"", st.Name, resp.StatusCode, body)
		}
	}
	if n := timeouts.Load(); n != int64(len(guardtest.Stalls)) {
		t.Errorf("%d timeouts counted, want %d", n, len(guardtest.Stalls))
	}
}

// TestBodyDeadlinePerPart: a body larger than BodyPart that takes longer
// than the deadline in all is read whole as long as each part arrives
// within the deadline of the one before (a large upload over a slow
// link); a part that takes longer is cut off, however much came before.
func TestBodyDeadlinePerPart(t *testing.T) {
	const d = 600 * time.Millisecond
	srv, timeouts := bodyServer(t, d, 0)
	send := func(parts int, pause time.Duration) (int, string) {
		t.Helper()
		pr, pw := io.Pipe()
		go func() {
			part := make([]byte, httpguard.BodyPart)
			for i := range parts {
				if i > 0 {
					time.Sleep(pause)
				}
				if _, err := pw.Write(part); err != nil {
					return
				}
			}
			pw.Close()
		}()
		req, _ := http.NewRequest(http.MethodPost, srv.URL, pr)
		req.ContentLength = int64(parts) * httpguard.BodyPart
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			pr.CloseWithError(err)
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		pr.Close()
		return resp.StatusCode, string(b)
	}
	start := time.Now()
	if status, body := send(4, 300*time.Millisecond); status != http.StatusOK || body != fmt.Sprint(4*httpguard.BodyPart) {
		t.Errorf("4 MiB, a MiB every 300 ms (%s in all, deadline %s): %d %q, want it read whole", time.Since(start).Round(time.Millisecond), d, status, body)
	}
	if status, body := send(3, 1200*time.Millisecond); status != http.StatusRequestTimeout {
		t.Errorf("3 MiB, a MiB every 1.2 s (deadline %s): %d %q, want 408", d, status, body)
	}
	waitFor(t, func() bool { return timeouts.Load() == 1 })
}

// TestBodyDeadlineSlowHandler: once the body is in, the deadline no
// longer applies — a handler slower than it still answers.
func TestBodyDeadlineSlowHandler(t *testing.T) {
	srv, timeouts := bodyServer(t, 200*time.Millisecond, 600*time.Millisecond)
	resp, err := http.Post(srv.URL, "text/plain", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(b) != "5" {
		t.Fatalf("got %d %q, want 200 \"5\"", resp.StatusCode, b)
	}
	// The connection stays usable for the next request.
	resp2, err := http.Post(srv.URL, "text/plain", strings.NewReader("hi"))
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != 200 || timeouts.Load() != 0 {
		t.Fatalf("second request %d, timeouts %d", resp2.StatusCode, timeouts.Load())
	}
}

func TestBodyDeadlineOff(t *testing.T) {
	h := http.RedirectHandler("/", http.StatusFound)
	if got := httpguard.BodyDeadline(h, 0, nil); got != h {
		t.Errorf("d=0 wrapped the handler")
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatal("condition not met within 2s")
}

func TestHostAllowed(t *testing.T) {
	loop := httpguard.LoopbackHosts
	for _, c := range []struct {
		host    string
		allowed []string
		want    bool
	}{
		{"localhost:5000", loop, true},
		{"LOCALHOST:5000", loop, true},
		{"127.0.0.1:8080", loop, true},
		{"127.0.0.1", loop, true},
		{"[::1]:8080", loop, true},
		{"evil.example:5000", loop, false},
		{"attacker.test", loop, false},
		{"localhost.attacker.test:80", loop, false},
		{"127.0.0.2:80", loop, false},
		{"", loop, false},
		{"berth.internal:5000", []string{"berth.internal"}, true},
		{"berth.internal:5001", []string{"berth.internal:5000"}, false},
		{"berth.internal:5000", []string{"berth.internal:5000"}, true},
		{"a.models.example", []string{"*.models.example"}, true},
		{"models.example", []string{"*.models.example"}, false},
		{"anything:1", []string{"*"}, true},
		{"[", loop, false},
		{"1", loop, false}, // "[::1]" is no character class
		{":", loop, false},
	} {
		if got := httpguard.HostAllowed(c.host, c.allowed); got != c.want {
			t.Errorf("HostAllowed(%q, %v) = %v, want %v", c.host, c.allowed, got, c.want)
		}
	}
}

func TestAllowHosts(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	h := httpguard.AllowHosts(ok, httpguard.LoopbackHosts, "/health")
	for _, c := range []struct {
		host, path string
		want       int
	}{
		{"localhost:5000", "/api", 200},
		{"rebound.attacker.test", "/api", 403},
		{"rebound.attacker.test", "/health", 200},
	} {
		r := httptest.NewRequest("POST", c.path, nil)
		r.Host = c.host
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != c.want {
			t.Errorf("%s %s: %d, want %d", c.host, c.path, w.Code, c.want)
		}
		if c.want == 403 && w.Body.String() != httpguard.InvalidHostMessage {
			t.Errorf("403 body %q", w.Body.String())
		}
	}
	if httpguard.AllowHosts(ok, nil) == nil {
		t.Fatal("nil handler")
	}
}

func TestDefaultAllowedHosts(t *testing.T) {
	for host, wantCheck := range map[string]bool{
		"127.0.0.1": true, "localhost": true, "::1": true, "[::1]": true, "127.0.0.5": true,
		"0.0.0.0": false, "": false, "10.0.0.4": false, "berth.example": false,
	} {
		if got := httpguard.DefaultAllowedHosts(host) != nil; got != wantCheck {
			t.Errorf("DefaultAllowedHosts(%q) checks=%v, want %v", host, got, wantCheck)
		}
	}
}

func TestBearer(t *testing.T) {
	for _, c := range []struct {
		header, token string
		ok            bool
	}{
		{"Bearer abc", "abc", true},
		{"bearer abc", "abc", true},
		{"BEARER abc", "abc", true},
		{"Bearer  abc ", "abc", true},
		{"Basic abc", "", false},
		{"Bearer", "", false},
		{"Bearer ", "", false},
		{"", "", false},
		{"Bearerabc", "", false},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if c.header != "" {
			r.Header.Set("Authorization", c.header)
		}
		tok, ok := httpguard.Bearer(r)
		if tok != c.token || ok != c.ok {
			t.Errorf("%q: got %q %v, want %q %v", c.header, tok, ok, c.token, c.ok)
		}
	}
}

func FuzzHostAllowed(f *testing.F) {
	for _, s := range []string{"localhost:5000", "[::1]:1", "evil", "", "[", "a:b:c", "*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		// Never panics; loopback names with any port are allowed, and a
		// name that differs from them in its name part is not.
		got := httpguard.HostAllowed(host, httpguard.LoopbackHosts)
		if got && !strings.HasPrefix(strings.ToLower(host), "localhost") && !strings.HasPrefix(host, "127.0.0.1") &&
			!strings.HasPrefix(host, "[::1]") && !strings.HasPrefix(host, "::1") {
			t.Errorf("HostAllowed(%q) = true", host)
		}
	})
}
