// Package chart draws berth's charts as SVG, with one palette: the
// reference-against-current histogram of a feature, the timeline of its
// drift statistics by window, and the drift pages built from them (the
// offline report of berth drift report -o html, the live page of berth
// serve's /drift/{model} and its index). The web UI embeds the same SVG
// through its /static/chart/ endpoint, so a chart looks the same
// everywhere. Package drift computes; this package draws.
//
// The SVG is inline and self-contained: no script, no external asset, so
// a page stays one file that works offline and under a strict
// Content-Security-Policy.
package chart
