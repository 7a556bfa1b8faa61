//go:build !servingonly

package options

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/berthml/berth/gateway"
	"github.com/berthml/berth/gateway/keys"
	"github.com/berthml/berth/tracking/sqlstore"
)

// DefaultGatewayStoreURI is where a standalone berth gateway keeps its
// keys, beside berth server's default database.
const DefaultGatewayStoreURI = "sqlite:///berth-data/gateway.db"

// GatewayKeyStore is the key database flag of berth gateway and berth
// gateway keys: --backend-store-uri. (berth server keeps gateway keys in
// its tracking database, its own --backend-store-uri.)
type GatewayKeyStore struct {
	URI string
}

// AddFlags adds --backend-store-uri to cmd.
func (o *GatewayKeyStore) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.URI, "backend-store-uri", DefaultGatewayStoreURI,
		"database of gateway keys and their usage: sqlite:///relative.db, sqlite:////absolute.db, a file path, or postgresql://user:pass@host:port/db "+
			"(berth server --gateway-config uses its tracking database)")
}

// Open opens the key database, making the default's directory; retried
// transactions are logged on log.
func (o *GatewayKeyStore) Open(ctx context.Context, log *slog.Logger) (*keys.Store, error) {
	return OpenGatewayKeys(ctx, o.URI, o.URI == DefaultGatewayStoreURI, log)
}

// OpenGatewayKeys opens the gateway key tables in the database at uri,
// refusing a URI berth cannot store to before anything is created;
// makeDir makes the directory of a SQLite file first. Transactions run
// again after a PostgreSQL refusal are logged on log (nil: not logged).
func OpenGatewayKeys(ctx context.Context, uri string, makeDir bool, log *slog.Logger) (*keys.Store, error) {
	if err := sqlstore.CheckURI(uri); err != nil {
		return nil, fmt.Errorf("--backend-store-uri %s: gateway keys %w", sqlstore.Redact(uri), err)
	}
	if makeDir {
		if err := sqlstore.MakeDir(uri); err != nil {
			return nil, err
		}
	}
	s, err := keys.Open(ctx, uri, keys.WithStoreLogger(log))
	if err != nil {
		return nil, fmt.Errorf("opening gateway keys in %s: %w", sqlstore.Redact(uri), err)
	}
	return s, nil
}

// GatewayKeySpec are the flags of berth gateway keys create: what a new
// key may do.
type GatewayKeySpec struct {
	Name                   string
	Endpoints              []string
	RPM, TPM               int64
	DayTokens, MonthTokens int64
	DaySpend, MonthSpend   string
	Expires                string
}

// AddFlags adds the key's flags to cmd.
func (o *GatewayKeySpec) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.Name, "name", "", "the key's name (required; unique among keys not revoked): letters, digits, '.', '_', '-'")
	f.StringSliceVar(&o.Endpoints, "endpoint", nil, "an endpoint the key may call (repeatable or comma-separated; default: every endpoint)")
	f.Int64Var(&o.RPM, "rpm", 0, "requests per minute (0: no limit)")
	f.Int64Var(&o.TPM, "tpm", 0, "tokens per minute, input and output (0: no limit)")
	f.Int64Var(&o.DayTokens, "day-tokens", 0, "tokens per UTC day (0: no budget)")
	f.Int64Var(&o.MonthTokens, "month-tokens", 0, "tokens per UTC calendar month (0: no budget)")
	f.StringVar(&o.DaySpend, "day-spend", "", "US dollars per UTC day, priced by the config's prices: table, e.g. 5.00 (default: no budget)")
	f.StringVar(&o.MonthSpend, "month-spend", "", "US dollars per UTC calendar month, e.g. 100 (default: no budget)")
	f.StringVar(&o.Expires, "expires", "", "when the key stops working: a duration from now (90d, 720h) or a UTC date or time (2027-01-31, 2027-01-31T12:00:00Z) (default: never)")
}

// Spec returns the key the flags describe, at now.
func (o *GatewayKeySpec) Spec(now time.Time) (keys.Spec, error) {
	s := keys.Spec{Name: o.Name, Endpoints: o.Endpoints, Limits: keys.Limits{RequestsPerMinute: o.RPM, TokensPerMinute: o.TPM,
		DayTokens: o.DayTokens, MonthTokens: o.MonthTokens}}
	if o.Name == "" {
		return keys.Spec{}, errors.New("--name is required")
	}
	for _, sp := range []struct {
		flag, v string
		to      *keys.Spend
	}{{"--day-spend", o.DaySpend, &s.DaySpend}, {"--month-spend", o.MonthSpend, &s.MonthSpend}} {
		if sp.v == "" {
			continue
		}
		v, err := keys.ParseSpend(sp.v)
		if err != nil {
			return keys.Spec{}, fmt.Errorf("%s: %w", sp.flag, err)
		}
		*sp.to = v
	}
	if o.Expires != "" {
		t, err := ParseExpiry(o.Expires, now)
		if err != nil {
			return keys.Spec{}, fmt.Errorf("--expires: %w", err)
		}
		s.ExpiresAt = t
	}
	if err := s.Validate(now); err != nil {
		return keys.Spec{}, err
	}
	return s, nil
}

// ParseExpiry reads when a key expires: a duration from now (Go's, such as
// 720h, or whole days, 90d), an RFC 3339 time, or a date (midnight UTC).
func ParseExpiry(s string, now time.Time) (time.Time, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n > 0 && n <= 36500 {
			return now.AddDate(0, 0, n), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d <= 0 {
			return time.Time{}, fmt.Errorf("duration %s is not positive", s)
		}
		return now.Add(d), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is neither a duration (90d, 720h) nor a date (2027-01-31) or time (2027-01-31T12:00:00Z)", s)
}

// GatewayKeys are the flags of the commands that run the gateway (berth
// gateway, berth server --gateway-config): whether queries need a key, and
// how often replicas reconcile their counts.
type GatewayKeys struct {
	Require   bool
	Reconcile time.Duration
}

// AddFlags adds --gateway-keys and --gateway-keys-reconcile to cmd.
func (o *GatewayKeys) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.BoolVar(&o.Require, "gateway-keys", false,
		"require a gateway key (berth gateway keys create) on every gateway query, with its endpoints, limits and budgets (default: open, as MLflow's gateway)")
	f.DurationVar(&o.Reconcile, "gateway-keys-reconcile", time.Second,
		"how often this process writes its key usage counts to the database and reads other replicas'; a limit may be exceeded by what other replicas admit in twice this")
}

// Guard returns the gateway's Guard over the gateway keys in the database
// at uri, with spend priced by the prices: table of the gateway config
// file's contents; nil when keys are not required. Start it for as long
// as the gateway serves:
//
//	kg, err := keyFlags.Guard(ctx, uri, makeDir, configBytes, log)
//	if kg != nil {
//		stop := kg.Start(ctx)
//		defer stop()
//		opts = append(opts, gateway.WithGuard(kg)) // and kg.Reload(bytes) on a config reload
//	}
func (o *GatewayKeys) Guard(ctx context.Context, uri string, makeDir bool, config []byte, log *slog.Logger) (*KeyGuard, error) {
	if !o.Require {
		return nil, nil
	}
	prices, err := keys.ParsePrices(config)
	if err != nil {
		return nil, err
	}
	store, err := OpenGatewayKeys(ctx, uri, makeDir, log)
	if err != nil {
		return nil, err
	}
	g, err := keys.NewGuard(ctx, store, keys.WithPrices(prices), keys.WithReconcileInterval(o.Reconcile), keys.WithLogger(log))
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("loading gateway keys: %w", err)
	}
	return &KeyGuard{g: g, store: store}, nil
}

// KeyGuard is package keys' Guard as the gateway's.
type KeyGuard struct {
	g     *keys.Guard
	store *keys.Store
}

var _ gateway.Guard = (*KeyGuard)(nil)

// Admit admits a query by its gateway key, mapping a refusal to the
// gateway's *Denied.
func (k *KeyGuard) Admit(ctx context.Context, r *http.Request, endpoint string) (gateway.Ticket, error) {
	t, err := k.g.Admit(ctx, r, endpoint)
	if err != nil {
		var e *keys.Error
		if !errors.As(err, &e) {
			return nil, err
		}
		return nil, &gateway.Denied{Reason: denyReasons[e.Kind], Message: e.Message, RetryAfter: e.RetryAfter, Key: e.Key}
	}
	return keyTicket{t}, nil
}

var denyReasons = map[keys.Kind]gateway.DenyReason{
	keys.KindUnauthenticated: gateway.DenyUnauthenticated,
	keys.KindForbidden:       gateway.DenyForbidden,
	keys.KindRateLimited:     gateway.DenyRateLimited,
	keys.KindQuotaExceeded:   gateway.DenyBudgetExceeded,
}

type keyTicket struct{ t *keys.Ticket }

var _ gateway.KeyedTicket = keyTicket{}

// Key is the key's public name, for per-key metrics and usage reports.
func (k keyTicket) Key() string { return k.t.KeyName() }

func (k keyTicket) Done(u gateway.Usage) {
	k.t.Done(u.Model, int64(u.InputTokens), int64(u.OutputTokens))
}

// Reload replaces the price table from a changed gateway config file;
// on an error the old one stays.
func (k *KeyGuard) Reload(config []byte) error {
	prices, err := keys.ParsePrices(config)
	if err != nil {
		return err
	}
	k.g.SetPrices(prices)
	return nil
}

// Run reconciles usage until ctx ends, then writes the last counts.
func (k *KeyGuard) Run(ctx context.Context) { k.g.Run(ctx) }

// Close closes the key database; call it after Run has returned.
func (k *KeyGuard) Close() error { return k.store.Close() }

// Start runs the reconcile loop in the background until ctx ends or stop
// is called; stop waits for the last counts to be written and closes the
// key database. Call stop once the gateway has stopped serving.
func (k *KeyGuard) Start(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); k.g.Run(ctx) }()
	return func() {
		cancel()
		<-done
		_ = k.store.Close()
	}
}

var _ gateway.KeyLister = (*KeyGuard)(nil)

// ListKeys lists every key (revoked ones too) with what it used today and
// this month, for the web UI's gateway page: never a secret.
func (k *KeyGuard) ListKeys(ctx context.Context) ([]gateway.KeyInfo, error) {
	list, err := k.store.List(ctx)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	usd := func(s keys.Spend) float64 { return float64(s) / 1e9 }
	out := make([]gateway.KeyInfo, 0, len(list))
	for _, key := range list {
		day, err := k.store.UsageOf(ctx, key.ID, keys.PerDay, now)
		if err != nil {
			return nil, err
		}
		month, err := k.store.UsageOf(ctx, key.ID, keys.PerMonth, now)
		if err != nil {
			return nil, err
		}
		out = append(out, gateway.KeyInfo{ID: key.ID, Name: key.Name, Hint: key.Hint, Endpoints: append([]string{}, key.Endpoints...),
			RequestsPerMinute: key.RequestsPerMinute, TokensPerMinute: key.TokensPerMinute, DayTokens: key.DayTokens,
			MonthTokens: key.MonthTokens, DaySpendUSD: usd(key.DaySpend), MonthSpendUSD: usd(key.MonthSpend),
			ExpiresAt: key.ExpiresAt, CreatedAt: key.CreatedAt, RevokedAt: key.RevokedAt,
			Today:     gateway.KeyUse{Requests: day.Requests, Tokens: day.Tokens, CostUSD: usd(day.Cost)},
			ThisMonth: gateway.KeyUse{Requests: month.Requests, Tokens: month.Tokens, CostUSD: usd(month.Cost)}})
	}
	return out, nil
}
