package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/berthml/berth/tracking"
	"github.com/berthml/berth/webhook"
)

// Webhooks are stored as MLflow 3 keeps them: a row each, and a row per
// event listened to. The secret column holds what the caller sealed; this
// package never sees a plain secret.

func webhookNotFound(id string) error {
	return tracking.NotFound("Webhook with ID %s not found.", id)
}

const webhookColumns = `webhook_id, name, description, url, status, secret, creation_timestamp, last_updated_timestamp`

// CreateWebhook stores a new webhook under a fresh UUID and returns it.
// w.Secret must already be sealed.
func (s *Store) CreateWebhook(ctx context.Context, w webhook.Webhook) (*webhook.Webhook, error) {
	if err := webhook.ValidateName(w.Name); err != nil {
		return nil, err
	}
	if err := webhook.ValidateEvents(w.Events); err != nil {
		return nil, err
	}
	w.ID = webhook.NewID()
	now := s.now()
	w.CreationTimestamp, w.LastUpdatedTimestamp = now, now
	if w.Status == "" {
		w.Status = webhook.Active
	}
	var out *webhook.Webhook
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.exec(ctx, tx, `INSERT INTO webhooks (`+webhookColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			w.ID, w.Name, w.Description, w.URL, string(w.Status), w.Secret, now, now); err != nil {
			return err
		}
		if err := s.insertWebhookEvents(ctx, tx, w.ID, w.Events); err != nil {
			return err
		}
		var err error
		out, err = s.getWebhook(ctx, tx, w.ID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("creating webhook %q: %w", w.Name, err)
	}
	return out, nil
}

func (s *Store) insertWebhookEvents(ctx context.Context, q querier, id string, evs []webhook.Event) error {
	seen := map[webhook.Event]bool{}
	for _, ev := range evs {
		if seen[ev] {
			continue
		}
		seen[ev] = true
		if _, err := s.exec(ctx, q, `INSERT INTO webhook_events (webhook_id, entity, action) VALUES (?, ?, ?)`,
			id, string(ev.Entity), string(ev.Action)); err != nil {
			return fmt.Errorf("storing webhook event %s: %w", ev, err)
		}
	}
	return nil
}

// GetWebhook returns a webhook with its sealed secret.
func (s *Store) GetWebhook(ctx context.Context, id string) (*webhook.Webhook, error) {
	return s.getWebhook(ctx, s.read, id)
}

func (s *Store) getWebhook(ctx context.Context, q querier, id string) (*webhook.Webhook, error) {
	ws, err := s.loadWebhooks(ctx, q, `WHERE webhook_id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(ws) == 0 {
		return nil, webhookNotFound(id)
	}
	return &ws[0], nil
}

// ListWebhooks returns a page of webhooks, newest first, and the token of
// the next page ("" on the last).
func (s *Store) ListWebhooks(ctx context.Context, maxResults int, pageToken string) ([]webhook.Webhook, string, error) {
	offset, err := tracking.DecodePageToken(pageToken)
	if err != nil {
		return nil, "", err
	}
	ws, err := s.loadWebhooks(ctx, s.read, `ORDER BY creation_timestamp DESC, webhook_id LIMIT ? OFFSET ?`, maxResults+1, offset)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(ws) > maxResults {
		ws = ws[:maxResults]
		next = tracking.EncodePageToken(offset + maxResults)
	}
	return ws, next, nil
}

// ListWebhooksByEvent returns the active webhooks that listen to ev, with
// their sealed secrets.
func (s *Store) ListWebhooksByEvent(ctx context.Context, ev webhook.Event) ([]webhook.Webhook, error) {
	return s.loadWebhooks(ctx, s.read, `WHERE status = ? AND webhook_id IN
		(SELECT webhook_id FROM webhook_events WHERE entity = ? AND action = ?) ORDER BY creation_timestamp`,
		string(webhook.Active), string(ev.Entity), string(ev.Action))
}

// UpdateWebhook applies u and returns the webhook as it is now.
func (s *Store) UpdateWebhook(ctx context.Context, id string, u webhook.Update) (*webhook.Webhook, error) {
	if u.Name != nil {
		if err := webhook.ValidateName(*u.Name); err != nil {
			return nil, err
		}
	}
	if u.Events != nil {
		if err := webhook.ValidateEvents(u.Events); err != nil {
			return nil, err
		}
	}
	var out *webhook.Webhook
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.getWebhook(ctx, tx, id); err != nil {
			return err
		}
		set := func(col string, v *string) error {
			if v == nil {
				return nil
			}
			_, err := s.exec(ctx, tx, `UPDATE webhooks SET `+col+` = ? WHERE webhook_id = ?`, *v, id)
			return err
		}
		var status *string
		if u.Status != nil {
			st := string(*u.Status)
			status = &st
		}
		for _, c := range []struct {
			col string
			v   *string
		}{{"name", u.Name}, {"description", u.Description}, {"url", u.URL}, {"status", status}, {"secret", u.Secret}} {
			if err := set(c.col, c.v); err != nil {
				return err
			}
		}
		if u.Events != nil {
			if _, err := s.exec(ctx, tx, `DELETE FROM webhook_events WHERE webhook_id = ?`, id); err != nil {
				return err
			}
			if err := s.insertWebhookEvents(ctx, tx, id, u.Events); err != nil {
				return err
			}
		}
		if _, err := s.exec(ctx, tx, `UPDATE webhooks SET last_updated_timestamp = ? WHERE webhook_id = ?`, s.now(), id); err != nil {
			return err
		}
		var err error
		out, err = s.getWebhook(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("updating webhook %s: %w", id, err)
	}
	return out, nil
}

// DeleteWebhook removes a webhook and its events.
func (s *Store) DeleteWebhook(ctx context.Context, id string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, `DELETE FROM webhooks WHERE webhook_id = ?`, id)
		if err != nil {
			return fmt.Errorf("deleting webhook %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return webhookNotFound(id)
		}
		// PostgreSQL and SQLite both cascade; say it for clarity anyway.
		if _, err = s.exec(ctx, tx, `DELETE FROM webhook_events WHERE webhook_id = ?`, id); err != nil {
			return err
		}
		// Its queued deliveries go with it (no foreign key: see 0008).
		_, err = s.exec(ctx, tx, `DELETE FROM webhook_deliveries WHERE webhook_id = ?`, id)
		return err
	})
}

// loadWebhooks reads the webhooks a WHERE/ORDER clause selects, with their
// events in a second query.
func (s *Store) loadWebhooks(ctx context.Context, q querier, clause string, args ...any) ([]webhook.Webhook, error) {
	rows, err := s.query(ctx, q, `SELECT `+webhookColumns+` FROM webhooks `+clause, args...)
	if err != nil {
		return nil, fmt.Errorf("reading webhooks: %w", err)
	}
	var out []webhook.Webhook
	idx := map[string]int{}
	for rows.Next() {
		var w webhook.Webhook
		var status string
		if err := rows.Scan(&w.ID, &w.Name, &w.Description, &w.URL, &status, &w.Secret, &w.CreationTimestamp, &w.LastUpdatedTimestamp); err != nil {
			rows.Close()
			return nil, fmt.Errorf("reading webhooks: %w", err)
		}
		w.Status = webhook.Status(status)
		idx[w.ID] = len(out)
		out = append(out, w)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading webhooks: %w", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	ids := make([]any, 0, len(out))
	for _, w := range out {
		ids = append(ids, w.ID)
	}
	erows, err := s.query(ctx, q, `SELECT webhook_id, entity, action FROM webhook_events WHERE webhook_id IN (`+
		placeholders(len(ids))+`) ORDER BY seq`, ids...)
	if err != nil {
		return nil, fmt.Errorf("reading webhook events: %w", err)
	}
	defer erows.Close()
	for erows.Next() {
		var id, entity, action string
		if err := erows.Scan(&id, &entity, &action); err != nil {
			return nil, fmt.Errorf("reading webhook events: %w", err)
		}
		i := idx[id]
		out[i].Events = append(out[i].Events, webhook.Event{Entity: webhook.Entity(entity), Action: webhook.Action(action)})
	}
	return out, erows.Err()
}
