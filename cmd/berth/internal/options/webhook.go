//go:build !servingonly

package options

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/berthml/berth/server"
	"github.com/berthml/berth/webhook"
)

// Webhook are berth server's webhook flags: the key that seals stored
// webhook secrets, and the two relaxations of MLflow's URL rules.
type Webhook struct {
	SecretKey    string
	AllowHTTP    bool
	AllowPrivate bool
}

// AddFlags adds the webhook flags to cmd.
func (o *Webhook) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.SecretKey, "webhook-secret-key", "",
		"key (16 bytes or more) that webhook secrets are stored encrypted with (AES-GCM); better set through BERTH_WEBHOOK_SECRET_KEY. "+
			"Without one, a random key is used and stored secrets do not survive a restart")
	f.BoolVar(&o.AllowHTTP, "webhook-allow-http", false, "accept plain http:// webhook URLs (MLflow accepts https only)")
	f.BoolVar(&o.AllowPrivate, "webhook-allow-private", false,
		"let webhook deliveries reach loopback, private and link-local addresses (refused by default, against SSRF)")
}

// ServerOptions returns the server options the flags ask for.
func (o *Webhook) ServerOptions() ([]server.Option, error) {
	opts := []server.Option{server.WithWebhookPolicy(webhook.Policy{AllowHTTP: o.AllowHTTP, AllowPrivate: o.AllowPrivate})}
	if o.SecretKey != "" {
		if _, err := webhook.NewCipher([]byte(o.SecretKey)); err != nil {
			return nil, fmt.Errorf("--webhook-secret-key: %w", err)
		}
		opts = append(opts, server.WithWebhookKey([]byte(o.SecretKey)))
	}
	return opts, nil
}
