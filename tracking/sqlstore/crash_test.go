package sqlstore_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berthml/berth/tracking"
	"github.com/berthml/berth/tracking/sqlstore"
)

const (
	crashDBEnv  = "BERTH_CRASH_CHILD_DB"
	crashRunEnv = "BERTH_CRASH_CHILD_RUN"
)

// TestCrashChild is the child half of TestCrashSafety: it logs metrics in a
// loop and prints "ack N" after each write returns, until it is killed.
func TestCrashChild(t *testing.T) {
	path, run := os.Getenv(crashDBEnv), os.Getenv(crashRunEnv)
	if path == "" {
		t.Skip("only run as TestCrashSafety's child process")
	}
	ctx := context.Background()
	s, err := sqlstore.Open(ctx, path, artifactRoot)
	if err != nil {
		fmt.Println("open failed:", err)
		os.Exit(2)
	}
	for i := 0; ; i++ {
		var err error
		if i%2 == 0 {
			err = s.LogMetric(ctx, run, tracking.Metric{Key: "m", Value: float64(i), Step: int64(i)})
		} else {
			err = s.LogBatch(ctx, run, []tracking.Metric{{Key: "m", Value: float64(i), Step: int64(i)}},
				[]tracking.Param{{Key: "p" + strconv.Itoa(i), Value: "v"}}, nil)
		}
		if err != nil {
			fmt.Println("write failed:", err)
			os.Exit(2)
		}
		fmt.Printf("ack %d\n", i)
	}
}

// TestCrashSafety kills a writing child process with SIGKILL and checks that
// the database reopens cleanly and holds every write the child acknowledged.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	ctx := context.Background()
	s, path := openSQLite(t)
	run := mustRun(t, s, "0").Info.RunID
	s.Close()

	for round := 0; round < 3; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
		cmd.Env = append(os.Environ(), crashDBEnv+"="+path, crashRunEnv+"="+run)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		acked := -1
		sc := bufio.NewScanner(out)
		deadline := time.Now().Add(700 * time.Millisecond)
		for sc.Scan() {
			line := sc.Text()
			if n, ok := strings.CutPrefix(line, "ack "); ok {
				acked, _ = strconv.Atoi(n)
			} else if strings.Contains(line, "failed") {
				t.Fatalf("child: %s", line)
			}
			if time.Now().After(deadline) && acked >= 20 {
				break
			}
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		if acked < 0 {
			t.Fatalf("round %d: child acknowledged nothing", round)
		}

		re, err := sqlstore.Open(ctx, path, artifactRoot)
		if err != nil {
			t.Fatalf("round %d: reopening after SIGKILL: %v", round, err)
		}
		h, err := re.GetMetricHistory(ctx, run, "m")
		if err != nil {
			t.Fatal(err)
		}
		have := map[int64]bool{}
		for _, m := range h {
			have[m.Step] = true
		}
		for i := 0; i <= acked; i++ {
			if !have[int64(i)] {
				t.Fatalf("round %d: acknowledged write %d is missing after the crash (%d values, acked up to %d)", round, i, len(h), acked)
			}
		}
		r, err := re.GetRun(ctx, run)
		if err != nil {
			t.Fatal(err)
		}
		params := map[string]bool{}
		for _, p := range r.Data.Params {
			params[p.Key] = true
		}
		for i := 1; i <= acked; i += 2 {
			if !params["p"+strconv.Itoa(i)] {
				t.Fatalf("round %d: acknowledged batch %d lost its param", round, i)
			}
		}
		t.Logf("round %d: %d writes acknowledged, %d metric values on disk", round, acked+1, len(h))
		// Each round the child rewrites from 0; identical values are no-ops.
		re.Close()
	}
}
