package server_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzRequest sends any body and query string to any route of the server
// and checks that the answer is never a 5xx (but the multipart routes'
// deliberate 501): every parser of a request — query, JSON body, filter,
// page token, artifact path — answers a client's mistake with a 4xx.
func FuzzRequest(f *testing.F) {
	srv := newServer(f)
	h := srv.Handler()
	routes := srv.Routes()
	for _, s := range []struct {
		route       uint8
		path, query string
		body        string
	}{
		{0, "", "", ""},
		{10, "0/x.txt", "experiment_id=0&max_results=10", `{"name":"x"}`},
		{20, "../x", "run_id=a%00", `{"run_id":"\u0000","filter":"params.a = 'x' and metrics.m > 1"}`},
		{30, "%2e%2e/x", "page_token=bm90IGpzb24", `{"experiment_ids":["0"],"page_token":"e30="}`},
		{40, "a/b", "filter=name%3D%27x%27", `{"name":"m","source":"runs:/abc/../x","tags":[{"key":"k","value":"v"}]}`},
		{60, strings.Repeat("d/", 100), "path=../x", `[` + strings.Repeat("[", 500)},
	} {
		f.Add(s.route, s.path, s.query, s.body)
	}
	f.Fuzz(func(t *testing.T, route uint8, path, query, body string) {
		r := routes[int(route)%len(routes)]
		p := r.Path
		if strings.Contains(p, "*path") {
			p = strings.Replace(p, "*path", url.PathEscape(path), 1)
		}
		req, err := http.NewRequest(r.Method, "http://127.0.0.1"+p+"?"+query, strings.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 && !(rec.Code == 501 && strings.Contains(r.Path, "/mpu/")) {
			t.Fatalf("%s %s?%q body %q = %d %s", r.Method, p, query, body, rec.Code, rec.Body.String())
		}
	})
}
