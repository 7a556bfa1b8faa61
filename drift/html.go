package drift

import (
	"fmt"
	"html/template"
	"io"
	"strings"
)

// WriteHTML writes r as a self-contained HTML page: a table of the
// statistics and, per feature, an inline SVG of the reference and current
// bin proportions overlaid. It loads no external assets.
func WriteHTML(w io.Writer, r *Report) error {
	type feat struct {
		FeatureResult
		SVG template.HTML
	}
	data := struct {
		*Report
		Feats []feat
	}{Report: r}
	for _, f := range r.Features {
		data.Feats = append(data.Feats, feat{f, histogramSVG(f)})
	}
	return htmlTmpl.Execute(w, data)
}

var htmlTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"num": func(p *float64) string {
		if p == nil {
			return "–"
		}
		return fmt.Sprintf("%.4g", *p)
	},
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>berth drift report</title>
<style>
svg{max-width:100%;height:auto}table{display:block;overflow-x:auto;max-width:100%}
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse}td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:right}
td:first-child,th:first-child{text-align:left}
.ok{color:#2a7}.warning{color:#c80}.drift{color:#c22;font-weight:bold}
.legend span{display:inline-block;width:1em;height:1em;vertical-align:middle;margin:0 .3em 0 1em}
</style></head><body>
<h1>Drift report: <span class="{{.Status}}">{{.Status}}</span></h1>
<p class="rule">{{.Summary}}.</p>
<p>` + RuleText + `</p>
<table><tr><th>feature</th><th>kind</th><th>PSI (bins)</th><th>KS D</th><th>KS p</th><th>KS p adj.</th><th>χ²</th><th>χ² p</th><th>χ² p adj.</th><th>Wasserstein/σ</th><th>JS distance</th><th>status</th></tr>
{{range .Feats}}<tr><td><a href="#f-{{.Feature}}">{{.Feature}}</a>{{if .Output}} <small>output</small>{{end}}</td><td>{{.Kind}}</td><td>{{num .PSI}} ({{.PSIBins}})</td><td>{{num .KSStatistic}}</td><td>{{num .KSPValue}}</td><td>{{num .KSPAdjusted}}</td><td>{{num .Chi2}}</td><td>{{num .Chi2PValue}}</td><td>{{num .Chi2PAdjusted}}</td><td>{{num .Wasserstein}}</td><td>{{num .JSDistance}}</td><td class="{{.Status}}">{{.Status}}</td></tr>
{{end}}</table>
<p class="legend"><span style="background:#4878d0"></span>reference<span style="background:#ee854a"></span>current</p>
{{range .Feats}}<h2 id="f-{{.Feature}}">{{.Feature}} <small class="{{.Status}}">{{.Status}}</small></h2>
{{.SVG}}
{{end}}</body></html>
`))

// RuleText explains the decision rule in one paragraph of the report and
// the live page.
const RuleText = `A numeric feature is tested by Kolmogorov–Smirnov and by chi-squared on its bins, a categorical one by chi-squared;
the p-values of all input features are adjusted together by Benjamini–Hochberg, and a feature drifts when an adjusted p-value is below q.
From the large-sample size on, it must also have moved by a normed Wasserstein distance, a Jensen–Shannon distance or a PSI above its threshold;
smaller significant changes warn. PSI is computed on bins merged to the sample size.`

// histogramSVG draws the reference and current proportions per bin as
// overlaid, semi-transparent bars.
func histogramSVG(f FeatureResult) template.HTML {
	p, q := proportions(f.Reference), proportions(f.Current)
	n := len(f.Reference)
	if n == 0 {
		return "<p>no data</p>"
	}
	const width, height, top, bottom = 640.0, 200.0, 10.0, 60.0
	var top1 float64
	for i := range n {
		if p != nil {
			top1 = max(top1, p[i])
		}
		if q != nil {
			top1 = max(top1, q[i])
		}
	}
	if top1 == 0 {
		top1 = 1
	}
	bw := width / float64(n)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %[1]g %[2]g" role="img" aria-label="histogram of %[3]s">`,
		width, height+top+bottom, template.HTMLEscapeString(f.Feature))
	bar := func(props []float64, color string) {
		for i, v := range props {
			h := v / top1 * height
			fmt.Fprintf(&b, `<rect x="%.2f" y="%.2f" width="%.2f" height="%.2f" fill="%s" fill-opacity="0.55"><title>%s: %.4f</title></rect>`,
				float64(i)*bw+1, top+height-h, bw-2, h, color, template.HTMLEscapeString(label(f.Labels, i)), v)
		}
	}
	bar(p, "#4878d0")
	bar(q, "#ee854a")
	fmt.Fprintf(&b, `<line x1="0" y1="%g" x2="%g" y2="%g" stroke="#888"/>`, top+height, width, top+height)
	for i := range n {
		x, y := float64(i)*bw+bw/2, top+height+8
		fmt.Fprintf(&b, `<text x="%.2f" y="%.2f" font-size="9" transform="rotate(45 %.2f %.2f)">%s</text>`,
			x, y, x, y, template.HTMLEscapeString(label(f.Labels, i)))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func label(labels []string, i int) string {
	if i < len(labels) {
		return labels[i]
	}
	return fmt.Sprint(i)
}
