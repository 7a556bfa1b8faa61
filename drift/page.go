package drift

import (
	"fmt"
	"html/template"
	"io"
	"time"
)

// PageData is what [WritePage] draws: the live drift state of one model's
// monitor.
type PageData struct {
	Model   string
	Version string
	// Reference is the monitor's reference profile: its histograms are
	// drawn alone before the first window closes.
	Reference *Profile
	// Current is the window being filled.
	Current WindowState
	// History holds the closed windows, oldest first, as
	// [Monitor.History] returns them; the last one is the summary's.
	History []WindowResult
	// Thresholds are drawn on the timelines. The zero value means the
	// last window's report's thresholds, or [DefaultThresholds] before
	// any window closed.
	Thresholds Thresholds
	// Refresh reloads the page this often; zero never does.
	Refresh time.Duration
	// IndexURL links back to the list of models; empty for no link.
	IndexURL string
}

// IndexEntry is one model in the list [WriteIndex] draws.
type IndexEntry struct {
	Model   string
	Version string
	// URL links to the model's drift page; empty when it has none.
	URL string
	// Note says why a model has no page, such as "no reference".
	Note string
	// Status is the last closed window's; empty before the first closes.
	Status Status
	// Windows is the number of the last closed window, 0 for none.
	Windows int64
	// Rows is the number of rows in the window being filled.
	Rows int64
}

// WritePage writes p as a self-contained HTML page: the model's status,
// the window being filled, a table of the last window's statistics and,
// per feature, the reference and last-window histograms overlaid and a
// timeline of its PSI, KS statistic and JS distance per window. The
// charts are inline SVG; the page loads nothing else and needs no
// script.
func WritePage(w io.Writer, p PageData) error {
	type feat struct {
		Name, ID  string
		Status    Status
		Output    bool
		Histogram template.HTML
		Timeline  template.HTML
	}
	data := struct {
		PageData
		Last        *WindowResult
		Rows        []FeatureResult
		Feats       []feat
		Refresh     int
		Persistence int
	}{PageData: p, Persistence: DefaultPersistence}
	if p.Refresh > 0 {
		data.Refresh = max(int(p.Refresh.Round(time.Second)/time.Second), 1)
	}
	th := p.Thresholds
	if n := len(p.History); n > 0 {
		data.Last = &p.History[n-1]
		data.Persistence = max(data.Last.Persistence, 1)
	}
	if th == (Thresholds{}) {
		th = DefaultThresholds()
		if data.Last != nil && data.Last.Report != nil {
			th = data.Last.Report.Thresholds
		}
	}
	data.Rows = pageFeatures(p.Reference, data.Last)
	seen := map[string]int{}
	for _, f := range data.Rows {
		nth := seen[f.Feature]
		seen[f.Feature]++
		ft := feat{Name: f.Feature, ID: "f-" + f.Feature, Status: f.Status, Output: f.Output, Histogram: histogramSVG(f)}
		if nth > 0 { // an output named like an input
			ft.ID = fmt.Sprintf("f-%s-%d", f.Feature, nth+1)
		}
		if data.Last != nil {
			ft.Timeline = timelineSVG(f.Feature, nth, p.History, th)
		}
		data.Feats = append(data.Feats, ft)
	}
	return pageTmpl.Execute(w, data)
}

// pageFeatures lists the features to draw, with the last window's
// statistics and counts: those of its report when it has one, else of its
// scores with the reference's counts. Before any window closes they are
// the reference's features (and outputs) with no current counts.
func pageFeatures(ref *Profile, last *WindowResult) []FeatureResult {
	if last != nil && last.Report != nil {
		return last.Report.Features
	}
	seen := map[string]int{}
	refResult := func(name string) FeatureResult { // the next feature of ref named name
		fr := FeatureResult{Feature: name}
		nth := seen[name]
		seen[name]++
		if ref == nil {
			return fr
		}
		for i, f := range append(append([]Feature(nil), ref.Features...), ref.Outputs...) {
			if f.Name != name {
				continue
			}
			if nth > 0 {
				nth--
				continue
			}
			fr.Kind, fr.Output = f.Kind, i >= len(ref.Features)
			switch {
			case f.Numeric != nil:
				fr.Labels, fr.Reference = binLabels(f.Numeric.Edges), f.Numeric.Counts
			case f.Categorical != nil:
				fr.Labels = append([]string(nil), f.Categorical.Categories...)
				fr.Reference = append([]int64(nil), f.Categorical.Counts...)
				if f.Categorical.Other > 0 {
					fr.Labels, fr.Reference = append(fr.Labels, OtherCategory), append(fr.Reference, f.Categorical.Other)
				}
			}
			break
		}
		return fr
	}
	var out []FeatureResult
	if last != nil {
		for _, s := range last.Features {
			fr := refResult(s.Feature)
			fr.PSI, fr.KSStatistic, fr.JSDistance, fr.Chi2 = s.PSI, s.KS, s.JS, s.Chi2
			fr.Wasserstein, fr.KSPAdjusted, fr.Chi2PAdjusted = s.Wasserstein, s.KSPAdjusted, s.Chi2PAdjusted
			fr.Drifted, fr.Status, fr.Output = s.Drifted, s.Status, s.Output
			out = append(out, fr)
		}
		return out
	}
	if ref != nil {
		for _, fs := range [][]Feature{ref.Features, ref.Outputs} {
			for _, f := range fs {
				out = append(out, refResult(f.Name))
			}
		}
	}
	return out
}

// WriteIndex writes a self-contained HTML page listing models with their
// drift status and links to their pages.
func WriteIndex(w io.Writer, models []IndexEntry) error {
	return indexTmpl.Execute(w, models)
}

var pageFuncs = template.FuncMap{
	"num": func(p *float64) string {
		if v, ok := finite(p); ok {
			return fmt.Sprintf("%.4g", v)
		}
		return "–"
	},
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "–"
		}
		return t.UTC().Format("2006-01-02 15:04:05 MST")
	},
}

const pageStyle = `<style>
body{font-family:system-ui,sans-serif;margin:1em;color:#222}
svg{max-width:100%;height:auto}table{display:block;overflow-x:auto;max-width:100%}
table{border-collapse:collapse}td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:right}
td:first-child,th:first-child{text-align:left}
.ok{color:#22aa77}.warning{color:#cc8800}.drift{color:#cc2222;font-weight:bold}.none{color:#888}
.charts{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
.legend span{display:inline-block;width:1em;height:1em;vertical-align:middle;margin:0 .3em 0 1em}
h2{margin:1.2em 0 .3em}
</style>`

var pageTmpl = template.Must(template.New("page").Funcs(pageFuncs).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">{{if .Refresh}}<meta http-equiv="refresh" content="{{.Refresh}}">{{end}}
<title>drift: {{.Model}} v{{.Version}}</title>
` + pageStyle + `</head><body>
{{if .IndexURL}}<p><a href="{{.IndexURL}}">all models</a></p>{{end}}
<h1>Drift of {{.Model}} v{{.Version}}: {{with .Last}}<span class="status {{.Status}}">{{.Status}}</span>{{else}}<span class="status none">no window yet</span>{{end}}</h1>
<p>Window {{.Current.Window}} is filling: {{.Current.Rows}} rows since {{when .Current.Started}}.
{{with .Last}}Last closed: window {{.Window}}, {{.Rows}} rows, {{when .Start}} to {{when .End}}.{{end}}</p>
{{with .Last}}<p class="rule">{{.Summary}}.</p>{{end}}
<p class="none">` + RuleText + ` The model's status is drift once {{.Persistence}} windows in a row drifted.</p>
{{if .Last}}<table><tr><th>feature</th><th>PSI</th><th>KS D</th><th>KS p</th><th>KS p adj.</th><th>χ²</th><th>χ² p adj.</th><th>Wasserstein/σ</th><th>JS distance</th><th>status</th></tr>
{{range $i, $f := .Rows}}<tr><td><a href="#{{(index $.Feats $i).ID}}">{{.Feature}}</a>{{if .Output}} <small class="none">output</small>{{end}}</td><td>{{num .PSI}}</td><td>{{num .KSStatistic}}</td><td>{{num .KSPValue}}</td><td>{{num .KSPAdjusted}}</td><td>{{num .Chi2}}</td><td>{{num .Chi2PAdjusted}}</td><td>{{num .Wasserstein}}</td><td>{{num .JSDistance}}</td><td class="{{.Status}}">{{.Status}}</td></tr>
{{end}}</table>
<p class="legend"><span style="background:#4878d0;opacity:.55"></span>reference<span style="background:#ee854a;opacity:.55"></span>window {{.Last.Window}}</p>
{{else}}<p class="none">No window has closed yet: the histograms show the reference only.</p>
{{end}}{{range .Feats}}<h2 id="{{.ID}}">{{.Name}}{{if .Output}} <small class="none">output</small>{{end}}{{if .Status}} <small class="{{.Status}}">{{.Status}}</small>{{end}}</h2>
<div class="charts feature">{{.Histogram}}{{.Timeline}}</div>
{{else}}<p>The reference has no features.</p>
{{end}}</body></html>
`))

var indexTmpl = template.Must(template.New("index").Funcs(pageFuncs).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>drift: models</title>
` + pageStyle + `</head><body>
<h1>Drift</h1>
{{if .}}<table><tr><th>model</th><th>version</th><th>status</th><th>last window</th><th>rows in the current window</th></tr>
{{range .}}<tr><td>{{if .URL}}<a href="{{.URL}}">{{.Model}}</a>{{else}}{{.Model}}{{end}}</td><td>{{.Version}}</td>
{{if .URL}}<td class="{{if .Status}}{{.Status}}{{else}}none{{end}}">{{if .Status}}{{.Status}}{{else}}no window yet{{end}}</td><td>{{if .Windows}}{{.Windows}}{{else}}–{{end}}</td><td>{{.Rows}}</td>
{{else}}<td class="none">{{or .Note "not monitored"}}</td><td>–</td><td>–</td>{{end}}</tr>
{{end}}</table>
{{else}}<p>No models are served.</p>
{{end}}</body></html>
`))
