package evaluate

// Running a model over labelled data: which outputs hold the predictions,
// and how labels read from a file and from a model compare.

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/berthml/berth/batchscore"
	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/flavors"
)

// Data is the labelled data a model is evaluated on.
type Data struct {
	Path      string    // CSV with a header row, or JSON Lines (.jsonl, .ndjson)
	Target    string    // the column holding the true label or value
	ModelType ModelType // Classifier, Regressor, or an LLM model type (text, question-answering, text-summarization)
	PosLabel  string    // the positive class of a binary classifier ("": 1)
}

// Model scores d.Path with the loaded model in batches, through the
// decoder berth serve uses (the target column dropped), and evaluates the
// predictions against the target column. name names the model in errors.
//
// A classifier's predictions are a label output (one integer, string or
// boolean per row) and, when it has one, a probability output ([rows, k]
// floats, or sklearn's sequence of maps); without a label output the most
// probable class is the label. A regressor's are one float per row.
func Model(ctx context.Context, name string, m *flavors.Loaded, d Data) (*Result, error) {
	if IsLLMModelType(string(d.ModelType)) {
		return modelLLM(ctx, name, m, d)
	}
	truth, err := ReadTarget(d.Path, d.Target)
	if err != nil {
		return nil, err
	}
	outs, err := pickOutputs(m.Predictor.Outputs(), d.ModelType)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	s, err := batchscore.New(m, batchscore.DefaultBatchRows)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	s.Drop(d.Target)
	var pred predictions
	if err := s.File(ctx, d.Path, func(b batchscore.Batch) error { return pred.add(b, outs) }); err != nil {
		return nil, err
	}
	return pred.evaluate(truth, d)
}

// evaluate compares the predictions with the targets read as text.
func (pred *predictions) evaluate(truth []string, d Data) (*Result, error) {
	if len(pred.labels)+len(pred.values) != len(truth) {
		return nil, fmt.Errorf("the model answered %d rows for %d targets", len(pred.labels)+len(pred.values), len(truth))
	}
	if d.ModelType == Regressor {
		y := make([]float64, len(truth))
		for i, s := range truth {
			v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("target column %q, row %d: %q is not a number (a regressor needs numeric targets)", d.Target, i+1, s)
			}
			y[i] = v
		}
		return Regress(y, pred.values)
	}
	y := make([]string, len(truth))
	for i, s := range truth {
		if y[i] = canonicalLabel(s); y[i] == "" {
			return nil, fmt.Errorf("target column %q, row %d: empty label", d.Target, i+1)
		}
	}
	labels := pred.labels
	proba, classes := pred.proba, pred.classes
	if proba != nil && classes == nil {
		classes = probaClasses(len(proba[0]), y, labels)
		if classes == nil {
			proba = nil // the columns cannot be tied to labels: no probability metrics
		}
	}
	if labels == nil { // no label output: the most probable class
		labels = make([]string, len(proba))
		for i, p := range proba {
			labels[i] = classes[argmax(p)]
		}
	}
	return Classify(y, labels, proba, classes, d.PosLabel)
}

// modelOutputs names the outputs an evaluation reads.
type modelOutputs struct {
	label, proba, value string
	probaIsMap          bool
}

// pickOutputs chooses the outputs to evaluate: for a classifier, a label
// output (one integer, string or boolean per row) and a probability
// output ([rows, k] floats, or sklearn's sequence of maps); for a
// regressor, one float per row.
func pickOutputs(outs []flavors.TensorInfo, mt ModelType) (modelOutputs, error) {
	var m modelOutputs
	if mt != Classifier && mt != Regressor {
		return m, fmt.Errorf("model type %q is neither %s nor %s", mt, Classifier, Regressor)
	}
	perRow := func(o flavors.TensorInfo) bool {
		return len(o.Shape) == 1 || (len(o.Shape) == 2 && o.Shape[1] == 1)
	}
	isFloat := func(d flavors.DType) bool {
		return d == flavors.Float32 || d == flavors.Float64 || d == flavors.Float16 || d == flavors.BFloat16
	}
	for _, o := range outs {
		switch {
		case mt == Regressor && m.value == "" && perRow(o) && isFloat(o.DType):
			m.value = o.Name
		case mt == Classifier && m.label == "" && perRow(o) && !isFloat(o.DType) && o.DType != flavors.Map:
			m.label = o.Name
		case mt == Classifier && m.proba == "" && o.DType == flavors.Map:
			m.proba, m.probaIsMap = o.Name, true
		case mt == Classifier && m.proba == "" && len(o.Shape) == 2 && o.Shape[1] != 1 && isFloat(o.DType):
			m.proba = o.Name
		}
	}
	desc := make([]string, len(outs))
	for i, o := range outs {
		desc[i] = fmt.Sprintf("%s %s %v", o.Name, o.DType, o.Shape)
	}
	switch {
	case mt == Regressor && m.value == "":
		return m, fmt.Errorf("its outputs (%s) do not fit a regressor: none holds one float per row", strings.Join(desc, "; "))
	case mt == Classifier && m.label == "" && m.proba == "":
		return m, fmt.Errorf("its outputs (%s) do not fit a classifier: no label output (one integer or string per row) and no probability output ([rows, k] floats)", strings.Join(desc, "; "))
	}
	return m, nil
}

// predictions gathers a model's answers batch by batch.
type predictions struct {
	labels  []string
	values  []float64
	proba   [][]float64
	classes []string // from a map output's keys
}

func (p *predictions) add(b batchscore.Batch, outs modelOutputs) error {
	get := func(name string) (*flavors.Tensor, error) {
		for _, t := range b.Outputs {
			if t.Name == name {
				return t, nil
			}
		}
		return nil, fmt.Errorf("the model returned no output %q", name)
	}
	if outs.value != "" {
		t, err := get(outs.value)
		if err != nil {
			return err
		}
		vs, ok := floatsOf(t)
		if !ok || len(vs) != b.Rows {
			return fmt.Errorf("output %q: %d values for %d rows", outs.value, len(vs), b.Rows)
		}
		p.values = append(p.values, vs...)
		return nil
	}
	if outs.label != "" {
		t, err := get(outs.label)
		if err != nil {
			return err
		}
		ls, err := labelsOf(t)
		if err != nil || len(ls) != b.Rows {
			return fmt.Errorf("output %q: %d labels for %d rows (%v)", outs.label, len(ls), b.Rows, err)
		}
		p.labels = append(p.labels, ls...)
	}
	if outs.proba == "" {
		return nil
	}
	t, err := get(outs.proba)
	if err != nil {
		return err
	}
	if outs.probaIsMap {
		rows, ok := t.Data.([]map[string]float32)
		if !ok || len(rows) != b.Rows {
			return fmt.Errorf("output %q: not one map per row", outs.proba)
		}
		for _, m := range rows {
			if p.classes == nil {
				var err error
				if p.classes, err = Labels(slices.Collect(maps.Keys(m))); err != nil {
					return fmt.Errorf("output %q: %w", outs.proba, err)
				}
			}
			row := make([]float64, len(p.classes))
			for j, c := range p.classes {
				v, ok := m[c]
				if !ok || len(m) != len(p.classes) {
					return fmt.Errorf("output %q: rows hold different classes", outs.proba)
				}
				row[j] = float64(v)
			}
			p.proba = append(p.proba, row)
		}
		return nil
	}
	vs, ok := floatsOf(t)
	if !ok || len(t.Shape) != 2 || int(t.Shape[0]) != b.Rows {
		return fmt.Errorf("output %q: shape %v for %d rows", outs.proba, t.Shape, b.Rows)
	}
	k := int(t.Shape[1])
	for i := range b.Rows {
		p.proba = append(p.proba, vs[i*k:(i+1)*k:(i+1)*k])
	}
	return nil
}

// floatsOf returns a float tensor's values as float64.
func floatsOf(t *flavors.Tensor) ([]float64, bool) {
	switch t.Data.(type) {
	case []float32, []float64:
		return drift.Floats(t.Data, 0, 1, t.Len())
	}
	return nil, false
}

// labelsOf returns a label tensor's values as text.
func labelsOf(t *flavors.Tensor) ([]string, error) {
	switch d := t.Data.(type) {
	case []string:
		out := make([]string, len(d))
		for i, s := range d {
			out[i] = canonicalLabel(s)
		}
		return out, nil
	case []bool:
		out := make([]string, len(d))
		for i, v := range d {
			out[i] = strconv.FormatBool(v)
		}
		return out, nil
	}
	if vs, ok := drift.Floats(t.Data, 0, 1, t.Len()); ok {
		out := make([]string, len(vs))
		for i, v := range vs {
			out[i] = strconv.FormatFloat(v, 'f', -1, 64)
		}
		return out, nil
	}
	return nil, fmt.Errorf("labels of type %s", t.DType)
}

// canonicalLabel writes a label so that a target read from text and a
// model's integer label compare equal: "1.0" and "1" are both "1".
func canonicalLabel(s string) string {
	s = strings.TrimSpace(s)
	if v, err := strconv.ParseFloat(s, 64); err == nil && v == math.Trunc(v) && math.Abs(v) < 1<<53 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return s
}

// probaClasses ties the k columns of a probability output to labels, as
// sklearn orders them (classes_ sorted): the sorted labels seen when there
// are k of them, or 0…k-1 when every label is an integer in that range.
// Nil when neither holds.
func probaClasses(k int, truth, pred []string) []string {
	labels, err := Labels(truth, pred)
	if err != nil {
		return nil
	}
	idx := make([]string, k)
	for j := range k {
		idx[j] = strconv.Itoa(j)
	}
	if !slices.ContainsFunc(labels, func(l string) bool { return !slices.Contains(idx, l) }) {
		return idx
	}
	if len(labels) == k {
		return labels
	}
	return nil
}

func argmax(p []float64) int {
	best := 0
	for j, v := range p {
		if v > p[best] {
			best = j
		}
	}
	return best
}
