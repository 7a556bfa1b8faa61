package main

import (
	"strings"
	"testing"
)

func TestWebhookOptions(t *testing.T) {
	cmd := newServerCmd(&globalOptions{})
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
	o := webhookOptions{secretKey: "0123456789abcdef-key"}
	if opts, err := o.serverOptions(); err != nil || len(opts) != 2 {
		t.Errorf("serverOptions = %d options, %v; want the policy and the key", len(opts), err)
	}
	if opts, err := (&webhookOptions{}).serverOptions(); err != nil || len(opts) != 1 {
		t.Errorf("no key: %d options, %v; want the policy alone", len(opts), err)
	}
	if _, err := (&webhookOptions{secretKey: "short"}).serverOptions(); err == nil || !strings.Contains(err.Error(), "--webhook-secret-key") {
		t.Errorf("a 5-byte key: %v, want an error naming --webhook-secret-key", err)
	}
}
