package llm

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"

	tiktoken "github.com/pkoukk/tiktoken-go"
	tiktokenloader "github.com/pkoukk/tiktoken-go-loader"

	"github.com/berthml/berth/internal/numpy"
)

// ModelType is an LLM model type, as mlflow.evaluate's model_type names it.
type ModelType string

// The LLM model types of MLflow's default evaluator.
const (
	Text          ModelType = "text"
	QA            ModelType = "question-answering"
	Summarization ModelType = "text-summarization"
	Retriever     ModelType = "retriever"
)

// DefaultK is MLflow's retriever_k default.
const DefaultK = 3

// IsModelType reports whether s names one of the LLM model types.
func IsModelType(s string) bool {
	switch ModelType(s) {
	case Text, QA, Summarization, Retriever:
		return true
	}
	return false
}

// ErrNoTargets is returned for a retriever evaluation without targets.
var ErrNoTargets = errors.New("the retriever metrics need targets: the relevant document ids of each row")

// Input is what the metrics are computed on, one entry per row.
type Input struct {
	ModelType ModelType
	// Predictions are the outputs (text models); a nil entry is not text,
	// and the text metrics are then left out as MLflow leaves them out.
	Predictions []*string
	// Targets are the expected outputs; nil: none given.
	Targets []*string
	// Retrieved and Relevant are the document ids of a retriever: what it
	// returned, in rank order, and the ground truth.
	Retrieved, Relevant [][]string
	// K is the retriever metrics' k (0: DefaultK).
	K int
}

// Column is one per-row column of the evaluation table: a metric's scores
// (nil where MLflow writes None).
type Column struct {
	Name   string
	Values []any
}

// Result holds the aggregate metrics under MLflow's keys (Names in MLflow's
// order), the per-row score columns, and why metrics were left out.
type Result struct {
	Metrics  map[string]float64
	Names    []string
	Columns  []Column
	Warnings []string
}

func (r *Result) set(k string, v float64) {
	if _, dup := r.Metrics[k]; !dup {
		r.Names = append(r.Names, k)
	}
	r.Metrics[k] = v
}

// scores adds a metric's per-row scores as the column NAME/score and its
// standard aggregations (NAME/mean, /variance, /p90), as MLflow's
// standard_aggregations does.
func (r *Result) scores(name string, s []float64) {
	vals := make([]any, len(s))
	for i, v := range s {
		vals[i] = v
	}
	r.Columns = append(r.Columns, Column{Name: name + "/score", Values: vals})
	if len(s) == 0 {
		return
	}
	r.set(name+"/mean", numpy.Mean(s))
	r.set(name+"/variance", numpy.Var(s))
	r.set(name+"/p90", numpy.Percentile(s, 90))
}

func (r *Result) warnf(format string, args ...any) {
	r.Warnings = append(r.Warnings, fmt.Sprintf(format, args...))
}

// Compute computes MLflow 2.17's built-in metrics for in.ModelType:
//
//	question-answering: exact_match/v1, token_count, flesch_kincaid_grade_level/v1, ari_grade_level/v1
//	text-summarization: token_count, rouge1/v1, rouge2/v1, rougeL/v1, rougeLsum/v1, and the two grades
//	text:               token_count and the two grades
//	retriever:          precision_at_K, recall_at_K, ndcg_at_K
//
// MLflow's toxicity/v1 needs a Hugging Face classifier downloaded at run
// time and is not computed (a warning says so).
func Compute(in Input) (*Result, error) {
	r := &Result{Metrics: map[string]float64{}}
	if in.ModelType == Retriever {
		if in.Relevant == nil {
			return nil, ErrNoTargets
		}
		if len(in.Relevant) != len(in.Retrieved) {
			return nil, fmt.Errorf("%d rows of retrieved ids but %d of relevant ids", len(in.Retrieved), len(in.Relevant))
		}
		k := in.K
		if k == 0 {
			k = DefaultK
		}
		if k < 1 {
			return nil, fmt.Errorf("k must be at least 1, not %d", k)
		}
		retrieverMetrics(r, in.Retrieved, in.Relevant, k)
		return r, nil
	}
	if !IsModelType(string(in.ModelType)) {
		return nil, fmt.Errorf("unknown model type %q: text, question-answering, text-summarization or retriever", in.ModelType)
	}
	if in.Targets != nil && len(in.Targets) != len(in.Predictions) {
		return nil, fmt.Errorf("%d predictions but %d targets", len(in.Predictions), len(in.Targets))
	}
	preds, predsOK := allText(in.Predictions)
	targets, targetsOK := allText(in.Targets)
	if !predsOK {
		r.warnf("some predictions are not text: the text metrics are left out")
	}
	if in.ModelType == QA {
		switch {
		case in.Targets == nil:
			r.warnf("exact_match/v1 needs targets: left out")
		case predsOK && targetsOK && len(preds) > 0:
			hit := 0
			for i := range preds {
				if preds[i] == targets[i] {
					hit++
				}
			}
			r.set("exact_match/v1", float64(hit)/float64(len(preds)))
		default:
			r.warnf("exact_match/v1 needs text predictions and targets: left out")
		}
	}
	r.Columns = append(r.Columns, Column{Name: "token_count", Values: tokenCounts(in.Predictions)})
	r.warnf("toxicity/v1 is not computed: it needs a Hugging Face classifier downloaded at run time")
	if in.ModelType == Summarization {
		switch {
		case in.Targets == nil:
			r.warnf("the rouge metrics need targets: left out")
		case predsOK && targetsOK && len(preds) > 0:
			rougeMetrics(r, preds, targets)
		default:
			r.warnf("the rouge metrics need text predictions and targets: left out")
		}
	}
	if predsOK && len(preds) > 0 {
		fk, ari := make([]float64, len(preds)), make([]float64, len(preds))
		parallel(len(preds), func(i int) {
			fk[i], ari[i] = Readability(preds[i])
		})
		r.scores("flesch_kincaid_grade_level/v1", fk)
		r.scores("ari_grade_level/v1", ari)
	}
	return r, nil
}

func allText(v []*string) ([]string, bool) {
	out := make([]string, len(v))
	for i, s := range v {
		if s == nil {
			return nil, false
		}
		out[i] = *s
	}
	return out, true
}

func rougeMetrics(r *Result, preds, targets []string) {
	n := len(preds)
	r1, r2, rl, rls := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	parallel(n, func(i int) {
		p, t := RougeTokens(preds[i]), RougeTokens(targets[i])
		r1[i] = RougeN(t, p, 1)
		r2[i] = RougeN(t, p, 2)
		rl[i] = RougeL(t, p)
		if strings.Contains(targets[i], "\n") || strings.Contains(preds[i], "\n") {
			rls[i] = RougeLsum(targets[i], preds[i])
		} else {
			rls[i] = rl[i] // RougeLsum of one sentence a side
		}
	})
	r.scores("rouge1/v1", r1)
	r.scores("rouge2/v1", r2)
	r.scores("rougeL/v1", rl)
	r.scores("rougeLsum/v1", rls)
}

var (
	cl100kOnce sync.Once
	cl100k     *tiktoken.Tiktoken
	cl100kErr  error
)

// Cl100k returns the cl100k_base encoding, loaded from the data embedded in
// tiktoken-go-loader (no download).
func Cl100k() (*tiktoken.Tiktoken, error) {
	cl100kOnce.Do(func() {
		tiktoken.SetBpeLoader(tiktokenloader.NewOfflineLoader())
		cl100k, cl100kErr = tiktoken.GetEncoding("cl100k_base")
	})
	return cl100k, cl100kErr
}

// TokenCount is len(cl100k_base.encode(text)), special tokens counted as
// ordinary text.
func TokenCount(text string) (int, error) {
	enc, err := Cl100k()
	if err != nil {
		return 0, fmt.Errorf("loading cl100k_base: %w", err)
	}
	return len(enc.EncodeOrdinary(text)), nil
}

// tokenCounts is MLflow's token_count scores: None for a row that is not
// text (or could not be encoded).
func tokenCounts(preds []*string) []any {
	out := make([]any, len(preds))
	parallel(len(preds), func(i int) {
		if preds[i] == nil {
			return
		}
		if n, err := TokenCount(*preds[i]); err == nil {
			out[i] = n
		}
	})
	return out
}

func retrieverMetrics(r *Result, retrieved, relevant [][]string, k int) {
	n := len(retrieved)
	prec, rec, ndcg := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range retrieved {
		truth := map[string]bool{}
		for _, d := range relevant[i] {
			truth[d] = true
		}
		top := retrieved[i][:min(k, len(retrieved[i]))]
		// precision_at_k: relevant among the top k; 1 when none retrieved.
		hits := 0
		for _, d := range top {
			if truth[d] {
				hits++
			}
		}
		prec[i] = 1
		if len(top) > 0 {
			prec[i] = float64(hits) / float64(len(top))
		}
		// recall_at_k: distinct ground-truth ids among the top k; 1 when
		// there is no ground truth.
		found := map[string]bool{}
		for _, d := range top {
			if truth[d] {
				found[d] = true
			}
		}
		rec[i] = 1
		if len(truth) > 0 {
			rec[i] = float64(len(found)) / float64(len(truth))
		}
		ndcg[i] = ndcgAtK(top, truth, len(retrieved[i]), len(relevant[i]))
	}
	kk := strconv.Itoa(k)
	r.scores("precision_at_"+kk, prec)
	r.scores("recall_at_"+kk, rec)
	r.scores("ndcg_at_"+kk, ndcg)
}

// ndcgAtK is MLflow's ndcg_at_k for one row: 1 when nothing is retrieved
// and nothing is relevant, 0 when only one side is empty, else
// sklearn.metrics.ndcg_score of the binary relevance of the top k against
// scores 1/(rank+1).
func ndcgAtK(top []string, truth map[string]bool, nRetrieved, nRelevant int) float64 {
	if nRetrieved == 0 && nRelevant == 0 {
		return 1
	}
	if nRetrieved == 0 || nRelevant == 0 {
		return 0
	}
	dcg, idcg, rel := 0.0, 0.0, 0
	for i, d := range top {
		if truth[d] {
			dcg += 1 / math.Log2(float64(i+2))
			rel++
		}
	}
	for i := range rel {
		idcg += 1 / math.Log2(float64(i+2))
	}
	if idcg == 0 {
		return 0
	}
	return dcg / idcg
}

// GreaterIsBetter reports the direction MLflow's LLM metrics declare, for
// any of their keys (exact_match/v1, rouge1/v1/mean, ari_grade_level/v1/p90,
// ndcg_at_5/mean …): higher is better for exact_match, the rouge scores and
// the retriever metrics, lower for the two grade levels.
func GreaterIsBetter(key string) (greater, known bool) {
	name, _, _ := strings.Cut(key, "/")
	switch name {
	case "exact_match", "rouge1", "rouge2", "rougeL", "rougeLsum":
		return true, true
	case "flesch_kincaid_grade_level", "ari_grade_level":
		return false, true
	}
	for _, p := range []string{"precision_at_", "recall_at_", "ndcg_at_"} {
		if k, ok := strings.CutPrefix(name, p); ok {
			if n, err := strconv.Atoi(k); err == nil && n > 0 {
				return true, true
			}
		}
	}
	return false, false
}
