package search

import (
	"strconv"

	"github.com/berthml/berth/tracking"
)

var (
	modelSearchAttributes          = setOf("name")
	modelVersionSearchAttributes   = setOf("name", "version_number", "run_id", "source_path")
	modelVersionNumericAttributes  = setOf("version_number", "creation_timestamp", "last_updated_timestamp")
	modelVersionStringComparators  = setOf("!=", "=", "LIKE", "ILIKE", "IN")
	modelVersionOrderAttributes    = setOf("name", "version_number", "creation_timestamp", "last_updated_timestamp")
	registeredModelOrderAttributes = setOf("name", "timestamp", "last_updated_timestamp", "creation_timestamp")
)

// registryIdentifier is SearchModelUtils._get_model_search_identifier and
// SearchModelVersionUtils._get_model_version_search_identifier: unlike the
// experiment version, an attribute key is checked before its quotes are
// stripped.
func registryIdentifier(raw string, attributes map[string]bool) (kind, key string, err error) {
	kind, key, err = registryEntity(raw)
	if err != nil {
		return "", "", err
	}
	if kind == tracking.KindAttribute && !attributes[key] {
		return "", "", tracking.InvalidParameter("Invalid attribute key '%s' specified. Valid keys are '%s'", key, pySet(attributes))
	}
	key = unquoteKey(key)
	if key == "" {
		return "", "", tracking.InvalidParameter("Invalid identifier '%s'. Expected 'attribute.<key>' or 'tag.<key>'.", raw)
	}
	return kind, key, nil
}

// registryTagValue is the tag branch of the registry _get_value methods.
func registryTagValue(v operand) (any, error) {
	if isStringish(v) {
		return quotedValue(v)
	}
	return nil, tracking.InvalidParameter("Expected a quoted string value for tag (e.g. 'my-value'). Got value %s", v.text)
}

// modelValue is SearchModelUtils._get_value.
func modelValue(kind, key string, v operand) (any, error) {
	if kind == tracking.KindTag {
		return registryTagValue(v)
	}
	switch {
	case isStringish(v):
		return quotedValue(v)
	case v.kind == aParen:
		return nil, tracking.InvalidParameter("Only the 'run_id' attribute supports comparison with a list of quoted string values.")
	}
	return nil, tracking.InvalidParameter("Expected a quoted string value or a list of quoted string values for attributes. Got value %s", v.text)
}

// modelComparator is the comparator check of the SQL store's
// _get_search_registered_model_filter_query.
func modelComparator(kind, _, op string) error {
	if !paramComparators[op] {
		return tracking.InvalidParameter("Invalid comparator for %s: %s", kind, op)
	}
	return nil
}

var modelDialect = &dialect{
	identifier: func(raw string) (string, string, error) {
		return registryIdentifier(raw, modelSearchAttributes)
	},
	value:      modelValue,
	comparator: modelComparator,
}

// ParseModelFilter parses the filter string of MLflow's
// registered-models/search (SearchModelUtils and the SQL store): the
// attribute name, with or without an "attribute." prefix, and tags as
// "tag.<key>" or "tags.<key>", each with =, !=, LIKE or ILIKE and a quoted
// string.
func ParseModelFilter(s string) (*tracking.Filter, error) {
	return parseFilter(s, modelDialect)
}

// modelVersionValue is SearchModelVersionUtils._get_value. A quoted
// version_number must hold an integer, which MLflow's store would otherwise
// fail to convert; it becomes a float64 like a bare number.
func modelVersionValue(kind, key string, v operand) (any, error) {
	if kind == tracking.KindTag {
		return registryTagValue(v)
	}
	switch {
	case isStringish(v):
		s, err := quotedValue(v)
		if err != nil || key != "version_number" {
			return s, err
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, tracking.InvalidParameter("Invalid value '%s' for attribute version_number: expected an integer.", s)
		}
		return float64(n), nil
	case v.kind == aParen:
		if key != "run_id" {
			return nil, tracking.InvalidParameter("Only the 'run_id' attribute supports comparison with a list of quoted string values.")
		}
		return runIDList(v)
	case v.kind == aNumber:
		if !modelVersionNumericAttributes[key] {
			return nil, tracking.InvalidParameter("Only the '%s' attributes support comparison with numeric values.", pySet(modelVersionNumericAttributes))
		}
		f, _ := number(v)
		return f, nil
	}
	return nil, tracking.InvalidParameter("Expected a quoted string value or a list of quoted string values for attributes. Got value %s", v.text)
}

// modelVersionComparator is the comparator check of the SQL store's
// _get_search_model_versions_filter_clauses.
func modelVersionComparator(kind, key, op string) error {
	switch {
	case kind == tracking.KindTag:
		if !tagComparators[op] {
			return tracking.InvalidParameter("Invalid comparator for tag: %s", op)
		}
	case modelVersionNumericAttributes[key]:
		if !numericAttributeComparators[op] {
			return tracking.InvalidParameter("Invalid comparator for attribute %s: %s", key, op)
		}
	case !modelVersionStringComparators[op] || (op == tracking.OpIn && key != "run_id"):
		return tracking.InvalidParameter("Invalid comparator for attribute: %s", op)
	}
	return nil
}

var modelVersionDialect = &dialect{
	identifier: func(raw string) (string, string, error) {
		return registryIdentifier(raw, modelVersionSearchAttributes)
	},
	value:      modelVersionValue,
	comparator: modelVersionComparator,
}

// ParseModelVersionFilter parses the filter string of MLflow's
// model-versions/search (SearchModelVersionUtils and the SQL store): the
// attributes name and source_path (=, !=, LIKE, ILIKE), run_id (=, !=, LIKE,
// ILIKE, and IN with a list), version_number (a number, compared with =, !=,
// <, <=, > or >=), and tags as "tag.<key>" or "tags.<key>".
func ParseModelVersionFilter(s string) (*tracking.Filter, error) {
	return parseFilter(s, modelVersionDialect)
}
