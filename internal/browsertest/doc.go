// Package browsertest drives a real headless Chromium for berth's browser
// tests, through the DevTools protocol (github.com/chromedp/chromedp).
//
// [New] starts Debian's chromium for one test, or skips the test when there
// is none (it fails instead under BERTH_REQUIRE_TOOLS=1, as in CI). Each
// [Browser.Open] is a tab that records what a person would see in the
// DevTools console: console.error and console.warn calls, uncaught
// exceptions, and requests to the page's own origin that failed or were
// answered with a status of 400 or more. A test ends with
// [Page.AssertNoConsoleErrors].
//
// A page's methods fail the test (tb.Fatalf) when an action fails or when the
// browser's time, [WithTimeout], runs out; they return plain values.
//
//	func TestRunsPage(t *testing.T) {
//		srv := startServer(t) // a real berth server with seeded runs
//		b := browsertest.New(t)
//		p := b.Open(srv.URL + "/ui/experiments/1")
//		p.WaitVisible("table.runs tbody tr")
//		if n := p.Count("table.runs tbody tr"); n != 3 {
//			t.Errorf("%d runs listed, want 3", n)
//		}
//		p.Click(`a[href$="/compare"]`)
//		p.WaitVisible("svg.curve")
//		shot := p.Screenshot("compare")
//		if n := browsertest.CountColor(t, shot, browsertest.Hex("#1f77b4"), 12); n < 500 {
//			t.Errorf("%d pixels of the first curve", n)
//		}
//		if d := p.LoadTime(srv.URL+"/ui/experiments/1", browsertest.WaitFor("table.runs tbody tr")); d > 300*time.Millisecond {
//			t.Logf("the runs page took %v", d)
//		}
//		p.AssertNoConsoleErrors()
//	}
//
// Subtests share one browser through [Browser.For]: b.For(t).Open(url)
// reports to the subtest and closes its tab when the subtest ends.
//
// Screenshots go to $BERTH_TEST_ARTIFACTS/<TestName>/<name>.png when that
// variable is set, so that CI can keep them, and to a temporary directory
// otherwise.
package browsertest
