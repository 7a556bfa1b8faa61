package keys

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestReplicasShareLimits runs "replicas" (each its own Store and Guard on
// one database, as separate processes would be) that each receive a
// steady stream of calls on one key, and checks the documented bound:
// in every clock minute the replicas together admit at most
//
//	L + (N-1) × 2T × r
//
// for a limit L, N replicas reconciling every T, each offered r calls a
// second. Unreconciled, they would admit N × L.
func TestReplicasShareLimits(t *testing.T) {
	const (
		limit    = 60                     // requests per minute
		interval = time.Second            // reconcile interval T
		step     = 100 * time.Millisecond // each replica is offered a call every step: r = 10/s
		rate     = float64(time.Second / step)
	)
	for _, b := range backends(t) {
		for _, n := range []int{2, 3} {
			t.Run(fmt.Sprintf("%s/%d", b.name, n), func(t *testing.T) {
				ctx := context.Background()
				clock := newFakeClock(t0)
				uri := b.uri(t)
				first := openStore(t, uri, clock)
				secret, _ := mustCreate(t, first, Spec{Name: "shared", Limits: Limits{RequestsPerMinute: limit}})
				guards := make([]*Guard, n)
				for i := range guards {
					guards[i] = newGuard(t, openStore(t, uri, clock), clock, WithReconcileInterval(interval))
				}
				overshoot := float64(n-1) * 2 * interval.Seconds() * rate
				perMinute := map[int64][]int{} // minute -> admitted per replica
				const minutes = 3
				for tick := time.Duration(0); tick < minutes*time.Minute; tick += step {
					clock.Set(t0.Add(tick))
					for i, g := range guards {
						// Replicas reconcile out of step with each other.
						offset := time.Duration(i*int(interval/step)/n) * step
						if (tick+offset)%interval == 0 {
							if err := g.Reconcile(ctx); err != nil {
								t.Fatalf("replica %d: %v", i, err)
							}
						}
						m := PerMinute.start(clock.Now())
						if perMinute[m] == nil {
							perMinute[m] = make([]int, n)
						}
						if _, err := g.AdmitSecret(ctx, secret, "chat"); err == nil {
							perMinute[m][i]++
						} else {
							wantRefusal(t, err, KindRateLimited)
						}
					}
				}
				for m, counts := range perMinute {
					total := 0
					for _, c := range counts {
						total += c
					}
					t.Logf("minute %s: admitted %v = %d (limit %d, allowance %.0f)", time.Unix(m, 0).UTC().Format("15:04"), counts, total, limit, overshoot)
					if float64(total) > limit+overshoot {
						t.Errorf("minute %s: %d admitted across %d replicas %v, more than %d + %.0f", time.Unix(m, 0).UTC().Format("15:04"), total, n, counts, limit, overshoot)
					}
					if m == t0.Unix() && total < limit {
						t.Errorf("first minute: %d admitted, fewer than the limit %d", total, limit)
					}
				}
				// The database holds every replica's count once written.
				for _, g := range guards {
					if err := g.Reconcile(ctx); err != nil {
						t.Fatal(err)
					}
				}
				var sum int64
				for m := range perMinute {
					u, err := first.UsageOf(ctx, mustKeyID(t, first, "shared"), PerMinute, time.Unix(m, 0))
					if err != nil {
						t.Fatal(err)
					}
					want := 0
					for _, c := range perMinute[m] {
						want += c
					}
					if u.Requests != int64(want) {
						t.Errorf("minute %d: database has %d requests, replicas admitted %d", m, u.Requests, want)
					}
					sum += u.Requests
				}
				if sum == 0 {
					t.Fatal("nothing counted")
				}
			})
		}
	}
}
