package main

import (
	"testing"

	"github.com/berthml/berth/cmd/berth/internal/options"
)

// TestWebhookOptions checks that berth server has the webhook flags and
// that BERTH_WEBHOOK_SECRET_KEY sets the key.
func TestWebhookOptions(t *testing.T) {
	cmd := newServerCmd(&options.Log{})
	env := map[string]string{"BERTH_WEBHOOK_SECRET_KEY": "0123456789abcdef-key"}
	if err := applyEnv(cmd.Flags(), func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Flags().Parse([]string{"--webhook-allow-http", "--webhook-allow-private"}); err != nil {
		t.Fatal(err)
	}
	f := cmd.Flags()
	for flag, want := range map[string]string{"webhook-secret-key": "0123456789abcdef-key", "webhook-allow-http": "true", "webhook-allow-private": "true"} {
		if got := f.Lookup(flag).Value.String(); got != want {
			t.Errorf("--%s = %s, want %s", flag, got, want)
		}
	}
}
