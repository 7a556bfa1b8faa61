package sqlstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/berthml/berth/tracking/sqlstore"
	"github.com/berthml/berth/webhook"
)

func queueDelivery(id string, created time.Time) webhook.Delivery {
	return webhook.Delivery{ID: id, WebhookID: "hook-1", Event: webhook.RegisteredModelCreated,
		Body: []byte(`{"entity":"registered_model","data":{"name":"` + id + `"}}`), Timestamp: created.Unix(), Created: created}
}

// TestWebhookDeliveryQueue walks a delivery through the queue: stored up
// to the cap, claimed once under a lease, not claimable while leased or
// before its next attempt, claimable again once a lease runs out (its
// replica died), a stale lease's writes ignored, finished, pruned by age.
func TestWebhookDeliveryQueue(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		t0 := time.UnixMilli(1_800_000_000_000)
		n, err := s.EnqueueWebhookDeliveries(ctx, []webhook.Delivery{queueDelivery("d1", t0), queueDelivery("d2", t0), queueDelivery("d3", t0)}, 2)
		if err != nil || n != 2 {
			t.Fatalf("Enqueue 3 with max 2 = %d, %v; want 2 stored", n, err)
		}
		got, err := s.ClaimWebhookDeliveries(ctx, t0, time.Minute, 10)
		if err != nil || len(got) != 2 {
			t.Fatalf("Claim = %v, %v; want d1 and d2", got, err)
		}
		d1 := got[0]
		if d1.ID != "d1" && got[1].ID == "d1" {
			d1 = got[1]
		}
		if d1.ID != "d1" || d1.Event != webhook.RegisteredModelCreated || string(d1.Body) != string(queueDelivery("d1", t0).Body) ||
			d1.Timestamp != t0.Unix() || d1.Attempts != 0 || d1.Lease == "" || !d1.Created.Equal(t0) {
			t.Errorf("claimed %+v", d1)
		}
		if again, _ := s.ClaimWebhookDeliveries(ctx, t0.Add(30*time.Second), time.Minute, 10); len(again) != 0 {
			t.Errorf("claimed while leased: %v", again)
		}
		// d1 failed its first attempt: next one in 5s.
		if err := s.RescheduleWebhookDelivery(ctx, d1, 1, t0.Add(5*time.Second)); err != nil {
			t.Fatal(err)
		}
		if early, _ := s.ClaimWebhookDeliveries(ctx, t0.Add(4*time.Second), time.Minute, 10); len(early) != 0 {
			t.Errorf("claimed before its next attempt: %v", early)
		}
		re, err := s.ClaimWebhookDeliveries(ctx, t0.Add(5*time.Second), time.Minute, 10)
		if err != nil || len(re) != 1 || re[0].ID != "d1" || re[0].Attempts != 1 || re[0].Lease == d1.Lease {
			t.Fatalf("claim after reschedule = %+v, %v; want d1 with 1 attempt under a new lease", re, err)
		}
		// d2's replica died holding it: after its lease another claims it.
		late, err := s.ClaimWebhookDeliveries(ctx, t0.Add(61*time.Second), time.Minute, 10)
		if err != nil || len(late) != 1 || late[0].ID != "d2" {
			t.Fatalf("claim after d2's lease ran out = %+v, %v", late, err)
		}
		stale := got[0]
		if stale.ID != "d2" {
			stale = got[1]
		}
		// The dead replica's stale lease changes nothing.
		if err := s.FinishWebhookDelivery(ctx, stale); err != nil {
			t.Fatal(err)
		}
		if err := s.RescheduleWebhookDelivery(ctx, stale, 3, t0); err != nil {
			t.Fatal(err)
		}
		if _, left, _ := s.PruneWebhookDeliveries(ctx, t0); left != 2 {
			t.Errorf("%d left after a stale lease's finish, want 2", left)
		}
		for _, d := range []webhook.Delivery{re[0], late[0]} {
			if err := s.FinishWebhookDelivery(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		if _, left, _ := s.PruneWebhookDeliveries(ctx, t0); left != 0 {
			t.Errorf("%d left after both finished, want 0", left)
		}
		if n, _ := s.EnqueueWebhookDeliveries(ctx, []webhook.Delivery{queueDelivery("old", t0), queueDelivery("new", t0.Add(time.Hour))}, 10); n != 2 {
			t.Fatalf("stored %d, want 2", n)
		}
		pruned, left, err := s.PruneWebhookDeliveries(ctx, t0.Add(time.Minute))
		if err != nil || pruned != 1 || left != 1 {
			t.Errorf("Prune = %d, %d, %v; want 1 pruned, 1 left", pruned, left, err)
		}
	})
}

// TestWebhookDeliveryClaimsDisjoint has 8 claimers take from 200 queued
// deliveries at once: every delivery is claimed by exactly one.
func TestWebhookDeliveryClaimsDisjoint(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		t0 := time.UnixMilli(1_800_000_000_000)
		var ds []webhook.Delivery
		for i := range 200 {
			ds = append(ds, queueDelivery(fmt.Sprint("c", i), t0))
		}
		if n, err := s.EnqueueWebhookDeliveries(ctx, ds, 1000); err != nil || n != 200 {
			t.Fatalf("Enqueue = %d, %v", n, err)
		}
		var mu sync.Mutex
		seen := map[string]int{}
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					got, err := s.ClaimWebhookDeliveries(ctx, t0, time.Minute, 7)
					if err != nil {
						t.Error(err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, d := range got {
						seen[d.ID]++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(seen) != 200 {
			t.Errorf("%d deliveries claimed, want 200", len(seen))
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("%s claimed %d times", id, n)
			}
		}
	})
}

// TestDeleteWebhookDropsItsDeliveries: a deleted webhook's queued
// deliveries go with it.
func TestDeleteWebhookDropsItsDeliveries(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		w, err := s.CreateWebhook(ctx, webhook.Webhook{Name: "h", URL: "https://example.com/h", Events: []webhook.Event{webhook.RegisteredModelCreated}})
		if err != nil {
			t.Fatal(err)
		}
		d := queueDelivery("x", time.UnixMilli(1_800_000_000_000))
		d.WebhookID = w.ID
		if _, err := s.EnqueueWebhookDeliveries(ctx, []webhook.Delivery{d}, 10); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteWebhook(ctx, w.ID); err != nil {
			t.Fatal(err)
		}
		if _, left, _ := s.PruneWebhookDeliveries(ctx, time.UnixMilli(0)); left != 0 {
			t.Errorf("%d deliveries left after their webhook was deleted", left)
		}
	})
}
