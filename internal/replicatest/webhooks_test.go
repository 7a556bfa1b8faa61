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
