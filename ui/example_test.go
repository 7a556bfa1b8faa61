package ui_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/berthml/berth/ui"
)

// The handler answers the page at / and its files under /static/.
func ExampleHandler() {
	srv := httptest.NewServer(ui.Handler())
	defer srv.Close()
	for _, p := range []string{"/", "/static/app.js", "/static/vendor/uPlot.iife.min.js", "/static/nope.js"} {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Println(p, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"))
	}
	// Output:
	// / 200 text/html; charset=utf-8 no-cache
	// /static/app.js 200 text/javascript; charset=utf-8 no-cache
	// /static/vendor/uPlot.iife.min.js 200 text/javascript; charset=utf-8 public, max-age=31536000, immutable
	// /static/nope.js 404 text/plain; charset=utf-8
}
