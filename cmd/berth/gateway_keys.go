//go:build !servingonly

package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/berthml/berth/cmd/berth/internal/options"
	"github.com/berthml/berth/gateway/keys"
)

// newGatewayKeysCmd is `berth gateway keys`: create, list and revoke the
// gateway's keys. cmd/berth/gateway.go adds it under `berth gateway`.
func newGatewayKeysCmd(g *options.Log) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Create, list and revoke gateway keys",
		Long: "Gateway keys authenticate clients of berth gateway (and berth server --gateway-config) started with --gateway-keys.\n" +
			"They are stored hashed in --backend-store-uri: give the gateway's own (the tracking database when it runs in berth server).",
	}
	cmd.AddCommand(newGatewayKeysCreateCmd(g), newGatewayKeysListCmd(g), newGatewayKeysRevokeCmd(g))
	return cmd
}

func newGatewayKeysCreateCmd(g *options.Log) *cobra.Command {
	var db options.GatewayKeyStore
	var spec options.GatewayKeySpec
	var out options.Output
	cmd := &cobra.Command{
		Use:   "create --name NAME [--endpoint E]... [--rpm N] [--tpm N] [--day-tokens N] [--month-spend USD] [--expires 90d]",
		Short: "Issue a gateway key; its secret is printed once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.Check(); err != nil {
				return err
			}
			s, err := spec.Spec(time.Now())
			if err != nil {
				return err
			}
			store, err := openKeys(cmd, &db, g)
			if err != nil {
				return err
			}
			defer store.Close()
			secret, k, err := store.Create(cmd.Context(), s)
			if err != nil {
				return err
			}
			created := struct {
				Key    keyView `json:"key"`
				Secret string  `json:"secret"`
			}{viewOf(k, time.Now()), secret}
			return out.Print(cmd.OutOrStdout(), created, func(w *tabwriter.Writer) {
				fmt.Fprintf(w, "Created gateway key %s (id %s). Its secret, shown only now:\n\n  %s\n\n", k.Name, k.ID, secret)
				fmt.Fprintln(w, "Clients send it as the header Authorization: Bearer <secret> (OPENAI_API_KEY for the OpenAI SDKs).")
			})
		},
	}
	db.AddFlags(cmd)
	spec.AddFlags(cmd)
	out.AddFlags(cmd)
	return cmd
}

func newGatewayKeysListCmd(g *options.Log) *cobra.Command {
	var db options.GatewayKeyStore
	var out options.Output
	var all bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List gateway keys (never their secrets) with today's and this month's usage",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.Check(); err != nil {
				return err
			}
			store, err := openKeys(cmd, &db, g)
			if err != nil {
				return err
			}
			defer store.Close()
			ks, err := store.List(cmd.Context())
			if err != nil {
				return err
			}
			now := time.Now()
			views := []keyView{}
			for _, k := range ks {
				if k.Revoked() && !all {
					continue
				}
				v := viewOf(k, now)
				if v.Today, err = store.UsageOf(cmd.Context(), k.ID, keys.PerDay, now); err != nil {
					return err
				}
				if v.ThisMonth, err = store.UsageOf(cmd.Context(), k.ID, keys.PerMonth, now); err != nil {
					return err
				}
				views = append(views, v)
			}
			return out.Print(cmd.OutOrStdout(), views, func(w *tabwriter.Writer) {
				row(w, "ID", "NAME", "KEY", "STATUS", "ENDPOINTS", "LIMITS", "EXPIRES", "TODAY", "THIS MONTH")
				for _, v := range views {
					row(w, v.ID, v.Name, v.Hint, v.Status, orDash(strings.Join(v.Endpoints, ",")), orDash(v.Limits),
						orDash(v.ExpiresAt), usageText(v.Today), usageText(v.ThisMonth))
				}
			})
		},
	}
	db.AddFlags(cmd)
	out.AddFlags(cmd)
	cmd.Flags().BoolVar(&all, "all", false, "include revoked keys")
	return cmd
}

func newGatewayKeysRevokeCmd(g *options.Log) *cobra.Command {
	var db options.GatewayKeyStore
	cmd := &cobra.Command{
		Use:   "revoke ID_OR_NAME",
		Short: "Revoke a gateway key: every gateway replica refuses it within its reconcile interval",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := openKeys(cmd, &db, g)
			if err != nil {
				return err
			}
			defer store.Close()
			k, err := store.Revoke(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Revoked gateway key %s (id %s) at %s.\n", k.Name, k.ID, k.RevokedAt.Format(time.RFC3339))
			return nil
		},
	}
	db.AddFlags(cmd)
	return cmd
}

// keyView is a key as berth gateway keys prints it: no secret, ever.
type keyView struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Hint      string     `json:"hint"`
	Status    string     `json:"status"` // active, expired or revoked
	Endpoints []string   `json:"endpoints"`
	Limits    string     `json:"limits"`
	ExpiresAt string     `json:"expires_at,omitempty"`
	CreatedAt string     `json:"created_at"`
	RevokedAt string     `json:"revoked_at,omitempty"`
	Today     keys.Usage `json:"today"`
	ThisMonth keys.Usage `json:"this_month"`
}

func viewOf(k keys.Key, now time.Time) keyView {
	v := keyView{ID: k.ID, Name: k.Name, Hint: k.Hint, Status: "active", Endpoints: k.Endpoints,
		CreatedAt: k.CreatedAt.Format(time.RFC3339)}
	if v.Endpoints == nil {
		v.Endpoints = []string{}
	}
	switch {
	case k.Revoked():
		v.Status, v.RevokedAt = "revoked", k.RevokedAt.Format(time.RFC3339)
	case k.Expired(now):
		v.Status = "expired"
	}
	if !k.ExpiresAt.IsZero() {
		v.ExpiresAt = k.ExpiresAt.Format(time.RFC3339)
	}
	var ls []string
	for _, l := range []struct {
		name string
		v    int64
		text string
	}{
		{"rpm", k.RequestsPerMinute, fmt.Sprint(k.RequestsPerMinute)}, {"tpm", k.TokensPerMinute, fmt.Sprint(k.TokensPerMinute)},
		{"tokens/day", k.DayTokens, fmt.Sprint(k.DayTokens)}, {"tokens/month", k.MonthTokens, fmt.Sprint(k.MonthTokens)},
		{"spend/day", int64(k.DaySpend), k.DaySpend.String()}, {"spend/month", int64(k.MonthSpend), k.MonthSpend.String()},
	} {
		if l.v > 0 {
			ls = append(ls, l.name+"="+l.text)
		}
	}
	v.Limits = strings.Join(ls, " ")
	return v
}

func usageText(u keys.Usage) string {
	return fmt.Sprintf("%d req, %d tok, %s", u.Requests, u.Tokens, u.Cost)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// openKeys opens the key database of a keys command, logging to its
// standard error as the flags say.
func openKeys(cmd *cobra.Command, db *options.GatewayKeyStore, g *options.Log) (*keys.Store, error) {
	log, err := g.Logger(cmd.ErrOrStderr())
	if err != nil {
		return nil, err
	}
	return db.Open(cmd.Context(), log)
}
