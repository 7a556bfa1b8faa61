package drift

import (
	"errors"
	"io"
)

// htmlWriter is package chart's WriteReport once chart is linked in.
var htmlWriter func(io.Writer, *Report) error

// SetHTMLWriter is called by package chart's init with its WriteReport,
// so that [WriteHTML] keeps working for callers that have not moved to
// chart.WriteReport. Package drift computes and draws nothing itself.
func SetHTMLWriter(f func(io.Writer, *Report) error) { htmlWriter = f }

// WriteHTML writes r as a self-contained HTML page through
// chart.WriteReport; it fails when package chart is not linked in.
//
// Deprecated: call chart.WriteReport.
func WriteHTML(w io.Writer, r *Report) error {
	if htmlWriter == nil {
		return errors.New("drift: HTML is drawn by package chart (chart.WriteReport), which is not linked in")
	}
	return htmlWriter(w, r)
}
