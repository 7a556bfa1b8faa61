package serve_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berthml/berth/serve"
)

// irisRows is a dataframe_split body of n iris rows.
func irisRows(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"dataframe_split":{"columns":["sepal_length","sepal_width","petal_length","petal_width"],"data":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("[" + strconv.Itoa(4+i%4) + ".1,3.5," + strconv.Itoa(1+i%6) + ".4,0.2]")
	}
	b.WriteString("]}}")
	return []byte(b.String())
}

// TestBodyCost: a body whose decode could never fit the body budget is
// 413 in each protocol's error format, naming --body-budget, before it is
// decoded; the same body fits a larger budget; small bodies are not
// scanned and fit as before.
func TestBodyCost(t *testing.T) {
	body := irisRows(20000) // ~460 kB, 100,000 commas: ~3 MB to decode
	v2 := irisV2Body(20000)
	small := newTestServer(t, []namedModel{{"iris", "iris_logreg"}}, serve.WithBodyBudget(2<<20))
	r := do(t, http.MethodPost, small.URL+"/invocations", "application/json", body)
	if r.status != http.StatusRequestEntityTooLarge || r.json(t)["error_code"] != "REQUEST_LIMIT_EXCEEDED" ||
		!strings.Contains(string(r.body), "--body-budget") {
		t.Errorf("/invocations, 20,000 rows beside a budget of 2 MiB: %d %.300s, want 413 REQUEST_LIMIT_EXCEEDED naming --body-budget", r.status, r.body)
	}
	r = do(t, http.MethodPost, small.URL+"/v2/models/iris/infer", "application/json", v2)
	if msg, _ := r.json(t)["error"].(string); r.status != http.StatusRequestEntityTooLarge || !strings.Contains(msg, "--body-budget") {
		t.Errorf("OIP v2, 20,000 rows beside a budget of 2 MiB: %d %.300s, want 413 naming --body-budget", r.status, r.body)
	}
	if r := do(t, http.MethodPost, small.URL+"/invocations", "application/json", irisRows(150000)); r.status != http.StatusRequestEntityTooLarge ||
		!strings.Contains(string(r.body), "larger than the server's body budget") {
		t.Errorf("/invocations, a 3.5 MB body beside a budget of 2 MiB: %d %.300s, want 413", r.status, r.body)
	}
	if r := do(t, http.MethodPost, small.URL+"/invocations", "application/json", irisRows(10)); r.status != http.StatusOK {
		t.Errorf("/invocations, 10 rows beside a budget of 2 MiB: %d %.300s", r.status, r.body)
	}
	// CSV: a line ends a value as a comma does. 20,000 rows of four values
	// (~320 kB): 60,000 commas alone would fit 2.5 MiB, with the lines not.
	var csv strings.Builder
	csv.WriteString("sepal_length,sepal_width,petal_length,petal_width\n")
	for i := range 20000 {
		csv.WriteString(strconv.Itoa(4+i%4) + ".1,3.5," + strconv.Itoa(1+i%6) + ".4,0.2\n")
	}
	csvServer := newTestServer(t, []namedModel{{"iris", "iris_logreg"}}, serve.WithBodyBudget(5<<19))
	if r := do(t, http.MethodPost, csvServer.URL+"/invocations", "text/csv", []byte(csv.String())); r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("/invocations, 20,000 CSV rows beside a budget of 2.5 MiB: %d %.300s, want 413", r.status, r.body)
	}
	large := newTestServer(t, []namedModel{{"iris", "iris_logreg"}}, serve.WithBodyBudget(16<<20))
	if r := do(t, http.MethodPost, large.URL+"/invocations", "text/csv", []byte(csv.String())); r.status != http.StatusOK {
		t.Errorf("/invocations, 20,000 CSV rows beside a budget of 16 MiB: %d %.300s", r.status, r.body)
	}
	if r := do(t, http.MethodPost, large.URL+"/invocations", "application/json", body); r.status != http.StatusOK {
		t.Errorf("/invocations, 20,000 rows beside a budget of 16 MiB: %d %.300s", r.status, r.body)
	}
	if r := do(t, http.MethodPost, large.URL+"/v2/models/iris/infer", "application/json", v2); r.status != http.StatusOK {
		t.Errorf("OIP v2, 20,000 rows beside a budget of 16 MiB: %d %.300s", r.status, r.body)
	}
}

// TestBodyBudgetShared: while a client holds the whole body budget with a
// body it is still sending, a scoring request gets 503 with Retry-After in
// its protocol's error format; the health route is served; once the
// client is done, the same request is scored.
func TestBodyBudgetShared(t *testing.T) {
	ts := newTestServer(t, []namedModel{{"iris", "iris_logreg"}}, serve.WithBodyBudget(64<<10), serve.WithBodyLimit(1<<20))
	rows := irisRows(3)
	// The slow client declares 64 kB and sends a byte: its first reserve,
	// 64 kB, is the whole budget, taken as its handler starts reading. A
	// request that comes in first takes a little of the budget and makes
	// the slow client's reserve fail instead: then both start again.
	var conn net.Conn
	var r response
	for attempt := 0; ; attempt++ {
		if attempt == 20 {
			t.Fatalf("in 20 tries no request was refused beside a client holding the whole budget: %d %.300s", r.status, r.body)
		}
		var err error
		if conn, err = net.Dial("tcp", ts.Listener.Addr().String()); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "POST /invocations HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n ",
			ts.Listener.Addr(), 64<<10)
		time.Sleep(50 * time.Millisecond)
		if r = do(t, http.MethodPost, ts.URL+"/invocations", "application/json", rows); r.status != http.StatusOK {
			break
		}
		conn.Close()
	}
	defer conn.Close()
	if r.status != http.StatusServiceUnavailable || r.json(t)["error_code"] != "TEMPORARILY_UNAVAILABLE" || r.header.Get("Retry-After") != "1" {
		t.Fatalf("/invocations beside a client holding the whole budget: %d %v %.300s, want 503 TEMPORARILY_UNAVAILABLE with Retry-After: 1", r.status, r.header, r.body)
	}
	r = do(t, http.MethodPost, ts.URL+"/v2/models/iris/infer", "application/json", irisV2Body(3))
	if _, ok := r.json(t)["error"]; r.status != http.StatusServiceUnavailable || !ok || r.header.Get("Retry-After") != "1" {
		t.Errorf("OIP v2 beside a client holding the whole budget: %d %.300s, want 503 with Retry-After", r.status, r.body)
	}
	if r := do(t, http.MethodGet, ts.URL+"/ping", "", nil); r.status != http.StatusOK {
		t.Errorf("/ping while the budget is spent: %d", r.status)
	}
	if _, err := conn.Write(bytes.Repeat([]byte(" "), 64<<10-1)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if r := do(t, http.MethodPost, ts.URL+"/invocations", "application/json", rows); r.status != http.StatusOK {
		t.Errorf("/invocations once the slow client is done: %d %.300s", r.status, r.body)
	}
}
