package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/berthml/berth/tracking"
)

// loggedModelAttributeColumns maps search attributes to columns and how
// they compare.
var loggedModelAttributeColumns = map[string]struct {
	col  string
	kind valueKind
}{
	"model_id":               {"m.model_id", textValue},
	"name":                   {"m.name", textValue},
	"model_type":             {"m.model_type", textValue},
	"status":                 {"m.status", textValue},
	"source_run_id":          {"m.source_run_id", textValue},
	"creation_time":          {"m.creation_timestamp_ms", intValue},
	"creation_timestamp":     {"m.creation_timestamp_ms", intValue},
	"last_updated_timestamp": {"m.last_updated_timestamp_ms", intValue},
	"last_updated_time":      {"m.last_updated_timestamp_ms", intValue},
	"experiment_id":          {"m.experiment_id", intValue},
}

// latestMetricJoin is a LEFT JOIN of each model's latest value of a
// metric (greatest step, then timestamp), on the given datasets when there
// are some, as alias; NaN values are left out. It is computed once per
// query rather than once per model.
func latestMetricJoin(alias, key string, datasets []tracking.DatasetRef) (string, []any) {
	cond, args := "key = ? AND is_nan = 0", []any{key}
	if len(datasets) > 0 {
		var ors []string
		for _, d := range datasets {
			if d.Digest != "" {
				ors = append(ors, "(dataset_name = ? AND dataset_digest = ?)")
				args = append(args, d.Name, d.Digest)
			} else {
				ors = append(ors, "dataset_name = ?")
				args = append(args, d.Name)
			}
		}
		cond += " AND (" + strings.Join(ors, " OR ") + ")"
	}
	return ` LEFT JOIN (SELECT model_id, value FROM (SELECT model_id, value, ROW_NUMBER() OVER (PARTITION BY model_id
		ORDER BY step DESC, timestamp DESC, seq DESC) AS rn FROM logged_model_metrics WHERE ` + cond + `) latest WHERE rn = 1) ` +
		alias + ` ON ` + alias + `.model_id = m.model_id`, args
}

// metricJoins names one join per metric and dataset choice a search uses.
type metricJoins struct {
	aliases map[string]string
	sql     strings.Builder
	args    []any
}

func (j *metricJoins) alias(key string, datasets []tracking.DatasetRef) string {
	id := key + "\x00" + fmt.Sprint(datasets)
	if a, ok := j.aliases[id]; ok {
		return a
	}
	if j.aliases == nil {
		j.aliases = map[string]string{}
	}
	a := fmt.Sprintf("lm%d", len(j.aliases))
	j.aliases[id] = a
	q, args := latestMetricJoin(a, key, datasets)
	j.sql.WriteString(q)
	j.args = append(j.args, args...)
	return a
}

// SearchLoggedModels implements tracking.LoggedModelStore.
func (s *Store) SearchLoggedModels(ctx context.Context, q tracking.LoggedModelQuery) (*tracking.LoggedModelPage, error) {
	if err := checkMaxResults(q.MaxResults, tracking.MaxLoggedModelResults); err != nil {
		return nil, err
	}
	offset, err := tracking.DecodePageToken(q.PageToken)
	if err != nil {
		return nil, err
	}
	var p sqlParts
	var joins metricJoins
	p.add("m.lifecycle_stage = ?", tracking.LifecycleActive)
	if len(q.ExperimentIDs) > 0 {
		args := make([]any, len(q.ExperimentIDs))
		for i, id := range q.ExperimentIDs {
			n, err := parseExperimentID(id)
			if err != nil {
				return nil, err
			}
			args[i] = n
		}
		p.add("m.experiment_id IN ("+placeholders(len(args))+")", args...)
	}
	for _, c := range q.Filter.Comparisons {
		switch c.Kind {
		case tracking.KindAttribute:
			a, ok := loggedModelAttributeColumns[c.Key]
			if !ok {
				return nil, unsupported("logged model", c)
			}
			cond, args, err := comparison(a.col, a.kind, c)
			if err != nil {
				return nil, err
			}
			p.add(cond, args...)
		case tracking.KindMetric:
			cond, args, err := comparison(joins.alias(c.Key, q.Datasets)+".value", numberValue, c)
			if err != nil {
				return nil, err
			}
			p.add(cond, args...)
		case tracking.KindParam, tracking.KindTag:
			table := "logged_model_params"
			if c.Kind == tracking.KindTag {
				table = "logged_model_tags"
			}
			cond, args, err := comparison("x.value", textValue, c)
			if err != nil {
				return nil, err
			}
			p.add("EXISTS (SELECT 1 FROM "+table+" x WHERE x.model_id = m.model_id AND x.key = ? AND "+cond+")", append([]any{c.Key}, args...)...)
		default:
			return nil, unsupported("logged model", c)
		}
	}
	var terms []string
	var orderArgs []any
	for _, o := range q.OrderBy {
		switch o.Kind {
		case tracking.KindMetric:
			ds := q.Datasets
			if o.DatasetName != "" {
				ds = []tracking.DatasetRef{{Name: o.DatasetName, Digest: o.DatasetDigest}}
			}
			term, args := orderTerm(joins.alias(o.Key, ds)+".value", nil, o.Asc)
			terms = append(terms, term)
			orderArgs = append(orderArgs, args...)
		default:
			a, ok := loggedModelAttributeColumns[o.Key]
			if !ok {
				return nil, tracking.InvalidParameter("Invalid order by field: %s", o.Key)
			}
			dir := " DESC"
			if o.Asc {
				dir = " ASC"
			}
			terms = append(terms, a.col+dir)
		}
	}
	terms = append(terms, "m.creation_timestamp_ms DESC", "m.model_id ASC")
	lim, largs := limitOffset(q.MaxResults, offset)
	query := `SELECT m.model_id FROM logged_models m` + joins.sql.String() + p.where() + ` ORDER BY ` + strings.Join(terms, ", ") + lim
	args := append(append(append(append([]any{}, joins.args...), p.args...), orderArgs...), largs...)
	var ids []string
	err = s.eachRow(ctx, s.read, query, args, func(rows *sql.Rows) error {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		ids = append(ids, id)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("searching logged models: %w", err)
	}
	page := &tracking.LoggedModelPage{}
	if len(ids) > q.MaxResults {
		ids = ids[:q.MaxResults]
		page.NextPageToken = tracking.EncodePageToken(offset + q.MaxResults)
	}
	if page.Models, err = s.loadLoggedModels(ctx, s.read, ids); err != nil {
		return nil, err
	}
	return page, nil
}
