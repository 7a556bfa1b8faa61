package search

import (
	"github.com/berthml/berth/tracking"
)

// Comparator sets of SearchUtils.
var (
	metricComparators           = setOf(">", ">=", "!=", "=", "<", "<=")
	paramComparators            = setOf("!=", "=", "LIKE", "ILIKE")
	tagComparators              = paramComparators
	stringAttributeComparators  = setOf("!=", "=", "LIKE", "ILIKE", "IN", "NOT IN")
	numericAttributeComparators = metricComparators
	datasetComparators          = stringAttributeComparators
)

// Run search identifiers (SearchUtils).
var (
	// runIdentifiers maps every entity-type spelling to its Kind.
	runIdentifiers = map[string]string{
		"metric": tracking.KindMetric, "metrics": tracking.KindMetric,
		"parameter": tracking.KindParam, "parameters": tracking.KindParam,
		"param": tracking.KindParam, "params": tracking.KindParam,
		"tag": tracking.KindTag, "tags": tracking.KindTag,
		"attribute": tracking.KindAttribute, "attributes": tracking.KindAttribute,
		"attr": tracking.KindAttribute, "run": tracking.KindAttribute,
		"dataset": tracking.KindDataset, "datasets": tracking.KindDataset,
	}
	// runIdentifierNames is SearchUtils._IDENTIFIERS, for messages.
	runIdentifierNames = []string{"metric", "parameter", "tag", "attribute", "dataset"}

	runNumericAttributes = setOf("start_time", "end_time", "created", "Created")
	// runSearchAttributes are RunInfo's searchable attributes plus aliases.
	runSearchAttributes = setOf("run_id", "run_name", "user_id", "status", "start_time",
		"end_time", "artifact_uri", "created", "Created", "run name", "Run name", "Run Name")
	// runOrderAttributes are RunInfo's orderable attributes plus aliases.
	runOrderAttributes = setOf("run_id", "run_name", "user_id", "status", "start_time",
		"end_time", "artifact_uri", "created", "Created")
	datasetKeys = setOf("name", "digest", "context")
)

// translateKeyAlias maps MLflow's attribute aliases to the attribute they
// stand for (SearchUtils.translate_key_alias).
func translateKeyAlias(key string) string {
	switch key {
	case "created", "Created":
		return "start_time"
	case "run name", "Run name", "Run Name":
		return "run_name"
	}
	return key
}

// runIdentifier is SearchUtils._get_identifier.
func runIdentifier(raw string, attributes map[string]bool) (kind, key string, err error) {
	entity, key, dotted := splitIdentifier(raw)
	kind = tracking.KindAttribute
	if dotted {
		e := trimBackticks(entity)
		var ok bool
		if kind, ok = runIdentifiers[e]; !ok {
			return "", "", tracking.InvalidParameter("Invalid entity type '%s'. Valid values are %s", e, pyList(runIdentifierNames))
		}
	}
	key = unquoteKey(key)
	if key == "" {
		return "", "", tracking.InvalidParameter("Invalid identifier '%s'. Columns should be specified as 'attribute.<key>', 'metric.<key>', 'tag.<key>', 'dataset.<key>', or 'param.'.", raw)
	}
	switch {
	case kind == tracking.KindAttribute && !attributes[key]:
		return "", "", tracking.InvalidParameter("Invalid attribute key '%s' specified. Valid keys are '%s'", key, pySet(attributes))
	case kind == tracking.KindDataset && !datasetKeys[key]:
		return "", "", tracking.InvalidParameter("Invalid dataset key '%s' specified. Valid keys are '%s'", key, pySet(datasetKeys))
	}
	return kind, key, nil
}

// entityName is how SearchUtils names a kind in its messages.
func entityName(kind string) string {
	if kind == tracking.KindParam {
		return "parameter"
	}
	return kind
}

// runValue is SearchUtils._get_value.
func runValue(kind, key string, v operand) (any, error) {
	switch kind {
	case tracking.KindMetric:
		f, ok := number(v)
		if !ok {
			return nil, tracking.InvalidParameter("Expected numeric value type for metric. Found %s", v.text)
		}
		return f, nil
	case tracking.KindParam, tracking.KindTag:
		if isStringish(v) {
			return quotedValue(v)
		}
		return nil, tracking.InvalidParameter("Expected a quoted string value for %s (e.g. 'my-value'). Got value %s", entityName(kind), v.text)
	case tracking.KindAttribute:
		switch {
		case runNumericAttributes[key]:
			f, ok := number(v)
			if !ok {
				return nil, tracking.InvalidParameter("Expected numeric value type for numeric attribute: %s. Found %s", key, v.text)
			}
			return f, nil
		case isStringish(v):
			return quotedValue(v)
		case v.kind == aParen:
			if key != "run_id" {
				return nil, tracking.InvalidParameter("Only the 'run_id' attribute supports comparison with a list of quoted string values.")
			}
			return runIDList(v)
		}
		return nil, tracking.InvalidParameter("Expected a quoted string value for attributes. Got value %s", v.text)
	default: // dataset
		switch {
		case isStringish(v):
			return quotedValue(v)
		case v.kind == aParen:
			return parseStringList(v)
		}
		return nil, tracking.InvalidParameter("Expected a quoted string value for dataset attributes. Got value %s", v.text)
	}
}

// runIDList is SearchUtils._parse_run_ids: a list of strings without the
// ids that are not lower case (Python's str.islower), since run ids are
// lower-case hex and MySQL's IN ignores case.
func runIDList(v operand) ([]string, error) {
	ids, err := parseStringList(v)
	if err != nil {
		return nil, err
	}
	out := ids[:0]
	for _, id := range ids {
		if pyIsLower(id) {
			out = append(out, id)
		}
	}
	return out, nil
}

// runComparator is the comparator check of SearchUtils.is_metric, is_param,
// is_tag, is_string_attribute, is_numeric_attribute and is_dataset.
func runComparator(kind, key, op string) error {
	var valid map[string]bool
	switch kind {
	case tracking.KindMetric:
		valid = metricComparators
	case tracking.KindParam:
		valid = paramComparators
	case tracking.KindTag:
		valid = tagComparators
	case tracking.KindDataset:
		valid = datasetComparators
	default:
		valid = stringAttributeComparators
		if runNumericAttributes[key] {
			valid = numericAttributeComparators
		}
	}
	if !valid[op] {
		return tracking.InvalidParameter("Invalid comparator '%s' not one of '%s'", op, pySet(valid))
	}
	return nil
}

var runDialect = &dialect{
	quoteClauses: true,
	identifier: func(raw string) (string, string, error) {
		return runIdentifier(raw, runSearchAttributes)
	},
	value:      runValue,
	comparator: runComparator,
}

// ParseRunFilter parses the filter string of MLflow's runs/search, as
// SearchUtils.parse_search_filter does and the SQL store then checks it.
//
// A comparison is "<entity>.<key> <op> <value>" where entity is metric(s),
// param(s)/parameter(s), tag(s), attribute(s)/attr/run (or nothing, for an
// attribute) or dataset(s); keys with spaces or dots may be quoted with
// backticks or double quotes. Comparisons are joined by AND (any case); OR
// and parentheses are not supported. String values take single or double
// quotes; metric values and the numeric attributes (start_time, end_time and
// their alias created) take numbers. Attribute aliases are resolved in the
// result: created becomes start_time and "run name" becomes run_name.
//
// The empty string is the empty filter. Errors are *tracking.Error with
// code INVALID_PARAMETER_VALUE and MLflow's message.
func ParseRunFilter(s string) (*tracking.Filter, error) {
	f, err := parseFilter(s, runDialect)
	if err != nil {
		return nil, err
	}
	for i := range f.Comparisons {
		if f.Comparisons[i].Kind == tracking.KindAttribute {
			f.Comparisons[i].Key = translateKeyAlias(f.Comparisons[i].Key)
		}
	}
	return f, nil
}
