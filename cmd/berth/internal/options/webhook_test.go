package options

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestWebhook checks the flags and the server options they make: the
// policy always, the key when given, a short key refused by its flag name.
func TestWebhook(t *testing.T) {
	cmd := &cobra.Command{Use: "server"}
	var fo Webhook
	fo.AddFlags(cmd)
	if err := cmd.Flags().Parse([]string{"--webhook-secret-key", "0123456789abcdef-key", "--webhook-allow-http", "--webhook-allow-private"}); err != nil {
		t.Fatal(err)
	}
	if fo != (Webhook{SecretKey: "0123456789abcdef-key", AllowHTTP: true, AllowPrivate: true}) {
		t.Errorf("flags set %+v", fo)
	}
	o := Webhook{SecretKey: "0123456789abcdef-key"}
	if opts, err := o.ServerOptions(); err != nil || len(opts) != 2 {
		t.Errorf("ServerOptions = %d options, %v; want the policy and the key", len(opts), err)
	}
	if opts, err := (&Webhook{}).ServerOptions(); err != nil || len(opts) != 1 {
		t.Errorf("no key: %d options, %v; want the policy alone", len(opts), err)
	}
	if _, err := (&Webhook{SecretKey: "short"}).ServerOptions(); err == nil || !strings.Contains(err.Error(), "--webhook-secret-key") {
		t.Errorf("a 5-byte key: %v, want an error naming --webhook-secret-key", err)
	}
}
