package chart

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"time"

	"github.com/berthml/berth/drift"
)

// PageData is what [WritePage] draws: the live drift state of one model's
// monitor.
type PageData struct {
	Model   string
	Version string
	// Reference is the monitor's reference profile: its histograms are
	// drawn alone before the first window closes.
	Reference *drift.Profile
	// Current is the window being filled.
	Current drift.WindowState
	// History holds the closed windows, oldest first, as
	// [drift.Monitor.History] returns them; the last one is the summary's.
	History []drift.WindowResult
	// Thresholds are drawn on the timelines. The zero value means the
	// last window's report's thresholds, or [drift.DefaultThresholds]
	// before any window closed.
	Thresholds drift.Thresholds
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
	Status drift.Status
	// Windows is the number of the last closed window, 0 for none.
	Windows int64
	// Rows is the number of rows in the window being filled.
	Rows int64
}

// WritePage writes p as a self-contained HTML page: the model's status,
// the window being filled, a table of the last window's statistics and,
// per feature, its [FeatureHistogram] and [FeatureTimeline]. The page
// loads nothing else and needs no script.
func WritePage(w io.Writer, p PageData) error {
	type feat struct {
		Name, ID  string
		Status    drift.Status
		Output    bool
		Histogram template.HTML
		Timeline  template.HTML
	}
	data := struct {
		PageData
		Last        *drift.WindowResult
		Rows        []drift.FeatureResult
		Feats       []feat
		Refresh     int
		Persistence int
	}{PageData: p, Persistence: drift.DefaultPersistence}
	if p.Refresh > 0 {
		data.Refresh = max(int(p.Refresh.Round(time.Second)/time.Second), 1)
	}
	th := p.Thresholds
	curName := ""
	if n := len(p.History); n > 0 {
		data.Last = &p.History[n-1]
		data.Persistence = max(data.Last.Persistence, 1)
		curName = fmt.Sprintf("window %d", data.Last.Window)
	}
	if th == (drift.Thresholds{}) {
		th = drift.DefaultThresholds()
		if data.Last != nil && data.Last.Report != nil {
			th = data.Last.Report.Thresholds
		}
	}
	data.Rows = drift.WindowFeatures(p.Reference, data.Last)
	seen := map[string]int{}
	for _, f := range data.Rows {
		nth := seen[f.Feature]
		seen[f.Feature]++
		ft := feat{Name: f.Feature, ID: "f-" + f.Feature, Status: f.Status, Output: f.Output,
			Histogram: FeatureHistogram(f, curName).SVG()}
		if nth > 0 { // an output named like an input
			ft.ID = fmt.Sprintf("f-%s-%d", f.Feature, nth+1)
		}
		if data.Last != nil {
			ft.Timeline = FeatureTimeline(f.Feature, nth, p.History, th).SVG()
		}
		data.Feats = append(data.Feats, ft)
	}
	return pageTmpl.Execute(w, data)
}

// WriteIndex writes a self-contained HTML page listing models with their
// drift status and links to their pages.
func WriteIndex(w io.Writer, models []IndexEntry) error {
	return indexTmpl.Execute(w, models)
}

// WriteReport writes r, the comparison of berth drift report, as a
// self-contained HTML page: a table of the statistics and, per feature,
// its [FeatureHistogram]. It loads no external assets.
func WriteReport(w io.Writer, r *drift.Report) error {
	type feat struct {
		drift.FeatureResult
		SVG template.HTML
	}
	data := struct {
		*drift.Report
		Feats []feat
	}{Report: r}
	for _, f := range r.Features {
		data.Feats = append(data.Feats, feat{f, FeatureHistogram(f, "").SVG()})
	}
	return reportTmpl.Execute(w, data)
}

var pageFuncs = template.FuncMap{
	"num": func(p *float64) string {
		if p != nil && !math.IsNaN(*p) && !math.IsInf(*p, 0) {
			return fmt.Sprintf("%.4g", *p)
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

// Style is the pages' CSS, in the palette's colours.
const Style = `<style>
body{font-family:system-ui,sans-serif;margin:1em;color:` + ColorText + `}
svg{max-width:100%;height:auto}table{display:block;overflow-x:auto;max-width:100%}
table{border-collapse:collapse}td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:right}
td:first-child,th:first-child{text-align:left}
.ok{color:` + ColorOK + `}.warning{color:` + ColorWarning + `}.drift{color:` + ColorDrift + `;font-weight:bold}.none{color:` + ColorNone + `}
.charts{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
h2{margin:1.2em 0 .3em}
</style>`

const head = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`

var reportTmpl = template.Must(template.New("report").Funcs(pageFuncs).Parse(head + `<title>berth drift report</title>
` + Style + `</head><body>
<h1>Drift report: <span class="{{.Status}}">{{.Status}}</span></h1>
<p class="rule">{{.Summary}}.</p>
<p>` + drift.RuleText + `</p>
<table><tr><th>feature</th><th>kind</th><th>PSI (bins)</th><th>KS D</th><th>KS p</th><th>KS p adj.</th><th>χ²</th><th>χ² p</th><th>χ² p adj.</th><th>Wasserstein/σ</th><th>JS distance</th><th>status</th></tr>
{{range .Feats}}<tr><td><a href="#f-{{.Feature}}">{{.Feature}}</a>{{if .Output}} <small>output</small>{{end}}</td><td>{{.Kind}}</td><td>{{num .PSI}} ({{.PSIBins}})</td><td>{{num .KSStatistic}}</td><td>{{num .KSPValue}}</td><td>{{num .KSPAdjusted}}</td><td>{{num .Chi2}}</td><td>{{num .Chi2PValue}}</td><td>{{num .Chi2PAdjusted}}</td><td>{{num .Wasserstein}}</td><td>{{num .JSDistance}}</td><td class="{{.Status}}">{{.Status}}</td></tr>
{{end}}</table>
{{range .Feats}}<h2 id="f-{{.Feature}}">{{.Feature}} <small class="{{.Status}}">{{.Status}}</small></h2>
{{.SVG}}
{{end}}</body></html>
`))

var pageTmpl = template.Must(template.New("page").Funcs(pageFuncs).Parse(head + `{{if .Refresh}}<meta http-equiv="refresh" content="{{.Refresh}}">{{end}}
<title>drift: {{.Model}} v{{.Version}}</title>
` + Style + `</head><body>
{{if .IndexURL}}<p><a href="{{.IndexURL}}">all models</a></p>{{end}}
<h1>Drift of {{.Model}} v{{.Version}}: {{with .Last}}<span class="status {{.Status}}">{{.Status}}</span>{{else}}<span class="status none">no window yet</span>{{end}}</h1>
<p>Window {{.Current.Window}} is filling: {{.Current.Rows}} rows since {{when .Current.Started}}.
{{with .Last}}Last closed: window {{.Window}}, {{.Rows}} rows, {{when .Start}} to {{when .End}}.{{end}}</p>
{{with .Last}}<p class="rule">{{.Summary}}.</p>{{end}}
<p class="none">` + drift.RuleText + ` The model's status is drift once {{.Persistence}} windows in a row drifted.</p>
{{if .Last}}<table><tr><th>feature</th><th>PSI</th><th>KS D</th><th>KS p</th><th>KS p adj.</th><th>χ²</th><th>χ² p adj.</th><th>Wasserstein/σ</th><th>JS distance</th><th>status</th></tr>
{{range $i, $f := .Rows}}<tr><td><a href="#{{(index $.Feats $i).ID}}">{{.Feature}}</a>{{if .Output}} <small class="none">output</small>{{end}}</td><td>{{num .PSI}}</td><td>{{num .KSStatistic}}</td><td>{{num .KSPValue}}</td><td>{{num .KSPAdjusted}}</td><td>{{num .Chi2}}</td><td>{{num .Chi2PAdjusted}}</td><td>{{num .Wasserstein}}</td><td>{{num .JSDistance}}</td><td class="{{.Status}}">{{.Status}}</td></tr>
{{end}}</table>
{{else}}<p class="none">No window has closed yet: the histograms show the reference only.</p>
{{end}}{{range .Feats}}<h2 id="{{.ID}}">{{.Name}}{{if .Output}} <small class="none">output</small>{{end}}{{if .Status}} <small class="{{.Status}}">{{.Status}}</small>{{end}}</h2>
<div class="charts feature">{{.Histogram}}{{.Timeline}}</div>
{{else}}<p>The reference has no features.</p>
{{end}}</body></html>
`))

var indexTmpl = template.Must(template.New("index").Funcs(pageFuncs).Parse(head + `<title>drift: models</title>
` + Style + `</head><body>
<h1>Drift</h1>
{{if .}}<table><tr><th>model</th><th>version</th><th>status</th><th>last window</th><th>rows in the current window</th></tr>
{{range .}}<tr><td>{{if .URL}}<a href="{{.URL}}">{{.Model}}</a>{{else}}{{.Model}}{{end}}</td><td>{{.Version}}</td>
{{if .URL}}<td class="{{if .Status}}{{.Status}}{{else}}none{{end}}">{{if .Status}}{{.Status}}{{else}}no window yet{{end}}</td><td>{{if .Windows}}{{.Windows}}{{else}}–{{end}}</td><td>{{.Rows}}</td>
{{else}}<td class="none">{{or .Note "not monitored"}}</td><td>–</td><td>–</td>{{end}}</tr>
{{end}}</table>
{{else}}<p>No models are served.</p>
{{end}}</body></html>
`))
