package podmantest

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestWaitForProcessesUsing: a process naming the directory holds the
// wait until it ends; with none, the wait returns at once.
func TestWaitForProcessesUsing(t *testing.T) {
	dir := t.TempDir()
	// dir is the shell's $0, so in its command line; the ": " keeps the
	// shell from exec'ing sleep in its place. Its own process group, so
	// that the kill ends the sleep too.
	cmd := exec.Command("sh", "-c", "sleep 30; :", dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	// Until the child has exec'd, its command line is this test's.
	var left []string
	for range 200 {
		if left = processesUsing(dir); len(left) > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(left) != 1 || !strings.HasPrefix(left[0], "sh -c sleep 30; : ") {
		t.Fatalf("processesUsing found %q, want the sleep", left)
	}
	go func() { time.Sleep(300 * time.Millisecond); _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }()
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	start := time.Now()
	waitForProcessesUsing(t, dir, 10*time.Second)
	if waited := time.Since(start); waited < 250*time.Millisecond {
		t.Errorf("the wait returned after %v, while the sleep ran for 300 ms", waited)
	}
	<-done
	start = time.Now()
	waitForProcessesUsing(t, dir, 10*time.Second)
	if waited := time.Since(start); waited > time.Second {
		t.Errorf("with no process left the wait took %v", waited)
	}
}
