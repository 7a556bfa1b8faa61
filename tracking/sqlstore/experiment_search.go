package sqlstore

import (
	"context"

	"github.com/berthml/berth/tracking"
)

var experimentAttributes = map[string]struct {
	col  string
	kind valueKind
}{
	"name":             {"name", textValue},
	"experiment_id":    {"experiment_id", intValue},
	"creation_time":    {"creation_time", intValue},
	"last_update_time": {"last_update_time", intValue},
}

// SearchExperiments implements tracking.ExperimentStore.
func (s *Store) SearchExperiments(ctx context.Context, q tracking.ExperimentQuery) (*tracking.ExperimentPage, error) {
	if err := checkMaxResults(q.MaxResults, tracking.MaxExperimentResults); err != nil {
		return nil, err
	}
	offset, err := tracking.DecodePageToken(q.PageToken)
	if err != nil {
		return nil, err
	}
	var w sqlParts
	stages := q.ViewType.Lifecycles()
	w.add("lifecycle_stage IN ("+placeholders(len(stages))+")", anySlice(stages)...)
	for _, c := range q.Filter.Comparisons {
		switch c.Kind {
		case tracking.KindAttribute:
			a, ok := experimentAttributes[c.Key]
			if !ok {
				return nil, unsupported("experiment", c)
			}
			cond, args, err := comparison(a.col, a.kind, c)
			if err != nil {
				return nil, err
			}
			w.add(cond, args...)
		case tracking.KindTag:
			cond, args, err := comparison("t.value", textValue, c)
			if err != nil {
				return nil, err
			}
			w.add("EXISTS (SELECT 1 FROM experiment_tags t WHERE t.experiment_id = experiments.experiment_id AND t.key = ? AND "+cond+")",
				append([]any{c.Key}, args...)...)
		default:
			return nil, unsupported("experiment", c)
		}
	}
	var order []string
	var orderArgs []any
	seenID := false
	for _, o := range q.OrderBy {
		a, ok := experimentAttributes[o.Key]
		if o.Kind != tracking.KindAttribute || !ok {
			return nil, tracking.InvalidParameter("Invalid order_by entity: %s.%s", o.Kind, o.Key)
		}
		seenID = seenID || a.col == "experiment_id"
		term, args := orderTerm(a.col, nil, o.Asc)
		order = append(order, term)
		orderArgs = append(orderArgs, args...)
	}
	if len(q.OrderBy) == 0 {
		order = append(order, "creation_time DESC")
	}
	if !seenID {
		order = append(order, "experiment_id ASC")
	}
	lim, limArgs := limitOffset(q.MaxResults, offset)
	args := append(append(w.args, orderArgs...), limArgs...)
	exps, err := s.loadExperiments(ctx, s.read, w.where()+" ORDER BY "+joinTerms(order)+lim, args...)
	if err != nil {
		return nil, err
	}
	page := &tracking.ExperimentPage{Experiments: exps}
	if len(exps) > q.MaxResults {
		page.Experiments = exps[:q.MaxResults]
		page.NextPageToken = tracking.EncodePageToken(offset + q.MaxResults)
	}
	return page, nil
}

func anySlice[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

func joinTerms(terms []string) string {
	out := ""
	for i, t := range terms {
		if i > 0 {
			out += ", "
		}
		out += t
	}
	return out
}
