package sqlstore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/berthml/berth/tracking"
	"github.com/berthml/berth/tracking/sqlstore"
	"github.com/berthml/berth/webhook"
)

func TestWebhooks(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		w, err := s.CreateWebhook(ctx, webhook.Webhook{Name: "h", Description: "d", URL: "https://example.com/h",
			Events: []webhook.Event{webhook.ModelVersionCreated, webhook.RegisteredModelCreated, webhook.ModelVersionCreated}, Secret: "sealed"})
		if err != nil {
			t.Fatal(err)
		}
		if len(w.ID) != 36 || w.Status != webhook.Active || w.CreationTimestamp == 0 || w.Secret != "sealed" {
			t.Errorf("created %+v", w)
		}
		if len(w.Events) != 2 || w.Events[0] != webhook.ModelVersionCreated || w.Events[1] != webhook.RegisteredModelCreated {
			t.Errorf("events %v: want the request's order, without duplicates", w.Events)
		}
		w2, err := s.CreateWebhook(ctx, webhook.Webhook{Name: "h2", URL: "https://example.com/2", Events: []webhook.Event{webhook.ModelVersionAliasCreated}})
		if err != nil {
			t.Fatal(err)
		}
		page, next, err := s.ListWebhooks(ctx, 1, "")
		if err != nil || len(page) != 1 || page[0].ID != w2.ID || next == "" {
			t.Fatalf("ListWebhooks(1) = %v, %q, %v", page, next, err)
		}
		page, next, err = s.ListWebhooks(ctx, 1, next)
		if err != nil || len(page) != 1 || page[0].ID != w.ID || next != "" {
			t.Fatalf("second page = %v, %q, %v", page, next, err)
		}
		byEv, err := s.ListWebhooksByEvent(ctx, webhook.ModelVersionCreated)
		if err != nil || len(byEv) != 1 || byEv[0].ID != w.ID {
			t.Fatalf("ListWebhooksByEvent = %v, %v", byEv, err)
		}
		desc, disabled := "updated", webhook.Disabled
		u, err := s.UpdateWebhook(ctx, w.ID, webhook.Update{Description: &desc, Status: &disabled,
			Events: []webhook.Event{webhook.ModelVersionTagSet}})
		if err != nil {
			t.Fatal(err)
		}
		if u.Description != "updated" || u.Status != webhook.Disabled || u.Name != "h" || len(u.Events) != 1 ||
			u.LastUpdatedTimestamp <= w.LastUpdatedTimestamp || u.CreationTimestamp != w.CreationTimestamp {
			t.Errorf("updated %+v", u)
		}
		if byEv, _ := s.ListWebhooksByEvent(ctx, webhook.ModelVersionTagSet); len(byEv) != 0 {
			t.Errorf("a disabled webhook is listed for its event: %v", byEv)
		}
		if err := s.DeleteWebhook(ctx, w.ID); err != nil {
			t.Fatal(err)
		}
		for _, err := range []error{
			func() error { _, err := s.GetWebhook(ctx, w.ID); return err }(),
			s.DeleteWebhook(ctx, w.ID),
			func() error { _, err := s.UpdateWebhook(ctx, "nope", webhook.Update{Description: &desc}); return err }(),
		} {
			var te *tracking.Error
			if !errors.As(err, &te) || te.Code != tracking.CodeResourceDoesNotExist {
				t.Errorf("missing webhook: %v, want RESOURCE_DOES_NOT_EXIST", err)
			}
		}
		if _, err := s.CreateWebhook(ctx, webhook.Webhook{Name: "x", URL: "https://e/"}); err == nil {
			t.Error("a webhook without events was created")
		}
	})
}
