package sqlstore

// The records of an evaluation dataset: one per distinct inputs (a hash of
// them), merged on upsert, paged in insertion order; each change refreshes
// the dataset's profile and digest.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	"github.com/berthml/berth/tracking"
)

// DeleteDatasetRecords deletes the named records of a dataset (an id it
// does not have is skipped) and returns how many it deleted; the
// dataset's profile and digest follow.
func (s *Store) DeleteDatasetRecords(ctx context.Context, id string, recordIDs []string) (int, error) {
	deleted := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		deleted = 0
		if _, err := s.lockDatasetLinks(ctx, tx, id); err != nil {
			return err
		}
		for i := 0; i < len(recordIDs); i += 100 {
			chunk := recordIDs[i:min(i+100, len(recordIDs))]
			args := []any{id}
			for _, r := range chunk {
				args = append(args, r)
			}
			res, err := s.exec(ctx, tx, `DELETE FROM evaluation_dataset_records WHERE dataset_id = ? AND dataset_record_id IN (`+
				placeholders(len(chunk))+`)`, args...)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			deleted += int(n)
		}
		return s.refreshDatasetSummary(ctx, tx, id, s.now())
	})
	if err != nil {
		return 0, err
	}
	return deleted, nil
}

// UpsertDatasetRecords adds records to a dataset; a record whose inputs the
// dataset already has is merged into that one (expectations and tags
// merged key by key, outputs and source replaced when given). It returns
// how many were inserted and how many updated.
func (s *Store) UpsertDatasetRecords(ctx context.Context, id string, recs []tracking.DatasetRecord) (inserted, updated int, err error) {
	for i, r := range recs {
		if !isJSONObject(r.Inputs) {
			return 0, 0, tracking.InvalidParameter("Record %d: inputs must be a JSON object", i)
		}
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		inserted, updated = 0, 0
		var one int
		if err := s.queryRow(ctx, tx, `SELECT 1 FROM evaluation_datasets WHERE dataset_id = ?`+s.d.forUpdate, id).Scan(&one); noRows(err) {
			return datasetNotFound(id)
		} else if err != nil {
			return err
		}
		now := s.now()
		for _, r := range recs {
			hash, canon, err := inputHash(r.Inputs)
			if err != nil {
				return err
			}
			old, err := s.recordByHash(ctx, tx, id, hash)
			if err != nil {
				return err
			}
			if old == nil {
				if err := s.insertRecord(ctx, tx, id, hash, canon, r, now); err != nil {
					return err
				}
				inserted++
				continue
			}
			if err := s.mergeRecord(ctx, tx, old, r, now); err != nil {
				return err
			}
			updated++
		}
		return s.refreshDatasetSummary(ctx, tx, id, now)
	})
	if err != nil {
		return 0, 0, fmt.Errorf("upserting records of dataset %s: %w", id, err)
	}
	return inserted, updated, nil
}

func (s *Store) insertRecord(ctx context.Context, tx *sql.Tx, id, hash string, inputs []byte, r tracking.DatasetRecord, now int64) error {
	tags, err := marshalTags(r.Tags)
	if err != nil {
		return err
	}
	by := r.Tags[tracking.DatasetUserTag]
	_, err = s.exec(ctx, tx, `INSERT INTO evaluation_dataset_records (dataset_record_id, dataset_id, input_hash, inputs, outputs,
		expectations, tags, source, source_id, source_type, created_time, last_update_time, created_by, last_updated_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		"dr-"+newRunID(), id, hash, string(inputs), nullJSON(r.Outputs), nullJSON(r.Expectations), tags, nullJSON(r.Source),
		optString(r.SourceID), optString(r.SourceType), now, now, by, by)
	return err
}

func (s *Store) mergeRecord(ctx context.Context, tx *sql.Tx, old *tracking.DatasetRecord, r tracking.DatasetRecord, now int64) error {
	exp, err := mergeObjects(old.Expectations, r.Expectations)
	if err != nil {
		return err
	}
	tags := old.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	for k, v := range r.Tags {
		tags[k] = v
	}
	t, err := marshalTags(tags)
	if err != nil {
		return err
	}
	outputs, source, sourceID, sourceType := old.Outputs, old.Source, old.SourceID, old.SourceType
	if len(r.Outputs) > 0 {
		outputs = r.Outputs
	}
	if len(r.Source) > 0 {
		source, sourceID, sourceType = r.Source, r.SourceID, r.SourceType
	}
	_, err = s.exec(ctx, tx, `UPDATE evaluation_dataset_records SET outputs = ?, expectations = ?, tags = ?, source = ?, source_id = ?,
		source_type = ?, last_update_time = ?, last_updated_by = ? WHERE dataset_record_id = ?`,
		nullJSON(outputs), nullJSON(exp), t, nullJSON(source), optString(sourceID), optString(sourceType), now,
		r.Tags[tracking.DatasetUserTag], old.ID)
	return err
}

// refreshDatasetSummary recounts the records into the profile and
// recomputes the digest over the records' input hashes.
func (s *Store) refreshDatasetSummary(ctx context.Context, tx *sql.Tx, id string, now int64) error {
	rows, err := s.query(ctx, tx, `SELECT input_hash FROM evaluation_dataset_records WHERE dataset_id = ?`, id)
	if err != nil {
		return err
	}
	var hashes []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			rows.Close()
			return err
		}
		hashes = append(hashes, h)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	profile := `{"num_records": ` + strconv.Itoa(len(hashes)) + `}`
	_, err = s.exec(ctx, tx, `UPDATE evaluation_datasets SET profile = ?, digest = ?, last_update_time = ? WHERE dataset_id = ?`,
		profile, recordsDigest(id, hashes), now, id)
	return err
}

func (s *Store) recordByHash(ctx context.Context, tx *sql.Tx, id, hash string) (*tracking.DatasetRecord, error) {
	rs, err := s.loadRecords(ctx, tx, `WHERE dataset_id = ? AND input_hash = ?`, id, hash)
	if err != nil || len(rs) == 0 {
		return nil, err
	}
	return &rs[0], nil
}

// GetDatasetRecords returns a page of a dataset's records in the order
// they were first added.
func (s *Store) GetDatasetRecords(ctx context.Context, id string, maxResults int, pageToken string) ([]tracking.DatasetRecord, string, error) {
	offset, err := tracking.DecodePageToken(pageToken)
	if err != nil {
		return nil, "", err
	}
	if _, err := s.GetDataset(ctx, id); err != nil {
		return nil, "", err
	}
	rs, err := s.loadRecords(ctx, s.read, `WHERE dataset_id = ? ORDER BY seq LIMIT ? OFFSET ?`, id, maxResults+1, offset)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(rs) > maxResults {
		rs = rs[:maxResults]
		next = tracking.EncodePageToken(offset + maxResults)
	}
	return rs, next, nil
}

func (s *Store) loadRecords(ctx context.Context, q querier, clause string, args ...any) ([]tracking.DatasetRecord, error) {
	rows, err := s.query(ctx, q, `SELECT `+recordColumns+` FROM evaluation_dataset_records `+clause, args...)
	if err != nil {
		return nil, fmt.Errorf("reading dataset records: %w", err)
	}
	defer rows.Close()
	var out []tracking.DatasetRecord
	for rows.Next() {
		var r tracking.DatasetRecord
		var inputs string
		var outputs, exp, tags, source, sourceID, sourceType sql.NullString
		if err := rows.Scan(&r.ID, &r.DatasetID, &inputs, &outputs, &exp, &tags, &source, &sourceID, &sourceType,
			&r.CreatedTime, &r.LastUpdateTime, &r.CreatedBy, &r.LastUpdatedBy); err != nil {
			return nil, fmt.Errorf("reading dataset records: %w", err)
		}
		r.Inputs = json.RawMessage(inputs)
		r.Outputs, r.Expectations, r.Source = rawOrNil(outputs), rawOrNil(exp), rawOrNil(source)
		r.SourceID, r.SourceType = sourceID.String, sourceType.String
		if tags.Valid && tags.String != "" {
			if err := json.Unmarshal([]byte(tags.String), &r.Tags); err != nil {
				return nil, fmt.Errorf("reading the tags of record %s: %w", r.ID, err)
			}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// inputHash returns the SHA-256 of the inputs' canonical JSON (keys
// sorted, compact) and that JSON.
func inputHash(inputs json.RawMessage) (string, []byte, error) {
	var v any
	if err := json.Unmarshal(inputs, &v); err != nil {
		return "", nil, tracking.InvalidParameter("Record inputs are not JSON: %v", err)
	}
	canon, err := json.Marshal(v) // maps marshal with sorted keys
	if err != nil {
		return "", nil, tracking.InvalidParameter("Record inputs: %v", err)
	}
	sum := sha256.Sum256(canon)
	return hex.EncodeToString(sum[:]), canon, nil
}

// recordsDigest is a dataset's digest: the first 8 bytes of the SHA-256 of
// its id and its records' sorted input hashes, in hex.
func recordsDigest(id string, hashes []string) string {
	sort.Strings(hashes)
	h := sha256.New()
	h.Write([]byte(id))
	for _, x := range hashes {
		h.Write([]byte{0})
		h.Write([]byte(x))
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// mergeObjects returns old's keys updated with new's (both JSON objects
// or empty); a new value that is not an object replaces old.
func mergeObjects(old, new json.RawMessage) (json.RawMessage, error) {
	if len(new) == 0 {
		return old, nil
	}
	if !isJSONObject(old) || !isJSONObject(new) {
		return new, nil
	}
	var a, b map[string]json.RawMessage
	if err := json.Unmarshal(old, &a); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(new, &b); err != nil {
		return nil, tracking.InvalidParameter("Record expectations are not JSON: %v", err)
	}
	for k, v := range b {
		a[k] = v
	}
	return json.Marshal(a)
}

func isJSONObject(b json.RawMessage) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{' && json.Valid(b)
}

func nullJSON(b json.RawMessage) any {
	if len(bytes.TrimSpace(b)) == 0 || string(bytes.TrimSpace(b)) == "null" {
		return nil
	}
	return string(b)
}

func optString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func rawOrNil(s sql.NullString) json.RawMessage {
	if !s.Valid || s.String == "" {
		return nil
	}
	return json.RawMessage(s.String)
}
