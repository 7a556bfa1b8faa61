package search

import "github.com/berthml/berth/tracking"

var (
	experimentSearchAttributes  = setOf("name", "creation_time", "last_update_time")
	experimentOrderAttributes   = setOf("name", "experiment_id", "creation_time", "last_update_time")
	experimentNumericAttributes = setOf("creation_time", "last_update_time")
	// registryEntityTypes is the entity-type tuple of SearchExperimentsUtils,
	// SearchModelUtils and SearchModelVersionUtils.
	registryEntityTypes = "('attribute', 'tag', 'tags')"
)

// registryEntity resolves the entity type of an experiment or registry
// identifier: only attribute, tag and tags are accepted.
func registryEntity(raw string) (kind, key string, err error) {
	entity, key, dotted := splitIdentifier(raw)
	if !dotted {
		return tracking.KindAttribute, key, nil
	}
	switch entity {
	case "attribute":
		return tracking.KindAttribute, key, nil
	case "tag", "tags":
		return tracking.KindTag, key, nil
	}
	return "", "", tracking.InvalidParameter("Invalid entity type '%s'. Valid entity types are %s", entity, registryEntityTypes)
}

// experimentIdentifier is SearchExperimentsUtils._get_identifier.
func experimentIdentifier(raw string, attributes map[string]bool) (kind, key string, err error) {
	kind, key, err = registryEntity(raw)
	if err != nil {
		return "", "", err
	}
	key = unquoteKey(key)
	if kind == tracking.KindAttribute && !attributes[key] {
		return "", "", tracking.InvalidParameter("Invalid attribute key '%s' specified. Valid keys are '%s'", key, pySet(attributes))
	}
	if key == "" {
		return "", "", tracking.InvalidParameter("Invalid identifier '%s'. Expected 'attribute.<key>' or 'tag.<key>'.", raw)
	}
	return kind, key, nil
}

// experimentValue is SearchUtils._get_value as SearchExperimentsUtils
// inherits it.
func experimentValue(kind, key string, v operand) (any, error) {
	if kind == tracking.KindTag {
		if isStringish(v) {
			return quotedValue(v)
		}
		return nil, tracking.InvalidParameter("Expected a quoted string value for tag (e.g. 'my-value'). Got value %s", v.text)
	}
	switch {
	case experimentNumericAttributes[key]:
		f, ok := number(v)
		if !ok {
			return nil, tracking.InvalidParameter("Expected numeric value type for numeric attribute: %s. Found %s", key, v.text)
		}
		return f, nil
	case isStringish(v):
		return quotedValue(v)
	case v.kind == aParen:
		return nil, tracking.InvalidParameter("Only the 'run_id' attribute supports comparison with a list of quoted string values.")
	}
	return nil, tracking.InvalidParameter("Expected a quoted string value for attributes. Got value %s", v.text)
}

// experimentComparator is the comparator check of the SQL store's
// _get_search_experiments_filter_clauses.
func experimentComparator(kind, key, op string) error {
	switch {
	case kind == tracking.KindTag:
		if !tagComparators[op] {
			return tracking.InvalidParameter("Invalid comparator for tag: %s", op)
		}
	case experimentNumericAttributes[key]:
		if !numericAttributeComparators[op] {
			return tracking.InvalidParameter("Invalid comparator for numeric attribute: %s", op)
		}
	case !stringAttributeComparators[op]:
		return tracking.InvalidParameter("Invalid comparator '%s' not one of '%s'", op, pySet(stringAttributeComparators))
	case !paramComparators[op]:
		return tracking.InvalidParameter("Invalid comparator for string attribute: %s", op)
	}
	return nil
}

var experimentDialect = &dialect{
	identifier: func(raw string) (string, string, error) {
		return experimentIdentifier(raw, experimentSearchAttributes)
	},
	value:      experimentValue,
	comparator: experimentComparator,
}

// ParseExperimentFilter parses the filter string of MLflow's
// experiments/search (SearchExperimentsUtils): the attributes name (a
// string), creation_time and last_update_time (numbers), with or without an
// "attribute." prefix, and tags as "tag.<key>" or "tags.<key>". String
// attributes and tags take =, !=, LIKE and ILIKE; the times take =, !=, <,
// <=, > and >=. Unlike MLflow, which only takes upper-case LIKE here, the
// operators are case-insensitive as they are for runs.
func ParseExperimentFilter(s string) (*tracking.Filter, error) {
	return parseFilter(s, experimentDialect)
}
