package replicatest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berthml/berth/internal/replicatest"
)

// testWebhooksOnce registers one webhook and creates registered models
// through HAProxy from concurrent clients: each event is delivered exactly
// once, whichever replica served its request (the replica that serves a
// request emits its event into its own queue; no other replica sees it).
func testWebhooksOnce(t *testing.T, c *replicatest.Cluster) {
	ctx := context.Background()
	var mu sync.Mutex
	got := map[string]int{}
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p struct {
			Entity string `json:"entity"`
			Data   struct {
				Name string `json:"name"`
			} `json:"data"`
		}
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &p); err != nil {
			t.Errorf("delivery body %.200s: %v", body, err)
		}
		mu.Lock()
		got[p.Data.Name]++
		mu.Unlock()
	}))
	defer recv.Close()
	if _, err := call(ctx, http.DefaultClient, "POST", c.URL+"/api/2.0/mlflow/webhooks", map[string]any{
		"name": "once", "url": recv.URL + "/hook", "secret": "0123456789abcdef",
		"events": []map[string]string{{"entity": "registered_model", "action": "created"}},
	}, nil); err != nil {
		t.Fatal(err)
	}
	const models = 30
	prefix := "hooked-" + time.Now().Format("150405000") + "-"
	var wg sync.WaitGroup
	for i := range models {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := call(ctx, http.DefaultClient, "POST", c.URL+"/api/2.0/mlflow/registered-models/create", map[string]any{"name": fmt.Sprint(prefix, i)}, nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	count := func() (names, deliveries int) {
		mu.Lock()
		defer mu.Unlock()
		for k, n := range got {
			if strings.HasPrefix(k, prefix) {
				names++
				deliveries += n
			}
		}
		return
	}
	deadline := time.Now().Add(15 * time.Second)
	for n, _ := count(); n < models && time.Now().Before(deadline); n, _ = count() {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second) // a second delivery of any event would come by now
	names, deliveries := count()
	t.Logf("%d models created through 3 replicas: %d delivered, %d deliveries", models, names, deliveries)
	for i := range models {
		if n := got[fmt.Sprint(prefix, i)]; n != 1 {
			t.Errorf("model %s%d: %d deliveries, want 1", prefix, i, n)
		}
	}
}

// testWebhooksRedelivered queues deliveries on one replica, kills it with
// SIGKILL while the receiver answers 503, and checks that another replica
// makes them from the shared queue (docs/scale-out.md): every event is
// answered 200 exactly once, every attempt of an event carries the same
// X-MLflow-Delivery-Id, and the 200s come after the kill (so not from the
// dead replica). Run after KillUnderLoad: it kills replica 0.
func testWebhooksRedelivered(t *testing.T, c *replicatest.Cluster) {
	ctx := context.Background()
	type attempt struct {
		id     string
		status int
		at     time.Time
	}
	var (
		mu      sync.Mutex
		healthy bool // answer 200 from now on
		got     = map[string][]attempt{}
	)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p struct {
			Data struct {
				Name string `json:"name"`
			} `json:"data"`
		}
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &p); err != nil {
			t.Errorf("delivery body %.200s: %v", body, err)
		}
		mu.Lock()
		status := http.StatusServiceUnavailable
		if healthy {
			status = http.StatusOK
		}
		got[p.Data.Name] = append(got[p.Data.Name], attempt{r.Header.Get("X-MLflow-Delivery-Id"), status, time.Now()})
		mu.Unlock()
		w.WriteHeader(status)
	}))
	defer recv.Close()
	if _, err := call(ctx, http.DefaultClient, "POST", c.URL+"/api/2.0/mlflow/webhooks", map[string]any{
		"name": "redelivered", "url": recv.URL + "/hook", "secret": "0123456789abcdef",
		"events": []map[string]string{{"entity": "registered_model", "action": "created"}},
	}, nil); err != nil {
		t.Fatal(err)
	}
	const models = 10
	prefix := "redelivered-" + time.Now().Format("150405000") + "-"
	r0 := c.Replicas[0].URL
	for i := range models {
		if _, err := call(ctx, http.DefaultClient, "POST", r0+"/api/2.0/mlflow/registered-models/create", map[string]any{"name": fmt.Sprint(prefix, i)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	attempted := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for i := range models {
			if len(got[fmt.Sprint(prefix, i)]) > 0 {
				n++
			}
		}
		return n
	}
	for deadline := time.Now().Add(10 * time.Second); attempted() < models && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if n := attempted(); n < models {
		t.Fatalf("%d of %d events attempted within 10s", n, models)
	}
	c.Kill(0) // SIGKILL, its retries pending
	killed := time.Now()
	time.Sleep(1500 * time.Millisecond)
	mu.Lock()
	healthy = true
	mu.Unlock()
	delivered := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for i := range models {
			for _, a := range got[fmt.Sprint(prefix, i)] {
				if a.status == http.StatusOK {
					n++
					break
				}
			}
		}
		return n
	}
	// A kill in the middle of an attempt leaves its lease to run out
	// (the attempt timeout, 30s, plus 30s) before another replica may
	// claim it.
	for deadline := time.Now().Add(75 * time.Second); delivered() < models && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // a second 200 for any event would come by now
	n := delivered()
	mu.Lock()
	defer mu.Unlock()
	attempts := 0
	for i := range models {
		name := fmt.Sprint(prefix, i)
		as := got[name]
		attempts += len(as)
		oks := 0
		for _, a := range as {
			if a.id != as[0].id {
				t.Errorf("%s: delivery ids %q and %q: want one id across attempts", name, as[0].id, a.id)
			}
			if a.status == http.StatusOK {
				oks++
				if a.at.Before(killed) {
					t.Errorf("%s: answered 200 before the kill", name)
				}
			}
		}
		if oks != 1 {
			t.Errorf("%s: answered 200 %d times in %d attempts, want once", name, oks, len(as))
		}
	}
	t.Logf("%d events queued on r0, r0 killed: %d delivered by the others, %d attempts in all", models, n, attempts)
}
