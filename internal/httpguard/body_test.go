package httpguard_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/berthml/berth/internal/httpguard"
)

// TestReadBody: through net/http, a body is read whole within the limit,
// with and without a Content-Length; over it, declared or not, it is an
// *http.MaxBytesError; a body the budget cannot take is ErrBudget, and the
// request's hold gives everything back.
func TestReadBody(t *testing.T) {
	const limit = 1 << 20
	budget := httpguard.NewBudget(4 << 20)
	type result struct {
		n   int
		err error
	}
	results := make(chan result, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := httpguard.NewHold(budget)
		defer h.Release()
		b, err := httpguard.ReadBody(w, r, limit, &h)
		results <- result{len(b), err}
	}))
	defer srv.Close()
	post := func(body io.Reader, length int64) result {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, srv.URL, body)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = length
		resp, err := srv.Client().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return <-results
	}
	chunked := func(s string) io.Reader { return io.MultiReader(strings.NewReader(s)) } // no length known: chunked
	for _, tc := range []struct {
		name   string
		body   io.Reader
		length int64
		want   int
		err    any
	}{
		{"empty", http.NoBody, 0, 0, nil},
		{"declared", strings.NewReader("{\"a\":1}"), 7, 7, nil},
		{"chunked", chunked("{\"a\":1}"), -1, 7, nil},
		{"at the limit, declared", bytes.NewReader(make([]byte, limit)), limit, limit, nil},
		{"at the limit, chunked", chunked(string(make([]byte, limit))), -1, limit, nil},
		{"over the limit, declared", bytes.NewReader(make([]byte, limit+1)), limit + 1, 0, new(*http.MaxBytesError)},
		{"over the limit, chunked", chunked(string(make([]byte, limit+1))), -1, 0, new(*http.MaxBytesError)},
	} {
		got := post(tc.body, tc.length)
		switch target := tc.err.(type) {
		case nil:
			if got.err != nil || got.n != tc.want {
				t.Errorf("%s: read %d, %v; want %d bytes", tc.name, got.n, got.err, tc.want)
			}
		case **http.MaxBytesError:
			if !errors.As(got.err, target) {
				t.Errorf("%s: %v, want an *http.MaxBytesError", tc.name, got.err)
			}
		}
		if left := budget.Left(); left != 4<<20 {
			t.Errorf("%s: %d of the budget left after the request, want all of it", tc.name, left)
		}
	}

	held := httpguard.NewHold(budget)
	if !held.Take(4<<20 - httpguard.FirstBodyBuffer) { // other requests hold all but 64 kB
		t.Fatal("could not take the budget")
	}
	if got := post(strings.NewReader("{}"), 2); got.err != nil {
		t.Errorf("a small body beside a nearly spent budget: %v", got.err)
	}
	if got := post(bytes.NewReader(make([]byte, 200<<10)), 200<<10); !errors.Is(got.err, httpguard.ErrBudget) {
		t.Errorf("a body past the budget: %v, want ErrBudget", got.err)
	}
	held.Release()
	if got := post(bytes.NewReader(make([]byte, 200<<10)), 200<<10); got.err != nil || got.n != 200<<10 {
		t.Errorf("the same body once the budget is back: read %d, %v", got.n, got.err)
	}
}
