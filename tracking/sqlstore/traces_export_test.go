package sqlstore

import "context"

// TraceRowsForTest counts the rows that hang off the traces ids in the
// tables a purge must empty: spans, tags, metadata, assessments.
func (s *Store) TraceRowsForTest(ctx context.Context, ids []string) (map[string]int, error) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	out := map[string]int{}
	for table, col := range map[string]string{"trace_info": "request_id", "spans": "trace_id", "trace_tags": "request_id",
		"trace_request_metadata": "request_id", "assessments": "trace_id"} {
		var n int
		if err := s.queryRow(ctx, s.read, `SELECT COUNT(*) FROM `+table+` WHERE `+col+` IN (`+placeholders(len(ids))+`)`, args...).Scan(&n); err != nil {
			return nil, err
		}
		out[table] = n
	}
	return out, nil
}
