package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/berthml/berth/tracking"
	"github.com/berthml/berth/tracking/sqlstore"
)

// TestConcurrentWriters logs metrics from many goroutines to a shared run
// and to per-goroutine runs, with params, tags and batches mixed in, and
// checks that nothing is lost and no "database is locked" error escapes.
func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	const workers, perWorker = 16, 40
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			s, _ := b.open(t)
			shared := mustRun(t, s, "0").Info.RunID
			own := make([]string, workers)
			for i := range own {
				own[i] = mustRun(t, s, "0").Info.RunID
			}
			var wg sync.WaitGroup
			errs := make(chan error, workers)
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					for i := 0; i < perWorker; i++ {
						m := tracking.Metric{Key: fmt.Sprintf("w%d", w), Value: float64(i), Timestamp: int64(i), Step: int64(i)}
						if err := s.LogMetric(ctx, shared, m); err != nil {
							errs <- fmt.Errorf("shared LogMetric: %w", err)
							return
						}
						if err := s.LogBatch(ctx, own[w], []tracking.Metric{{Key: "loss", Value: float64(i), Step: int64(i)}},
							[]tracking.Param{{Key: fmt.Sprintf("p%d", i), Value: "v"}}, []tracking.Tag{{Key: "t", Value: fmt.Sprint(i)}}); err != nil {
							errs <- fmt.Errorf("own LogBatch: %w", err)
							return
						}
						if _, err := s.GetRun(ctx, shared); err != nil {
							errs <- fmt.Errorf("GetRun: %w", err)
							return
						}
					}
				}(w)
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			for w := 0; w < workers; w++ {
				h, err := s.GetMetricHistory(ctx, shared, fmt.Sprintf("w%d", w))
				if err != nil || len(h) != perWorker {
					t.Errorf("worker %d: %d values on the shared run, want %d (%v)", w, len(h), perWorker, err)
				}
				r, err := s.GetRun(ctx, own[w])
				if err != nil || len(r.Data.Params) != perWorker || tagValue(r.Data.Tags, "t") != fmt.Sprint(perWorker-1) {
					t.Errorf("worker %d: run has %d params, tag %q (%v)", w, len(r.Data.Params), tagValue(r.Data.Tags, "t"), err)
				}
				if h, _ := s.GetMetricHistory(ctx, own[w], "loss"); len(h) != perWorker {
					t.Errorf("worker %d: %d loss values, want %d", w, len(h), perWorker)
				}
			}
		})
	}
}

// TestConcurrentModelVersions creates versions of one model concurrently:
// every version number is handed out exactly once.
func TestConcurrentModelVersions(t *testing.T) {
	ctx := context.Background()
	forEachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		if _, err := s.CreateRegisteredModel(ctx, "m", "", nil); err != nil {
			t.Fatal(err)
		}
		const n = 20
		var wg sync.WaitGroup
		versions := make(chan string, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				v, err := s.CreateModelVersion(ctx, tracking.CreateModelVersion{Name: "m", Source: "s3://b/m"})
				if err != nil {
					t.Error(err)
					return
				}
				versions <- v.Version
			}()
		}
		wg.Wait()
		close(versions)
		seen := map[string]bool{}
		for v := range versions {
			if seen[v] {
				t.Errorf("version %s handed out twice", v)
			}
			seen[v] = true
		}
		if len(seen) != n {
			t.Errorf("%d distinct versions, want %d", len(seen), n)
		}
	})
}

// TestTwoStoresOneFile opens the same SQLite file twice (as two processes
// would) and writes through both at once.
func TestTwoStoresOneFile(t *testing.T) {
	ctx := context.Background()
	a, path := openSQLite(t)
	b, err := sqlstore.Open(ctx, path, artifactRoot)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	run := mustRun(t, a, "0").Info.RunID
	var wg sync.WaitGroup
	for i, s := range []*sqlstore.Store{a, b} {
		wg.Add(1)
		go func(i int, s *sqlstore.Store) {
			defer wg.Done()
			for j := 0; j < 100; j++ {
				if err := s.LogMetric(ctx, run, tracking.Metric{Key: fmt.Sprintf("s%d", i), Value: 1, Step: int64(j)}); err != nil {
					t.Error(err)
					return
				}
			}
		}(i, s)
	}
	wg.Wait()
	for i := 0; i < 2; i++ {
		if h, _ := a.GetMetricHistory(ctx, run, fmt.Sprintf("s%d", i)); len(h) != 100 {
			t.Errorf("store %d: %d values, want 100", i, len(h))
		}
	}
}

// TestConcurrentUpdateTag appends to one tag from many goroutines at once:
// every append survives (on PostgreSQL the run's row lock is what makes it
// so).
func TestConcurrentUpdateTag(t *testing.T) {
	ctx := context.Background()
	const workers, perWorker = 8, 10
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			s, _ := b.open(t)
			run := mustRun(t, s, "0").Info.RunID
			var wg sync.WaitGroup
			errs := make(chan error, workers)
			for range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range perWorker {
						if err := s.UpdateTag(ctx, run, "history", func(old string, _ bool) (string, error) {
							return old + "x", nil
						}); err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			r, err := s.GetRun(ctx, run)
			if err != nil {
				t.Fatal(err)
			}
			for _, tag := range r.Data.Tags {
				if tag.Key == "history" && len(tag.Value) != workers*perWorker {
					t.Errorf("tag holds %d appends, want %d", len(tag.Value), workers*perWorker)
				}
			}
			err = s.UpdateTag(ctx, "no-such-run", "k", func(string, bool) (string, error) { return "v", nil })
			if !errors.Is(err, tracking.ErrNotFound) {
				t.Errorf("UpdateTag on an unknown run: %v, want not found", err)
			}
		})
	}
}
