package sqlstore

import (
	"context"

	"github.com/berthml/berth/tracking"
)

var modelAttributes = map[string]column{
	"name":                   {"rm.name", textValue},
	"creation_timestamp":     {"rm.creation_time", intValue},
	"creation_time":          {"rm.creation_time", intValue},
	"last_updated_timestamp": {"rm.last_updated_time", intValue},
	"last_updated_time":      {"rm.last_updated_time", intValue},
}

var versionAttributes = map[string]column{
	"name":                   {"mv.name", textValue},
	"run_id":                 {"mv.run_id", textValue},
	"source_path":            {"mv.source", textValue},
	"source":                 {"mv.source", textValue},
	"current_stage":          {"mv.current_stage", textValue},
	"version_number":         {"mv.version", intValue},
	"version":                {"mv.version", intValue},
	"creation_timestamp":     {"mv.creation_time", intValue},
	"last_updated_timestamp": {"mv.last_updated_time", intValue},
}

// registryWhere compiles a registry filter: attribute comparisons plus tag
// comparisons against tagTable joined on joinCond.
func registryWhere(entity string, f tracking.Filter, attrs map[string]column, tagExists string) (sqlParts, error) {
	var w sqlParts
	for _, c := range f.Comparisons {
		switch c.Kind {
		case tracking.KindAttribute:
			col, ok := attrs[c.Key]
			if !ok {
				return w, unsupported(entity, c)
			}
			cond, args, err := comparison(col.sql, col.kind, c)
			if err != nil {
				return w, err
			}
			w.add(cond, args...)
		case tracking.KindTag:
			cond, args, err := comparison("t.value", textValue, c)
			if err != nil {
				return w, err
			}
			w.add(tagExists+" AND t.key = ? AND "+cond+")", append([]any{c.Key}, args...)...)
		default:
			return w, unsupported(entity, c)
		}
	}
	return w, nil
}

func registryOrder(o []tracking.OrderBy, attrs map[string]column, defaults []string) ([]string, []any, error) {
	var terms []string
	var args []any
	for _, ob := range o {
		col, ok := attrs[ob.Key]
		if ob.Kind != tracking.KindAttribute || !ok {
			return nil, nil, tracking.InvalidParameter("Invalid order by key '%s' specified.", ob.Key)
		}
		t, a := orderTerm(col.sql, nil, ob.Asc)
		terms = append(terms, t)
		args = append(args, a...)
	}
	return append(terms, defaults...), args, nil
}

// SearchRegisteredModels implements tracking.RegistryStore. The default
// order is by name.
func (s *Store) SearchRegisteredModels(ctx context.Context, q tracking.ModelQuery) (*tracking.RegisteredModelPage, error) {
	if err := checkMaxResults(q.MaxResults, tracking.MaxRegisteredModelResults); err != nil {
		return nil, err
	}
	offset, err := tracking.DecodePageToken(q.PageToken)
	if err != nil {
		return nil, err
	}
	w, err := registryWhere("registered model", q.Filter, modelAttributes,
		"EXISTS (SELECT 1 FROM registered_model_tags t WHERE t.name = rm.name")
	if err != nil {
		return nil, err
	}
	order, orderArgs, err := registryOrder(q.OrderBy, modelAttributes, []string{"rm.name ASC"})
	if err != nil {
		return nil, err
	}
	lim, limArgs := limitOffset(q.MaxResults, offset)
	ms, err := s.loadModels(ctx, s.read, w.where()+" ORDER BY "+joinTerms(order)+lim, append(append(w.args, orderArgs...), limArgs...)...)
	if err != nil {
		return nil, err
	}
	page := &tracking.RegisteredModelPage{RegisteredModels: ms}
	if len(ms) > q.MaxResults {
		page.RegisteredModels = ms[:q.MaxResults]
		page.NextPageToken = tracking.EncodePageToken(offset + q.MaxResults)
	}
	return page, nil
}

// SearchModelVersions implements tracking.RegistryStore. The default order
// is last_updated_timestamp DESC, name ASC, version DESC. Results carry no
// aliases, as in MLflow.
func (s *Store) SearchModelVersions(ctx context.Context, q tracking.ModelQuery) (*tracking.ModelVersionPage, error) {
	if err := checkMaxResults(q.MaxResults, tracking.MaxModelVersionResults); err != nil {
		return nil, err
	}
	offset, err := tracking.DecodePageToken(q.PageToken)
	if err != nil {
		return nil, err
	}
	w, err := registryWhere("model version", q.Filter, versionAttributes,
		"EXISTS (SELECT 1 FROM model_version_tags t WHERE t.name = mv.name AND t.version = mv.version")
	if err != nil {
		return nil, err
	}
	w.add("mv.current_stage <> ?", stageDeleted)
	order, orderArgs, err := registryOrder(q.OrderBy, versionAttributes,
		[]string{"mv.last_updated_time DESC", "mv.name ASC", "mv.version DESC"})
	if err != nil {
		return nil, err
	}
	lim, limArgs := limitOffset(q.MaxResults, offset)
	vs, err := s.loadVersions(ctx, s.read, false, w.where()+" ORDER BY "+joinTerms(order)+lim,
		append(append(w.args, orderArgs...), limArgs...)...)
	if err != nil {
		return nil, err
	}
	page := &tracking.ModelVersionPage{ModelVersions: vs}
	if len(vs) > q.MaxResults {
		page.ModelVersions = vs[:q.MaxResults]
		page.NextPageToken = tracking.EncodePageToken(offset + q.MaxResults)
	}
	return page, nil
}
