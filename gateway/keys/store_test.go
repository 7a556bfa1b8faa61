package keys

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestStoreKeys(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			clock := newFakeClock(t0)
			uri := b.uri(t)
			s := openStore(t, uri, clock)
			secret, k := mustCreate(t, s, Spec{Name: "team-a", Endpoints: []string{"chat", "embed"},
				Limits:    Limits{RequestsPerMinute: 60, TokensPerMinute: 1000, DayTokens: 5, MonthTokens: 6, DaySpend: 7, MonthSpend: 8},
				ExpiresAt: t0.Add(24 * time.Hour)})
			if _, err := ParseSecret(secret); err != nil {
				t.Fatalf("Create's secret: %v", err)
			}
			if len(k.ID) != 16 || k.Hint != hintOf(secret) || !k.CreatedAt.Equal(t0) {
				t.Fatalf("key = %+v", k)
			}
			if _, _, err := s.Create(ctx, Spec{Name: "team-a"}); !errors.Is(err, ErrNameTaken) {
				t.Fatalf("second team-a: %v, want ErrNameTaken", err)
			}
			clock.Add(time.Second)
			_, k2 := mustCreate(t, s, Spec{Name: "team-b"})

			// Opening again (another replica) migrates nothing and sees both.
			s2 := openStore(t, uri, clock)
			got, err := s2.List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got[0].ID != k.ID || got[1].ID != k2.ID {
				t.Fatalf("List = %+v", got)
			}
			g := got[0]
			if strings.Join(g.Endpoints, ",") != "chat,embed" || g.Limits != k.Limits || !g.ExpiresAt.Equal(k.ExpiresAt) || g.Revoked() {
				t.Fatalf("listed %+v, created %+v", g, k)
			}
			if got[1].Endpoints != nil || !got[1].Allows("anything") {
				t.Fatalf("a key without endpoints must allow all: %+v", got[1])
			}

			// Revoke by name; the name can then be issued again.
			clock.Add(time.Minute)
			r, err := s.Revoke(ctx, "team-a")
			if err != nil || r.ID != k.ID || !r.RevokedAt.Equal(t0.Add(time.Minute+time.Second)) {
				t.Fatalf("Revoke = %+v, %v", r, err)
			}
			_, k3 := mustCreate(t, s, Spec{Name: "team-a"})
			if k3.ID == k.ID {
				t.Fatal("a new key reused the revoked key's id")
			}
			// By id; revoking twice keeps the first time.
			clock.Add(time.Minute)
			if r, err := s.Revoke(ctx, k.ID); err != nil || !r.RevokedAt.Equal(t0.Add(time.Minute+time.Second)) {
				t.Fatalf("Revoke again = %+v, %v", r, err)
			}
			if _, err := s.Revoke(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Revoke(nobody) = %v, want ErrNotFound", err)
			}
		})
	}
}

func TestSpecValidate(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
		want string
	}{
		{"ok", Spec{Name: "a.b_c-1", Endpoints: []string{"chat"}}, ""},
		{"empty name", Spec{}, `name "" must be`},
		{"name with space", Spec{Name: "a b"}, `name "a b" must be`},
		{"name starting with dash", Spec{Name: "-a"}, "starting with a letter or digit"},
		{"long name", Spec{Name: strings.Repeat("a", 256)}, "1 to 255"},
		{"empty endpoint", Spec{Name: "a", Endpoints: []string{""}}, `endpoint name "" must be non-empty`},
		{"comma endpoint", Spec{Name: "a", Endpoints: []string{"x,y"}}, "without commas"},
		{"negative rpm", Spec{Name: "a", Limits: Limits{RequestsPerMinute: -1}}, "requests per minute must not be negative"},
		{"negative spend", Spec{Name: "a", Limits: Limits{MonthSpend: -1}}, "month spend must not be negative"},
		{"expired", Spec{Name: "a", ExpiresAt: t0}, "expiry 2026-12-07T10:00:00Z is not in the future"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.spec.Validate(t0)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidSpec) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate = %v, want ErrInvalidSpec with %q", err, tt.want)
			}
		})
	}
}

func TestOpenRefusesOtherURIs(t *testing.T) {
	if _, err := Open(context.Background(), "mysql://x/y"); err == nil {
		t.Fatal("Open(mysql://) succeeded")
	}
	if _, err := Open(context.Background(), "sqlite:///"+t.TempDir()+"/missing/dir/g.db"); err == nil {
		t.Fatal("Open in a missing directory succeeded")
	}
}
