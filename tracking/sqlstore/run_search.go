package sqlstore

import (
	"context"
	"strconv"

	"github.com/berthml/berth/tracking"
)

type column struct {
	sql  string
	kind valueKind
}

// runAttributes maps MLflow run attribute names to columns of runs.
var runAttributes = map[string]column{
	"run_id":          {"runs.run_uuid", textValue},
	"run_uuid":        {"runs.run_uuid", textValue},
	"run_name":        {"runs.name", textValue},
	"status":          {"runs.status", textValue},
	"user_id":         {"runs.user_id", textValue},
	"artifact_uri":    {"runs.artifact_uri", textValue},
	"lifecycle_stage": {"runs.lifecycle_stage", textValue},
	"start_time":      {"runs.start_time", intValue},
	"created":         {"runs.start_time", intValue},
	"Created":         {"runs.start_time", intValue},
	"end_time":        {"runs.end_time", intValue},
}

// runComparison renders one filter clause on runs.
func runComparison(c tracking.Comparison) (string, []any, error) {
	switch c.Kind {
	case tracking.KindAttribute:
		col, ok := runAttributes[c.Key]
		if !ok {
			return "", nil, unsupported("run", c)
		}
		return comparison(col.sql, col.kind, c)
	case tracking.KindMetric:
		cond, args, err := comparison("m.value", numberValue, c)
		if err != nil {
			return "", nil, err
		}
		return "EXISTS (SELECT 1 FROM latest_metrics m WHERE m.run_uuid = runs.run_uuid AND m.key = ? AND m.is_nan = 0 AND " + cond + ")",
			append([]any{c.Key}, args...), nil
	case tracking.KindParam, tracking.KindTag:
		table := "params"
		if c.Kind == tracking.KindTag {
			table = "tags"
		}
		cond, args, err := comparison("p.value", textValue, c)
		if err != nil {
			return "", nil, err
		}
		return "EXISTS (SELECT 1 FROM " + table + " p WHERE p.run_uuid = runs.run_uuid AND p.key = ? AND " + cond + ")",
			append([]any{c.Key}, args...), nil
	case tracking.KindDataset:
		var col string
		switch c.Key {
		case "name":
			col = "d.name"
		case "digest":
			col = "d.digest"
		case "context":
			cond, args, err := comparison("t.value", textValue, c)
			if err != nil {
				return "", nil, err
			}
			return "EXISTS (SELECT 1 FROM inputs i JOIN input_tags t ON t.input_seq = i.seq WHERE i.run_uuid = runs.run_uuid AND t.key = 'mlflow.data.context' AND " + cond + ")",
				args, nil
		default:
			return "", nil, unsupported("run", c)
		}
		cond, args, err := comparison(col, textValue, c)
		if err != nil {
			return "", nil, err
		}
		return "EXISTS (SELECT 1 FROM inputs i JOIN datasets d ON d.dataset_uuid = i.dataset_uuid WHERE i.run_uuid = runs.run_uuid AND " + cond + ")",
			args, nil
	}
	return "", nil, unsupported("run", c)
}

// runOrderTerm renders one ORDER BY term on runs.
func runOrderTerm(o tracking.OrderBy) (string, []any, error) {
	switch o.Kind {
	case tracking.KindAttribute:
		col, ok := runAttributes[o.Key]
		if !ok {
			break
		}
		term, args := orderTerm(col.sql, nil, o.Asc)
		return term, args, nil
	case tracking.KindMetric:
		term, args := orderTerm("(SELECT m.value FROM latest_metrics m WHERE m.run_uuid = runs.run_uuid AND m.key = ?)", []any{o.Key}, o.Asc)
		return term, args, nil
	case tracking.KindParam, tracking.KindTag:
		table := "params"
		if o.Kind == tracking.KindTag {
			table = "tags"
		}
		term, args := orderTerm("(SELECT p.value FROM "+table+" p WHERE p.run_uuid = runs.run_uuid AND p.key = ?)", []any{o.Key}, o.Asc)
		return term, args, nil
	}
	return "", nil, tracking.InvalidParameter("Invalid order_by clause '%s.%s'", o.Kind, o.Key)
}

// SearchRuns implements tracking.RunStore. Results are ordered by q.OrderBy,
// then start_time DESC, then run_id, as in MLflow.
func (s *Store) SearchRuns(ctx context.Context, q tracking.RunQuery) (*tracking.RunPage, error) {
	if err := checkMaxResults(q.MaxResults, tracking.MaxRunResults); err != nil {
		return nil, err
	}
	offset, err := tracking.DecodePageToken(q.PageToken)
	if err != nil {
		return nil, err
	}
	if len(q.ExperimentIDs) == 0 {
		return &tracking.RunPage{}, nil
	}
	var w sqlParts
	exps := make([]any, 0, len(q.ExperimentIDs))
	for _, id := range q.ExperimentIDs {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return nil, tracking.InvalidParameter("Invalid experiment ID: '%s'", id)
		}
		exps = append(exps, n)
	}
	w.add("runs.experiment_id IN ("+placeholders(len(exps))+")", exps...)
	stages := q.ViewType.Lifecycles()
	w.add("runs.lifecycle_stage IN ("+placeholders(len(stages))+")", anySlice(stages)...)
	for _, c := range q.Filter.Comparisons {
		cond, args, err := runComparison(c)
		if err != nil {
			return nil, err
		}
		w.add(cond, args...)
	}
	var order []string
	var orderArgs []any
	for _, o := range q.OrderBy {
		term, args, err := runOrderTerm(o)
		if err != nil {
			return nil, err
		}
		order = append(order, term)
		orderArgs = append(orderArgs, args...)
	}
	order = append(order, "runs.start_time DESC", "runs.run_uuid ASC")
	lim, limArgs := limitOffset(q.MaxResults, offset)
	args := append(append(w.args, orderArgs...), limArgs...)
	runs, err := s.loadRuns(ctx, s.read, w.where()+" ORDER BY "+joinTerms(order)+lim, args...)
	if err != nil {
		return nil, err
	}
	page := &tracking.RunPage{Runs: runs}
	if len(runs) > q.MaxResults {
		page.Runs = runs[:q.MaxResults]
		page.NextPageToken = tracking.EncodePageToken(offset + q.MaxResults)
	}
	return page, nil
}
