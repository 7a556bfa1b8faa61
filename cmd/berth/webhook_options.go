package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/berthml/berth/server"
	"github.com/berthml/berth/webhook"
)

// webhookOptions are berth server's webhook flags: the key that seals
// stored webhook secrets, and the two relaxations of MLflow's URL rules.
type webhookOptions struct {
	secretKey    string
	allowHTTP    bool
	allowPrivate bool
}

// AddFlags adds the webhook flags to cmd.
func (o *webhookOptions) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.secretKey, "webhook-secret-key", "",
		"key (16 bytes or more) that webhook secrets are stored encrypted with (AES-GCM); better set through BERTH_WEBHOOK_SECRET_KEY. "+
			"Without one, a random key is used and stored secrets do not survive a restart")
	f.BoolVar(&o.allowHTTP, "webhook-allow-http", false, "accept plain http:// webhook URLs (MLflow accepts https only)")
	f.BoolVar(&o.allowPrivate, "webhook-allow-private", false,
		"let webhook deliveries reach loopback, private and link-local addresses (refused by default, against SSRF)")
}

// serverOptions returns the server options the flags ask for.
func (o *webhookOptions) serverOptions() ([]server.Option, error) {
	opts := []server.Option{server.WithWebhookPolicy(webhook.Policy{AllowHTTP: o.allowHTTP, AllowPrivate: o.allowPrivate})}
	if o.secretKey != "" {
		if _, err := webhook.NewCipher([]byte(o.secretKey)); err != nil {
			return nil, fmt.Errorf("--webhook-secret-key: %w", err)
		}
		opts = append(opts, server.WithWebhookKey([]byte(o.secretKey)))
	}
	return opts, nil
}
