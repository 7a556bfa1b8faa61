package tracking

// Filter is a parsed MLflow search filter: comparisons joined by AND. The
// zero Filter matches everything. Package tracking/search produces it from
// filter strings such as "metrics.acc > 0.5 and params.lr = '0.1'".
type Filter struct {
	Comparisons []Comparison
}

// Entity kinds a Comparison or OrderBy refers to.
const (
	KindMetric    = "metric"
	KindParam     = "param"
	KindTag       = "tag"
	KindAttribute = "attribute"
	KindDataset   = "dataset"
)

// Comparison operators.
const (
	OpEqual        = "="
	OpNotEqual     = "!="
	OpGreater      = ">"
	OpGreaterEqual = ">="
	OpLess         = "<"
	OpLessEqual    = "<="
	OpLike         = "LIKE"
	OpILike        = "ILIKE"
	OpIn           = "IN"
	OpNotIn        = "NOT IN"
)

// Comparison is one "<kind>.<key> <op> <value>" clause.
//
// Kind is one of the Kind* constants. Key is the metric, param or tag name,
// the attribute name (run_id, run_name, status, user_id, start_time,
// end_time, artifact_uri, lifecycle_stage for runs; name, creation_time,
// last_update_time for experiments; name, run_id, source_path,
// version_number, current_stage for the registry), or the dataset field
// (name, digest, context). Op is one of the Op* constants.
//
// Value is a string for string comparisons, a float64 for numeric ones
// (metrics and the numeric attributes), and a []string for IN and NOT IN.
type Comparison struct {
	Kind  string
	Key   string
	Op    string
	Value any
}

// OrderBy is one ORDER BY term: "<kind>.<key> [ASC|DESC]".
type OrderBy struct {
	Kind string
	Key  string
	Asc  bool
}
