package options

import (
	"context"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berthml/berth/gateway"
	"github.com/berthml/berth/gateway/keys"
)

func TestParseExpiry(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 30, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
		err  string
	}{
		{"90d", now.AddDate(0, 0, 90), ""},
		{"720h", now.Add(720 * time.Hour), ""},
		{"1h30m", now.Add(90 * time.Minute), ""},
		{"2027-01-31", time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC), ""},
		{"2027-01-31T12:00:00+02:00", time.Date(2027, 1, 31, 10, 0, 0, 0, time.UTC), ""},
		{"0d", time.Time{}, "neither a duration"},
		{"-5m", time.Time{}, "duration -5m is not positive"},
		{"tomorrow", time.Time{}, "neither a duration"},
		{"", time.Time{}, "neither a duration"},
	}
	for _, tt := range tests {
		got, err := ParseExpiry(tt.in, now)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseExpiry(%q) = %v, %v; want error %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("ParseExpiry(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func FuzzParseExpiry(f *testing.F) {
	for _, s := range []string{"90d", "720h", "2027-01-31", "2027-01-31T12:00:00Z", "9999999d", "1e3h"} {
		f.Add(s)
	}
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseExpiry(s, now)
		if err == nil && got.IsZero() {
			t.Fatalf("ParseExpiry(%q) gave the zero time (never) without an error", s)
		}
	})
}

// TestKeyGuard checks the mapping of package keys' refusals to the
// gateway's, and that the gateway's Usage reaches the key's counts.
func TestKeyGuard(t *testing.T) {
	ctx := context.Background()
	uri := "sqlite:///" + filepath.Join(t.TempDir(), "g.db")
	store, err := OpenGatewayKeys(ctx, uri, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	secret, k, err := store.Create(ctx, keys.Spec{Name: "k", Endpoints: []string{"chat"}, Limits: keys.Limits{DayTokens: 10}})
	if err != nil {
		t.Fatal(err)
	}
	if g, err := (&GatewayKeys{}).Guard(ctx, uri, false, nil, nil); g != nil || err != nil {
		t.Fatalf("Guard without --gateway-keys = %v, %v; want none", g, err)
	}
	if _, err := (&GatewayKeys{Require: true, Reconcile: time.Second}).Guard(ctx, uri, false, []byte("prices: 3"), nil); !errors.Is(err, keys.ErrInvalidPrices) {
		t.Fatalf("Guard with a bad price table: %v", err)
	}
	g, err := (&GatewayKeys{Require: true, Reconcile: time.Second}).Guard(ctx, uri, false,
		[]byte("prices:\n  - endpoint: chat\n    input: 1\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	var _ gateway.Guard = g

	r := httptest.NewRequest("POST", "/v1/chat/completions", nil)
	for _, tt := range []struct {
		name, auth, endpoint string
		want                 gateway.DenyReason
	}{
		{"no key", "", "chat", gateway.DenyUnauthenticated},
		{"other endpoint", "Bearer " + secret, "embed", gateway.DenyForbidden},
	} {
		r.Header.Set("Authorization", tt.auth)
		_, err := g.Admit(ctx, r, tt.endpoint)
		var d *gateway.Denied
		if !errors.As(err, &d) || d.Reason != tt.want || d.Message == "" {
			t.Errorf("%s: %v, want a Denied with reason %d", tt.name, err, tt.want)
		}
	}
	r.Header.Set("Authorization", "Bearer "+secret)
	tk, err := g.Admit(ctx, r, "chat")
	if err != nil {
		t.Fatal(err)
	}
	tk.Done(gateway.Usage{Endpoint: "chat", Model: "m", InputTokens: 7, OutputTokens: 3})
	_, err = g.Admit(ctx, r, "chat")
	var d *gateway.Denied
	if !errors.As(err, &d) || d.Reason != gateway.DenyBudgetExceeded || d.RetryAfter <= 0 {
		t.Fatalf("after 10 of 10 tokens: %v, want a budget refusal with Retry-After", err)
	}
	stop := g.Start(ctx)
	stop() // writes the counts and closes the guard's database
	u, err := store.UsageOf(ctx, k.ID, keys.PerDay, time.Now())
	if err != nil || u.Tokens != 10 || u.Requests != 1 || u.Cost != 7_000 {
		t.Fatalf("usage = %+v, %v; want 1 request, 10 tokens, 7 input tokens at $1 per million", u, err)
	}
	if err := g.Reload([]byte("prices: [{}]")); err == nil {
		t.Fatal("Reload accepted a bad price table")
	}
}
