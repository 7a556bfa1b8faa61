package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/berthml/berth/webhook"
)

// The webhook delivery queue (migrations/0008_webhook_deliveries.sql):
// every berth server on one database delivers from it, so a delivery
// queued by a replica that dies is made by another.

var _ webhook.Queue = (*Store)(nil)

// EnqueueWebhookDeliveries stores ds while the queue holds fewer than max
// rows (counted once, in the same transaction: replicas queueing at the
// same moment on PostgreSQL may pass max by a few), and returns how many
// it stored.
func (s *Store) EnqueueWebhookDeliveries(ctx context.Context, ds []webhook.Delivery, max int) (int, error) {
	stored := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		stored = 0
		var n int
		if err := s.queryRow(ctx, tx, `SELECT COUNT(*) FROM webhook_deliveries`).Scan(&n); err != nil {
			return fmt.Errorf("counting queued webhook deliveries: %w", err)
		}
		for _, d := range ds {
			if n >= max {
				break
			}
			if _, err := s.exec(ctx, tx, `INSERT INTO webhook_deliveries (delivery_id, webhook_id, entity, action, body, ts,
				attempts, next_attempt_at, lease_owner, lease_until, created_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, '', 0, ?)`,
				d.ID, d.WebhookID, string(d.Event.Entity), string(d.Event.Action), string(d.Body), d.Timestamp,
				d.Created.UnixMilli(), d.Created.UnixMilli()); err != nil {
				return fmt.Errorf("queueing webhook delivery %s: %w", d.ID, err)
			}
			n++
			stored++
		}
		return nil
	})
	return stored, err
}

// ClaimWebhookDeliveries leases up to n due deliveries, oldest due first.
// On PostgreSQL the rows are picked FOR UPDATE SKIP LOCKED, so replicas
// claiming at once take different rows without waiting on each other.
func (s *Store) ClaimWebhookDeliveries(ctx context.Context, now time.Time, lease time.Duration, n int) ([]webhook.Delivery, error) {
	if n <= 0 {
		return nil, nil
	}
	lock := ""
	if s.d.name == "postgres" {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	ms := now.UnixMilli()
	// Most polls find nothing due: ask the read pool first, so that an idle
	// server does not take SQLite's write lock (or a PostgreSQL
	// transaction) every poll interval.
	var due int
	switch err := s.queryRow(ctx, s.read, `SELECT 1 FROM webhook_deliveries WHERE next_attempt_at <= ? AND lease_until <= ? LIMIT 1`,
		ms, ms).Scan(&due); {
	case noRows(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("looking for due webhook deliveries: %w", err)
	}
	token := webhook.NewID()
	var out []webhook.Delivery
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		rows, err := s.query(ctx, tx, `UPDATE webhook_deliveries SET lease_owner = ?, lease_until = ?
			WHERE delivery_id IN (SELECT delivery_id FROM webhook_deliveries WHERE next_attempt_at <= ? AND lease_until <= ?
				ORDER BY next_attempt_at LIMIT ?`+lock+`)
			RETURNING delivery_id, webhook_id, entity, action, body, ts, attempts, created_at`,
			token, now.Add(lease).UnixMilli(), ms, ms, n)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var d webhook.Delivery
			var entity, action, body string
			var created int64
			if err := rows.Scan(&d.ID, &d.WebhookID, &entity, &action, &body, &d.Timestamp, &d.Attempts, &created); err != nil {
				return err
			}
			d.Event = webhook.Event{Entity: webhook.Entity(entity), Action: webhook.Action(action)}
			d.Body, d.Created, d.Lease = []byte(body), time.UnixMilli(created), token
			out = append(out, d)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("claiming webhook deliveries: %w", err)
	}
	return out, nil
}

// RescheduleWebhookDelivery writes d's attempts and next attempt time and
// lets its lease go, if the lease is still d's.
func (s *Store) RescheduleWebhookDelivery(ctx context.Context, d webhook.Delivery, attempts int, next time.Time) error {
	if _, err := s.exec(ctx, s.write, `UPDATE webhook_deliveries SET attempts = ?, next_attempt_at = ?, lease_owner = '', lease_until = 0
		WHERE delivery_id = ? AND lease_owner = ?`, attempts, next.UnixMilli(), d.ID, d.Lease); err != nil {
		return fmt.Errorf("rescheduling webhook delivery %s: %w", d.ID, err)
	}
	return nil
}

// FinishWebhookDelivery removes d, if its lease is still d's.
func (s *Store) FinishWebhookDelivery(ctx context.Context, d webhook.Delivery) error {
	if _, err := s.exec(ctx, s.write, `DELETE FROM webhook_deliveries WHERE delivery_id = ? AND lease_owner = ?`, d.ID, d.Lease); err != nil {
		return fmt.Errorf("finishing webhook delivery %s: %w", d.ID, err)
	}
	return nil
}

// PruneWebhookDeliveries removes deliveries queued before cutoff and
// counts those left.
func (s *Store) PruneWebhookDeliveries(ctx context.Context, cutoff time.Time) (pruned, left int64, err error) {
	res, err := s.exec(ctx, s.write, `DELETE FROM webhook_deliveries WHERE created_at < ?`, cutoff.UnixMilli())
	if err != nil {
		return 0, 0, fmt.Errorf("pruning webhook deliveries: %w", err)
	}
	pruned, _ = res.RowsAffected()
	if err := s.queryRow(ctx, s.read, `SELECT COUNT(*) FROM webhook_deliveries`).Scan(&left); err != nil {
		return pruned, 0, fmt.Errorf("counting webhook deliveries: %w", err)
	}
	return pruned, left, nil
}
