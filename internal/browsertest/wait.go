package browsertest

import "fmt"

// Settle waits for two animation frames, so that what the page drew on the
// last one (a chart sized to its box, say) is on screen.
func (p *Page) Settle() {
	p.tb.Helper()
	p.Eval(`new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`, nil)
}

// AfterAttr runs action and waits until the element that selector names
// has its attribute attr set to value again: for single-page apps that mark
// a finished render on an element (berth's UI sets #app's data-state to
// "ready"). The watch starts before action, so a render that ends at once
// is not missed.
func (p *Page) AfterAttr(selector, attr, value string, action func()) {
	p.tb.Helper()
	p.Eval(fmt.Sprintf(`(window.__berthAfterAttr = new Promise((resolve) => {
		const el = document.querySelector(%s);
		const obs = new MutationObserver(() => {
			if (el.getAttribute(%s) === %s) { obs.disconnect(); resolve(true); }
		});
		obs.observe(el, {attributes: true, attributeFilter: [%s]});
	}), true)`, quote(selector), quote(attr), quote(value), quote(attr)), nil)
	action()
	p.Eval(`window.__berthAfterAttr`, nil)
}
