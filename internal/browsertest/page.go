package browsertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Page is one tab of a [Browser]. Its methods fail the test when an action
// fails or the browser's time runs out. A Page is used from the test's
// goroutine only.
type Page struct {
	tb     testing.TB
	b      *Browser
	ctx    context.Context
	cancel context.CancelFunc
	origin string // scheme://host:port of the URL that Open loaded

	mu       sync.Mutex
	problems []string
	requests map[network.RequestID]string // "METHOD URL" of each request seen
}

// Open opens a tab, loads url in it and waits for its load event. From
// before the first request on, the tab records console.error and
// console.warn calls, uncaught exceptions, and failed requests and
// responses of status 400 or more for url's origin (see
// [Page.ConsoleErrors]). Its viewport is the browser's window size.
func (b *Browser) Open(rawURL string) *Page {
	b.tb.Helper()
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		b.tb.Fatalf("opening %q: not an absolute URL", rawURL)
	}
	ctx, cancel := chromedp.NewContext(b.ctx)
	p := &Page{tb: b.tb, b: b, ctx: ctx, cancel: cancel, origin: u.Scheme + "://" + u.Host, requests: map[network.RequestID]string{}}
	b.tb.Cleanup(p.Close)
	// The first Run opens the tab; like the browser's start it must not
	// run under a deadline, which would close the tab when it ends.
	if err := chromedp.Do(ctx); err != nil {
		b.tb.Fatalf("opening a tab: %v", err)
	}
	if err := chromedp.Listen(ctx, p.record); err != nil {
		b.tb.Fatalf("listening to the tab: %v", err)
	}
	// The window's size includes the browser's frame; set the page's
	// viewport exactly.
	var phone []chromedp.EmulateViewportOption
	if b.opts.mobile {
		phone = append(phone, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
	}
	p.do("setting the viewport", chromedp.EmulateViewport(int64(b.opts.width), int64(b.opts.height), phone...))
	p.Navigate(rawURL)
	return p
}

// Close closes the tab. The test's cleanup closes it too.
func (p *Page) Close() {
	p.cancel()
}

// Navigate loads url in the tab and waits for its load event.
func (p *Page) Navigate(url string) {
	p.tb.Helper()
	p.do("loading "+url, chromedp.Navigate(url))
}

// WaitVisible waits until an element that matches the CSS selector is
// visible.
func (p *Page) WaitVisible(selector string) {
	p.tb.Helper()
	p.do("waiting for "+selector, chromedp.WaitVisible(chromedp.CSS(selector)))
}

// Click waits until the selector's element is visible and clicks its
// centre with the mouse.
func (p *Page) Click(selector string) {
	p.tb.Helper()
	p.do("clicking "+selector, chromedp.Click(chromedp.CSS(selector)))
}

// SetValue empties the selector's input or textarea and types text into it
// key by key, so that the page sees input events as it would from a person.
func (p *Page) SetValue(selector, text string) {
	p.tb.Helper()
	p.do("typing into "+selector, chromedp.Steps(
		chromedp.WaitVisible(chromedp.CSS(selector)),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
				const e = document.querySelector(%s);
				e.focus();
				e.value = "";
				e.dispatchEvent(new Event("input", {bubbles: true}));
			})()`, quote(selector)))(ctx, t)
			return err
		}),
		chromedp.SendKeys(chromedp.CSS(selector), text),
	))
}

// Press sends a key to the selector's element, for example [kb.Enter] or
// [kb.Escape] (package github.com/chromedp/chromedp/kb).
func (p *Page) Press(selector, key string) {
	p.tb.Helper()
	p.do(fmt.Sprintf("pressing %q in %s", key, selector), chromedp.SendKeys(chromedp.CSS(selector), key))
}

// PressEnter presses Enter in the selector's element, which submits a form
// as a person would.
func (p *Page) PressEnter(selector string) {
	p.tb.Helper()
	p.Press(selector, kb.Enter)
}

// Submit submits the selector's form, or the form of the selector's
// element, with requestSubmit: the form's submit listeners run, as they do
// when a person submits it.
func (p *Page) Submit(selector string) {
	p.tb.Helper()
	p.do("submitting "+selector, chromedp.Steps(
		chromedp.WaitReady(chromedp.CSS(selector)),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
				const e = document.querySelector(%s);
				(e instanceof HTMLFormElement ? e : e.form).requestSubmit();
			})()`, quote(selector)))(ctx, t)
			return err
		}),
	))
}

// Text waits until the selector's element is visible and returns its
// visible text (innerText).
func (p *Page) Text(selector string) string {
	p.tb.Helper()
	return run(p, "reading the text of "+selector, chromedp.Text(chromedp.CSS(selector), chromedp.NodeVisible))
}

// Count returns how many elements match the CSS selector now, without
// waiting; 0 when none does.
func (p *Page) Count(selector string) int {
	p.tb.Helper()
	return run(p, "counting "+selector, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%s).length", quote(selector))))
}

// Eval evaluates the JavaScript expression in the page, awaiting it when it
// is a promise, and decodes its JSON value into out; out may be nil. An
// exception fails the test.
func (p *Page) Eval(js string, out any) {
	p.tb.Helper()
	raw := run(p, "evaluating "+js, chromedp.Evaluate[[]byte](js, chromedp.EvalAwaitPromise))
	if out == nil {
		return
	}
	if raw == nil {
		raw = []byte("null")
	}
	if err := json.Unmarshal(raw, out); err != nil {
		p.tb.Fatalf("decoding the value of %s (%s): %v", js, raw, err)
	}
}

// ConsoleErrors returns what the page reported so far, in order: each
// console.error, console.warn and console.assert failure with its source,
// each uncaught exception and unhandled rejection, and each request to the
// page's origin that failed or got a status of 400 or more. Requests that
// were canceled (a navigation away) are not errors.
func (p *Page) ConsoleErrors() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.problems...)
}

// AssertNoConsoleErrors fails the test, without stopping it, with every
// message that [Page.ConsoleErrors] returns.
func (p *Page) AssertNoConsoleErrors() {
	p.tb.Helper()
	if errs := p.ConsoleErrors(); len(errs) > 0 {
		p.tb.Errorf("the page at %s reported %d console errors:\n\t%s", p.origin, len(errs), strings.Join(errs, "\n\t"))
	}
}

// record runs on chromedp's reader goroutine for each event of the tab: it
// must return fast and must not run commands.
func (p *Page) record(ev any) {
	var msg string
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		switch e.Type {
		case runtime.ConsoleAPICalledTypeError, runtime.ConsoleAPICalledTypeWarning, runtime.ConsoleAPICalledTypeAssert:
			// Named as the page calls them: console.error, .warn, .assert.
			name := strings.Replace(string(e.Type), "warning", "warn", 1)
			msg = fmt.Sprintf("console.%s: %s%s", name, argsText(e.Args), stackPlace(e.StackTrace))
		}
	case *runtime.EventExceptionThrown:
		d := e.ExceptionDetails
		text := d.Text
		if d.Exception != nil {
			desc, _, _ := strings.Cut(valueText(d.Exception), "\n    at ")
			text += " " + desc
		}
		place := stackPlace(d.StackTrace)
		if place == "" && d.URL != "" {
			place = fmt.Sprintf(" (%s:%d:%d)", d.URL, d.LineNumber+1, d.ColumnNumber+1)
		}
		msg = "exception: " + text + place
	case *network.EventRequestWillBeSent:
		p.mu.Lock()
		p.requests[e.RequestID] = e.Request.Method + " " + e.Request.URL
		p.mu.Unlock()
	case *network.EventResponseReceived:
		if r := e.Response; r != nil && r.Status >= 400 && p.ownRequest(r.URL) {
			p.mu.Lock()
			req := p.requests[e.RequestID]
			p.mu.Unlock()
			if req == "" {
				req = r.URL
			}
			msg = fmt.Sprintf("network: %s: %d %s", req, r.Status, r.StatusText)
		}
	case *network.EventLoadingFailed:
		p.mu.Lock()
		req := p.requests[e.RequestID]
		p.mu.Unlock()
		_, u, _ := strings.Cut(req, " ")
		if !e.Canceled && p.ownRequest(u) {
			msg = fmt.Sprintf("network: %s: %s", req, e.ErrorText)
			if e.BlockedReason != "" {
				msg += " (blocked: " + string(e.BlockedReason) + ")"
			}
		}
	}
	if msg != "" {
		p.mu.Lock()
		p.problems = append(p.problems, msg)
		p.mu.Unlock()
	}
}

// ownRequest reports whether a request is the page's own: to the page's
// origin, and not the browser's automatic request for /favicon.ico, which
// the DevTools console does not report either.
func (p *Page) ownRequest(rawURL string) bool {
	u, err := url.Parse(rawURL)
	return err == nil && u.Scheme+"://"+u.Host == p.origin && u.Path != "/favicon.ico"
}

// argsText joins a console call's arguments as the DevTools console shows
// them, roughly: strings bare, other values as JSON or their description.
func argsText(args []*runtime.RemoteObject) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = valueText(a)
	}
	return strings.Join(parts, " ")
}

func valueText(o *runtime.RemoteObject) string {
	if o.Type == runtime.RemoteObjectTypeString {
		var s string
		if json.Unmarshal(o.Value, &s) == nil {
			return s
		}
	}
	if o.Description != "" {
		return o.Description
	}
	if len(o.Value) > 0 {
		return string(o.Value)
	}
	return string(o.Type)
}

// stackPlace returns " (url:line:column)" of the stack's top frame, 1-based
// as in an editor, or "" without one.
func stackPlace(st *runtime.StackTrace) string {
	if st == nil || len(st.CallFrames) == 0 {
		return ""
	}
	f := st.CallFrames[0]
	return fmt.Sprintf(" (%s:%d:%d)", f.URL, f.LineNumber+1, f.ColumnNumber+1)
}

// do runs an action that returns nothing; see run.
func (p *Page) do(what string, a chromedp.Action[chromedp.Void]) {
	p.tb.Helper()
	run(p, what, a)
}

// run runs the action in the tab before the browser's deadline, and fails
// the test with what it was doing, and what the page reported, when it
// fails.
func run[T any](p *Page, what string, a chromedp.Action[T]) T {
	p.tb.Helper()
	ctx, cancel := context.WithDeadline(p.ctx, p.b.deadline)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		var console string
		if errs := p.ConsoleErrors(); len(errs) > 0 {
			console = "\nthe page reported:\n\t" + strings.Join(errs, "\n\t")
		}
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("%w (the browser's time, %v from New, ran out; see WithTimeout)", err, p.b.opts.timeout)
		}
		p.tb.Fatalf("%s: %v%s", what, err, console)
	}
	return v
}

// quote returns s as a JavaScript string literal.
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
