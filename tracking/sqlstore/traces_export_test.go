package sqlstore

import "context"

// TraceKeysForTest returns the trace_key of each stored trace among ids.
func (s *Store) TraceKeysForTest(ctx context.Context, ids []string) ([]int64, error) {
	stored, err := s.traceExperiments(ctx, s.read, ids)
	if err != nil {
		return nil, err
	}
	var keys []int64
	for _, id := range ids {
		if st, ok := stored[id]; ok {
			keys = append(keys, st.key)
		}
	}
	return keys, nil
}

// TraceRowsForTest counts the rows of the traces keys (TraceKeysForTest,
// read before they were deleted) in trace_info and in the tables a purge
// must empty: spans, span attributes, tags, metadata, assessments.
func (s *Store) TraceRowsForTest(ctx context.Context, keys []int64) (map[string]int, error) {
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	out := map[string]int{}
	for _, table := range []string{"trace_info", "spans", "span_attributes", "trace_tags", "trace_request_metadata", "assessments"} {
		var n int
		if err := s.queryRow(ctx, s.read, `SELECT COUNT(*) FROM `+table+` WHERE trace_key IN (`+placeholders(len(keys))+`)`, args...).Scan(&n); err != nil {
			return nil, err
		}
		out[table] = n
	}
	return out, nil
}

// OpenAtSchemaForTest opens a store whose schema stops at migration
// version, as a berth of that schema left it; a later Open migrates it.
func OpenAtSchemaForTest(ctx context.Context, uri, artifactRoot string, version int) (*Store, error) {
	migrationCeiling = version
	defer func() { migrationCeiling = 0 }()
	return Open(ctx, uri, artifactRoot)
}

// ExecForTest runs one statement, written with ? placeholders, outside the
// store's API: rows as an older schema's code wrote them.
func (s *Store) ExecForTest(ctx context.Context, query string, args ...any) error {
	_, err := s.exec(ctx, s.write, query, args...)
	return err
}
