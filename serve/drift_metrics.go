package serve

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/berthml/berth/drift"
)

// driftMetrics are the series of live drift monitoring, set when a
// window closes. Models without a reference have none.
type driftMetrics struct {
	score         *prometheus.GaugeVec
	detected      *prometheus.GaugeVec
	modelDetected *prometheus.GaugeVec
	consecutive   *prometheus.GaugeVec
	windows       *prometheus.CounterVec
}

func newDriftMetrics() *driftMetrics {
	return &driftMetrics{
		score: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "berth",
			Name:      "drift_score",
			Help:      "A drift statistic of the last closed window against the reference profile, by feature and method (psi, ks, js, chi2, wasserstein, ks_p_adjusted, chi2_p_adjusted).",
		}, []string{"model", "version", "feature", "method"}),
		detected: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "berth",
			Name:      "drift_detected",
			Help:      "1 when the feature drifted in the last closed window (its Benjamini-Hochberg adjusted p-value below q, and a large enough distance from 1000 values on), else 0.",
		}, []string{"model", "version", "feature"}),
		modelDetected: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "berth",
			Name:      "drift_model_detected",
			Help:      "1 when the model's drift status is drift: a feature drifted in --drift-persistence consecutive windows, else 0.",
		}, []string{"model", "version"}),
		consecutive: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "berth",
			Name:      "drift_consecutive_windows",
			Help:      "Consecutive closed windows, up to the last, in which the model's input features drifted.",
		}, []string{"model", "version"}),
		windows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "berth",
			Name:      "drift_windows_total",
			Help:      "Drift monitoring windows closed and compared with the reference profile.",
		}, []string{"model", "version"}),
	}
}

func (d *driftMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{d.score, d.detected, d.modelDetected, d.consecutive, d.windows}
}

// windowClosed returns the monitor callback that publishes a model's
// window results.
func (d *driftMetrics) windowClosed(model, version string) func(drift.WindowResult) {
	return func(r drift.WindowResult) {
		d.windows.WithLabelValues(model, version).Inc()
		for _, f := range r.Features {
			for _, s := range []struct {
				method string
				v      *float64
			}{{"psi", f.PSI}, {"ks", f.KS}, {"js", f.JS}, {"chi2", f.Chi2}, {"wasserstein", f.Wasserstein},
				{"ks_p_adjusted", f.KSPAdjusted}, {"chi2_p_adjusted", f.Chi2PAdjusted}} {
				if s.v == nil {
					d.score.DeleteLabelValues(model, version, f.Feature, s.method)
					continue
				}
				d.score.WithLabelValues(model, version, f.Feature, s.method).Set(*s.v)
			}
			d.detected.WithLabelValues(model, version, f.Feature).Set(boolGauge(f.Drifted))
		}
		// r.Status is drift.Persist's, as the page's and the write-back's
		d.modelDetected.WithLabelValues(model, version).Set(boolGauge(r.Status == drift.StatusDrift))
		d.consecutive.WithLabelValues(model, version).Set(float64(r.Consecutive))
	}
}

// forget drops a model version's series.
func (d *driftMetrics) forget(model, version string) {
	l := prometheus.Labels{"model": model, "version": version}
	d.score.DeletePartialMatch(l)
	d.detected.DeletePartialMatch(l)
	d.modelDetected.DeletePartialMatch(l)
	d.consecutive.DeletePartialMatch(l)
	d.windows.DeletePartialMatch(l)
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
