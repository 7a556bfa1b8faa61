package browsertest

import (
	"context"
	"fmt"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

type loadOptions struct {
	waitFor string
}

// LoadOption configures [Page.LoadTime].
type LoadOption func(*loadOptions)

// WaitFor makes [Page.LoadTime] measure until an element that matches the
// CSS selector is visible, the sign that the page's data is rendered, rather
// than until the load event ends. Default: the load event.
func WaitFor(selector string) LoadOption {
	return func(o *loadOptions) { o.waitFor = selector }
}

// readyScript runs in every new document before the page's own scripts,
// and notes in the page's clock (ms since navigation start) when the
// selector's element is first visible: on each DOM mutation, at
// DOMContentLoaded and at load.
const readyScript = `(() => {
	const sel = %s;
	const visible = e => {
		if (!e.isConnected || e.getClientRects().length === 0) return false;
		return getComputedStyle(e).visibility !== "hidden";
	};
	let obs;
	const check = () => {
		if (window.__browsertestReadyAt !== undefined) return;
		const e = document.querySelector(sel);
		if (e && visible(e)) {
			window.__browsertestReadyAt = performance.now();
			obs.disconnect();
		}
	};
	obs = new MutationObserver(check);
	obs.observe(document, {childList: true, subtree: true, attributes: true, characterData: true});
	document.addEventListener("DOMContentLoaded", check);
	window.addEventListener("load", check);
})()`

// LoadTime loads url in the tab and returns the time from the start of the
// navigation to the end of its load event, or, with [WaitFor], to the
// moment the selector's element became visible; both are read from the
// page's own clock (the Performance API), so the test's overhead is not
// counted. Caching is as in a browser: a second load of the same URL may
// reuse resources.
func (p *Page) LoadTime(url string, opts ...LoadOption) time.Duration {
	p.tb.Helper()
	var o loadOptions
	for _, opt := range opts {
		opt(&o)
	}
	var scriptID page.ScriptIdentifier
	if o.waitFor != "" {
		scriptID = run(p, "preparing to time "+url, func(ctx context.Context, t *chromedp.Target) (page.ScriptIdentifier, error) {
			r, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument,
				page.AddScriptToEvaluateOnNewDocumentParams{Source: fmt.Sprintf(readyScript, quote(o.waitFor))})
			if err != nil {
				return "", err
			}
			return r.Identifier, nil
		})
		defer p.do("cleaning up after timing "+url, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, page.RemoveScriptToEvaluateOnNewDocument, page.RemoveScriptToEvaluateOnNewDocumentParams{Identifier: scriptID})
			return err
		}))
	}
	p.Navigate(url)

	var ms float64
	if o.waitFor != "" {
		p.WaitVisible(o.waitFor)
		// The observer has seen it, unless it became visible without a
		// DOM mutation (a style sheet that arrived): then now is the
		// bound.
		p.Eval(`window.__browsertestReadyAt ?? performance.now()`, &ms)
	} else {
		// Navigate returns at the load event; loadEventEnd is set once
		// its listeners have run.
		for {
			p.Eval(`performance.getEntriesByType("navigation")[0]?.loadEventEnd ?? 0`, &ms)
			if ms > 0 {
				break
			}
			p.do("waiting for the load event to end", chromedp.Sleep(5*time.Millisecond))
		}
	}
	d := time.Duration(ms * float64(time.Millisecond))
	what := "load event end"
	if o.waitFor != "" {
		what = o.waitFor + " visible"
	}
	p.tb.Logf("%s: %s after %v", url, what, d.Round(100*time.Microsecond))
	return d
}
