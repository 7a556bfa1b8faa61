package keys

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestConcurrentCounting admits and ends calls from many goroutines while
// reconciles run beside them, then checks that the database holds every
// request and token exactly once: a count written is never kept as
// pending too, and one counted meanwhile is never lost.
func TestConcurrentCounting(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			clock := newFakeClock(t0.Add(10 * time.Second))
			s := openStore(t, b.uri(t), clock)
			secrets := make([]string, 3)
			ids := make([]string, 3)
			for i := range secrets {
				var k Key
				secrets[i], k = mustCreate(t, s, Spec{Name: "k" + string(rune('a'+i))})
				ids[i] = k.ID
			}
			g := newGuard(t, s, clock)
			stop := make(chan struct{})
			var reconciles atomic.Int64
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					if err := g.Reconcile(ctx); err != nil {
						t.Error(err)
						return
					}
					reconciles.Add(1)
				}
			}()
			const workers, calls = 8, 300
			var made atomic.Int64
			var callers sync.WaitGroup
			for w := range workers {
				callers.Add(1)
				go func() {
					defer callers.Done()
					// At least calls each, and on until reconciles have run
					// beside them.
					for i := 0; i < calls || reconciles.Load() < 5; i++ {
						tk, err := g.AdmitSecret(ctx, secrets[(w+i)%len(secrets)], "chat")
						if err != nil {
							t.Error(err)
							return
						}
						tk.Done("m", 2, 1)
						made.Add(1)
					}
				}()
			}
			callers.Wait()
			close(stop)
			wg.Wait()
			if err := g.Reconcile(ctx); err != nil {
				t.Fatal(err)
			}
			var requests, tokens int64
			for _, id := range ids {
				u, err := s.UsageOf(ctx, id, PerMinute, clock.Now())
				if err != nil {
					t.Fatal(err)
				}
				requests += u.Requests
				tokens += u.Tokens
			}
			if n := made.Load(); requests != n || tokens != 3*n {
				t.Fatalf("database has %d requests and %d tokens, want %d and %d", requests, tokens, n, 3*n)
			}
			t.Logf("%d calls, %d reconciles beside them", made.Load(), reconciles.Load())
			// And this process's view agrees: nothing pending, seen = total.
			for _, ks := range g.byID {
				for id, c := range ks.cells {
					if c.pending != (Usage{}) {
						t.Errorf("%v still pending %+v after the last reconcile", id, c.pending)
					}
				}
			}
		})
	}
}

// TestApplyKeepsCounts checks a reconcile's bookkeeping for one key: what
// was written leaves pending as it arrives in the totals, and what was
// counted after the snapshot stays pending.
func TestApplyKeepsCounts(t *testing.T) {
	now := slot{PerMinute, t0.Unix()}
	old := slot{PerMinute, t0.Unix() - 120}
	ks := &keyState{cells: map[slot]*cell{
		now: {seen: Usage{Requests: 10}, pending: Usage{Requests: 7, Tokens: 4}}, // 5 and 4 snapshotted, 2 since
		old: {seen: Usage{Requests: 3}},
	}}
	from := map[Period]int64{PerMinute: t0.Unix() - 60}
	// The database had 10 + 5 from here + 6 from another replica.
	ks.apply(map[slot]Usage{now: {Requests: 5, Tokens: 4}}, map[slot]Usage{now: {Requests: 21, Tokens: 4},
		{PerDay, PerDay.start(t0)}: {Requests: 40}}, from)
	if got := ks.usageAt(PerMinute, now.start); got != (Usage{Requests: 23, Tokens: 4}) {
		t.Fatalf("minute = %+v, want 21 in the database + 2 pending", got)
	}
	if c := ks.cells[now]; c.pending != (Usage{Requests: 2}) {
		t.Fatalf("pending = %+v", c.pending)
	}
	if _, ok := ks.cells[old]; ok {
		t.Fatal("a minute long over is still kept")
	}
	if got := ks.usage(PerDay, t0); got.Requests != 40 {
		t.Fatalf("day = %+v, want the database's 40", got)
	}
}
