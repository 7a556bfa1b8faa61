package search

import (
	"strings"

	"github.com/berthml/berth/tracking"
)

// parseOrderByClause is SearchUtils._parse_order_by_string: an identifier,
// optionally followed by ASC or DESC in any case. It returns the identifier's
// source text.
func parseOrderByClause(clause string) (ident string, asc bool, err error) {
	atoms := group(clause, lex(clause))
	unparsable := tracking.InvalidParameter("Invalid order_by clause '%s'. Could not be parsed.", clause)
	if len(atoms) == 0 || len(atoms) > 2 || atoms[0].kind != aIdent {
		return "", false, unparsable
	}
	ident = clause[atoms[0].start:atoms[0].end]
	if len(atoms) == 1 {
		return ident, true, nil
	}
	if atoms[1].kind != aIdent {
		return "", false, unparsable
	}
	switch strings.ToLower(clause[atoms[1].start:atoms[1].end]) {
	case "asc":
		return ident, true, nil
	case "desc":
		return ident, false, nil
	}
	return "", false, tracking.InvalidParameter("Invalid ordering key in order_by clause '%s'.", clause)
}

// orderBys collects order_by terms and rejects a field named twice, as
// MLflow's SQL store does.
type orderBys struct {
	clauses []string
	out     []tracking.OrderBy
}

// MaxOrderBy is the most order_by terms a search may have: each metric,
// param or tag term joins another table.
const MaxOrderBy = 20

func (o *orderBys) add(kind, key string, asc bool) error {
	if len(o.out) >= MaxOrderBy {
		return tracking.InvalidParameter("Invalid order_by: more than %d terms.", MaxOrderBy)
	}
	for _, prev := range o.out {
		if prev.Kind == kind && prev.Key == key {
			return tracking.InvalidParameter("`order_by` contains duplicate fields: %s", pyList(o.clauses))
		}
	}
	o.out = append(o.out, tracking.OrderBy{Kind: kind, Key: key, Asc: asc})
	return nil
}

// ParseRunOrderBy parses the order_by list of MLflow's runs/search
// (SearchUtils.parse_order_by_for_search_runs and the SQL store): each
// clause is "<entity>.<key> [ASC|DESC]" for a metric, param, tag or
// attribute, ascending by default. Orderable attributes are run_id,
// run_name, user_id, status, start_time (alias created), end_time and
// artifact_uri; aliases are resolved in the result. A field may appear only
// once.
func ParseRunOrderBy(clauses []string) ([]tracking.OrderBy, error) {
	o := orderBys{clauses: clauses}
	for _, c := range clauses {
		ident, asc, err := parseOrderByClause(c)
		if err != nil {
			return nil, err
		}
		kind, key, err := runIdentifier(ident, runOrderAttributes)
		if err != nil {
			return nil, err
		}
		if kind == tracking.KindDataset {
			return nil, tracking.InvalidParameter("Invalid identifier type '%s'", kind)
		}
		if kind == tracking.KindAttribute {
			key = translateKeyAlias(key)
		}
		if err := o.add(kind, key, asc); err != nil {
			return nil, err
		}
	}
	return o.out, nil
}

// ParseExperimentOrderBy parses the order_by list of MLflow's
// experiments/search (SearchExperimentsUtils): name, experiment_id,
// creation_time or last_update_time, with or without an "attribute." prefix,
// then ASC or DESC.
func ParseExperimentOrderBy(clauses []string) ([]tracking.OrderBy, error) {
	return parseAttributeOrderBy(clauses, experimentOrderAttributes, nil)
}

// ParseModelOrderBy parses the order_by list of MLflow's
// registered-models/search: name, timestamp or last_updated_timestamp (the
// same field, reported as last_updated_timestamp), or creation_timestamp
// (which MLflow's file store accepts and its SQL store does not), then ASC
// or DESC.
func ParseModelOrderBy(clauses []string) ([]tracking.OrderBy, error) {
	o := orderBys{clauses: clauses}
	for _, c := range clauses {
		ident, asc, err := parseOrderByClause(c)
		if err != nil {
			return nil, err
		}
		key := strings.TrimSpace(ident)
		if !registeredModelOrderAttributes[key] {
			return nil, tracking.InvalidParameter("Invalid order by key '%s' specified. Valid keys are '%s'", key, pySet(registeredModelOrderAttributes))
		}
		if key == "timestamp" {
			key = "last_updated_timestamp"
		}
		if err := o.add(tracking.KindAttribute, key, asc); err != nil {
			return nil, err
		}
	}
	return o.out, nil
}

// ParseModelVersionOrderBy parses the order_by list of MLflow's
// model-versions/search (SearchModelVersionUtils and the SQL store): name,
// version_number, creation_timestamp or last_updated_timestamp, with or
// without an "attribute." prefix, then ASC or DESC. A field may appear only
// once.
func ParseModelVersionOrderBy(clauses []string) ([]tracking.OrderBy, error) {
	return parseAttributeOrderBy(clauses, modelVersionOrderAttributes, &orderBys{clauses: clauses})
}

// parseAttributeOrderBy parses clauses naming attributes only, with
// SearchExperimentsUtils._get_identifier; dups, when not nil, rejects a
// field named twice.
func parseAttributeOrderBy(clauses []string, attributes map[string]bool, dups *orderBys) ([]tracking.OrderBy, error) {
	var out []tracking.OrderBy
	for _, c := range clauses {
		ident, asc, err := parseOrderByClause(c)
		if err != nil {
			return nil, err
		}
		kind, key, err := experimentIdentifier(ident, attributes)
		if err != nil {
			return nil, err
		}
		if kind != tracking.KindAttribute {
			return nil, tracking.InvalidParameter("Invalid order_by entity: %s", kind)
		}
		if dups != nil {
			if err := dups.add(kind, key, asc); err != nil {
				return nil, err
			}
		}
		out = append(out, tracking.OrderBy{Kind: kind, Key: key, Asc: asc})
	}
	return out, nil
}
