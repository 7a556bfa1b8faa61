package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/berthml/berth/webhook"
)

func TestSignMatchesMLflow(t *testing.T) {
	// MLflow: base64(HMAC-SHA256(secret, f"{delivery_id}.{timestamp}.{payload}")).
	m := hmac.New(sha256.New, []byte("s3cret"))
	m.Write([]byte("d-1.1700000000.{\"a\": 1}"))
	want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	if got := webhook.Sign("s3cret", "d-1", "1700000000", []byte(`{"a": 1}`)); got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
	if !webhook.Verify("s3cret", "d-1", "1700000000", []byte(`{"a": 1}`), want) {
		t.Error("Verify refuses Sign's signature")
	}
	for _, bad := range []string{"", "v1", "v2," + strings.TrimPrefix(want, "v1,"), want + "x"} {
		if webhook.Verify("s3cret", "d-1", "1700000000", []byte(`{"a": 1}`), bad) {
			t.Errorf("Verify accepts %q", bad)
		}
	}
	if webhook.Verify("other", "d-1", "1700000000", []byte(`{"a": 1}`), want) {
		t.Error("Verify accepts another secret's signature")
	}
}

func TestCipher(t *testing.T) {
	c, err := webhook.NewCipher([]byte("0123456789abcdef-server-key"))
	if err != nil {
		t.Fatal(err)
	}
	sealed := c.Seal("s3cret")
	if strings.Contains(sealed, "s3cret") || sealed == c.Seal("s3cret") {
		t.Fatalf("Seal = %q: plain, or not randomised", sealed)
	}
	if got, err := c.Open(sealed); err != nil || got != "s3cret" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if got, err := c.Open(""); err != nil || got != "" {
		t.Errorf("Open(\"\") = %q, %v", got, err)
	}
	other, _ := webhook.NewCipher([]byte("another key of sixteen+"))
	for _, bad := range []string{sealed[:len(sealed)-2] + "AA", "s3cret", "gcm1:!!", "gcm1:"} {
		if _, err := c.Open(bad); !errors.Is(err, webhook.ErrUnsealable) {
			t.Errorf("Open(%q) = %v, want ErrUnsealable", bad, err)
		}
	}
	if _, err := other.Open(sealed); !errors.Is(err, webhook.ErrUnsealable) {
		t.Errorf("another key opens the secret: %v", err)
	}
	if _, err := webhook.NewCipher([]byte("short")); err == nil {
		t.Error("NewCipher accepts a 5-byte key")
	}
}

func TestParseEvent(t *testing.T) {
	for _, tt := range []struct {
		entity, action string
		want           webhook.Event
		err            string
	}{
		{"MODEL_VERSION", "CREATED", webhook.ModelVersionCreated, ""},
		{"model_version_alias", "deleted", webhook.ModelVersionAliasDeleted, ""},
		{"PROMPT_VERSION_TAG", "SET", webhook.PromptVersionTagSet, ""},
		{"MODEL_VERSION", "SET", webhook.Event{}, "Invalid action 'set' for entity 'model_version'. Valid actions are: ['created']"},
		{"MODEL_VERSION_TAG", "CREATED", webhook.Event{}, "Valid actions are: ['deleted', 'set']"},
		{"RUN", "CREATED", webhook.Event{}, "Invalid webhook event entity: 'RUN'"},
		{"", "", webhook.Event{}, "Invalid webhook event entity"},
	} {
		got, err := webhook.ParseEvent(tt.entity, tt.action)
		if tt.err == "" {
			if err != nil || got != tt.want {
				t.Errorf("ParseEvent(%s, %s) = %v, %v; want %v", tt.entity, tt.action, got, err, tt.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("ParseEvent(%s, %s) error = %v, want %q", tt.entity, tt.action, err, tt.err)
		}
	}
}

func FuzzParseEvent(f *testing.F) {
	f.Add("MODEL_VERSION", "CREATED")
	f.Add("prompt_alias", "deleted")
	f.Fuzz(func(t *testing.T, entity, action string) {
		ev, err := webhook.ParseEvent(entity, action)
		if err != nil {
			return
		}
		back, err := webhook.ParseEvent(ev.ProtoEntity(), ev.ProtoAction())
		if err != nil || back != ev {
			t.Fatalf("%v does not round-trip: %v, %v", ev, back, err)
		}
	})
}
