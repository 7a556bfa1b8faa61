package keys

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestAdmitRefusals(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			clock := newFakeClock(t0)
			s := openStore(t, b.uri(t), clock)
			chat, _ := mustCreate(t, s, Spec{Name: "chat-only", Endpoints: []string{"chat"}, ExpiresAt: t0.Add(time.Hour)})
			revoked, _ := mustCreate(t, s, Spec{Name: "gone"})
			g := newGuard(t, s, clock)
			other, _ := mustCreate(t, s, Spec{Name: "later"}) // after the guard loaded its keys
			unknown, _, _ := newSecret()

			tests := []struct {
				name, secret, endpoint string
				kind                   Kind
				msg                    string
			}{
				{"admitted", chat, "chat", 0, ""},
				{"created after the last reconcile", other, "chat", 0, ""},
				{"missing", "", "chat", KindUnauthenticated, "missing gateway key"},
				{"malformed", "bk-short", "chat", KindUnauthenticated, "must be 46 characters long"},
				{"unknown", unknown, "chat", KindUnauthenticated, "unknown gateway key"},
				{"endpoint not allowed", chat, "embed", KindForbidden, `gateway key "chat-only" may not call endpoint "embed"`},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					r := httptest.NewRequest("POST", "/v1/chat/completions", nil)
					if tt.secret != "" {
						r.Header.Set("Authorization", "Bearer "+tt.secret)
					}
					tk, err := g.Admit(ctx, r, tt.endpoint)
					e := wantRefusal(t, err, tt.kind)
					if e == nil {
						if tk == nil || tk.KeyName() == "" {
							t.Fatalf("ticket = %+v", tk)
						}
						return
					}
					if e.Limit != "" || !strings.Contains(e.Message, tt.msg) || e.RetryAfter != 0 {
						t.Fatalf("refusal = %+v, want %q", e, tt.msg)
					}
					if tt.secret != "" && strings.Contains(e.Message, tt.secret) {
						t.Fatalf("refusal %q holds the key", e.Message)
					}
				})
			}

			// A revocation elsewhere is seen at the next reconcile.
			if _, err := g.AdmitSecret(ctx, revoked, "chat"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Revoke(ctx, "gone"); err != nil {
				t.Fatal(err)
			}
			if err := g.Reconcile(ctx); err != nil {
				t.Fatal(err)
			}
			_, err := g.AdmitSecret(ctx, revoked, "chat")
			if e := wantRefusal(t, err, KindUnauthenticated); !strings.Contains(e.Message, `gateway key "gone" was revoked`) || !errors.Is(err, ErrUnauthenticated) || e.Key != "gone" {
				t.Fatalf("revoked key: %v", err)
			}
			// Expiry.
			clock.Add(time.Hour)
			_, err = g.AdmitSecret(ctx, chat, "chat")
			if e := wantRefusal(t, err, KindUnauthenticated); !strings.Contains(e.Message, "expired at 2026-12-07T11:00:00Z") || e.Key == "" {
				t.Fatalf("expired key: %v", err)
			}
			// An unknown key stays unknown (now from the negative cache).
			if _, err := g.AdmitSecret(ctx, unknown, "chat"); err == nil {
				t.Fatal("unknown key admitted")
			}
		})
	}
}

func TestRequestsPerMinute(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock(t0)
	s := openStore(t, backends(t)[0].uri(t), clock)
	secret, _ := mustCreate(t, s, Spec{Name: "k", Limits: Limits{RequestsPerMinute: 3}})
	g := newGuard(t, s, clock)
	clock.Add(30 * time.Second)
	for i := range 3 {
		if _, err := g.AdmitSecret(ctx, secret, "chat"); err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
	}
	_, err := g.AdmitSecret(ctx, secret, "chat")
	e := wantRefusal(t, err, KindRateLimited)
	if e.Limit != "requests_per_minute" || !errors.Is(err, ErrRateLimited) {
		t.Fatalf("refusal = %+v", e)
	}
	// 3 requests in this minute: in the next one they weigh 3*(1-f),
	// which is at most 2 from f = 1/3: 30 s + 20 s from now.
	if e.RetryAfter != 50*time.Second || e.RetryAfterSeconds() != 50 || !strings.Contains(e.Message, "try again in 50s") {
		t.Fatalf("RetryAfter = %s (%q)", e.RetryAfter, e.Message)
	}
	clock.Add(e.RetryAfter - time.Second)
	if _, err := g.AdmitSecret(ctx, secret, "chat"); err == nil {
		t.Fatal("admitted a second before Retry-After")
	}
	clock.Add(time.Second)
	if _, err := g.AdmitSecret(ctx, secret, "chat"); err != nil {
		t.Fatalf("refused at Retry-After: %v", err)
	}
}

func TestTokensAndBudgets(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			clock := newFakeClock(t0)
			uri := b.uri(t)
			s := openStore(t, uri, clock)
			prices, err := ParsePrices([]byte("prices:\n  - endpoint: chat\n    input: 1000\n    output: 2000\n"))
			if err != nil {
				t.Fatal(err)
			}
			tpm, _ := mustCreate(t, s, Spec{Name: "tpm", Limits: Limits{TokensPerMinute: 100}})
			day, _ := mustCreate(t, s, Spec{Name: "day", Limits: Limits{DayTokens: 1000}})
			spend, _ := mustCreate(t, s, Spec{Name: "spend", Limits: Limits{MonthSpend: 2 * dollar}})
			g := newGuard(t, s, clock, WithPrices(prices))

			// Tokens per minute: counted when calls end.
			tk, err := g.AdmitSecret(ctx, tpm, "chat")
			if err != nil {
				t.Fatal(err)
			}
			tk.Done("m", 60, 39)
			tk.Done("m", 1000, 1000) // a second Done counts nothing
			if _, err := g.AdmitSecret(ctx, tpm, "chat"); err != nil {
				t.Fatalf("99 of 100 tokens: %v", err)
			}
			tk2, _ := g.AdmitSecret(ctx, tpm, "chat")
			tk2.Done("m", 1, 0)
			_, err = g.AdmitSecret(ctx, tpm, "chat")
			if e := wantRefusal(t, err, KindRateLimited); e.Limit != "tokens_per_minute" {
				t.Fatalf("refusal = %+v", e)
			}

			// A daily token budget, until midnight UTC.
			clock.Set(time.Date(2026, 12, 7, 23, 0, 0, 0, time.UTC))
			tk, _ = g.AdmitSecret(ctx, day, "embed")
			tk.Done("m", 1000, 0)
			_, err = g.AdmitSecret(ctx, day, "embed")
			e := wantRefusal(t, err, KindQuotaExceeded)
			if e.Limit != "day_tokens" || e.RetryAfter != time.Hour || !errors.Is(err, ErrQuotaExceeded) || !strings.Contains(e.Message, "daily token") {
				t.Fatalf("refusal = %+v", e)
			}

			// A monthly spend budget: 500 + 250 tokens at $1000/$2000
			// per million is $1; twice is $2.
			for range 2 {
				tk, err = g.AdmitSecret(ctx, spend, "chat")
				if err != nil {
					t.Fatal(err)
				}
				tk.Done("any", 500, 250)
			}
			_, err = g.AdmitSecret(ctx, spend, "chat")
			if e := wantRefusal(t, err, KindQuotaExceeded); !strings.Contains(e.Message, "monthly spend") || e.Limit != "month_spend" || e.RetryAfter != time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).Sub(clock.Now()) {
				t.Fatalf("refusal = %+v", e)
			}

			// The budgets are persisted: a restarted process (a new store
			// and guard on the same database) refuses too, the next day
			// for the monthly budget, and admits the daily one again.
			if err := g.Reconcile(ctx); err != nil {
				t.Fatal(err)
			}
			u, err := s.UsageOf(ctx, mustKeyID(t, s, "spend"), PerMonth, clock.Now())
			if err != nil || u.Cost != 2*dollar || u.Requests != 2 || u.Tokens != 1500 {
				t.Fatalf("UsageOf = %+v, %v", u, err)
			}
			clock.Add(2 * time.Hour)
			g2 := newGuard(t, openStore(t, uri, clock), clock, WithPrices(prices))
			if _, err := g2.AdmitSecret(ctx, spend, "chat"); err == nil {
				t.Fatal("spend budget forgotten by a restart")
			}
			if _, err := g2.AdmitSecret(ctx, day, "chat"); err != nil {
				t.Fatalf("daily budget not renewed the next day: %v", err)
			}
		})
	}
}

func mustKeyID(t *testing.T, s *Store, name string) string {
	t.Helper()
	ks, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range ks {
		if k.Name == name {
			return k.ID
		}
	}
	t.Fatalf("no key %s", name)
	return ""
}

// TestRunWritesOnStop checks that Run's last reconcile writes what was
// counted, so a graceful stop loses nothing.
func TestRunWritesOnStop(t *testing.T) {
	clock := newFakeClock(t0)
	s := openStore(t, backends(t)[0].uri(t), clock)
	secret, k := mustCreate(t, s, Spec{Name: "k"})
	g := newGuard(t, s, clock, WithReconcileInterval(time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { g.Run(ctx); close(done) }()
	tk, err := g.AdmitSecret(context.Background(), secret, "chat")
	if err != nil {
		t.Fatal(err)
	}
	tk.Done("m", 5, 6)
	cancel()
	<-done
	u, err := s.UsageOf(context.Background(), k.ID, PerDay, t0)
	if err != nil || u != (Usage{Requests: 1, Tokens: 11}) {
		t.Fatalf("UsageOf = %+v, %v", u, err)
	}
}
