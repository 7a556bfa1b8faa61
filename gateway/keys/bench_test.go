package keys

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkAdmit measures the gateway's cost per call for keys: parsing
// and hashing the key, the limit and budget checks, and Ticket.Done, with
// every limit set (high enough that nothing is refused) and a reconcile
// every second in the background, as in a running gateway.
func BenchmarkAdmit(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, "sqlite:///"+b.TempDir()+"/gateway.db")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	prices, _ := ParsePrices([]byte("prices:\n  - endpoint: chat\n    input: 0.15\n    output: 0.6\n"))
	limits := Limits{RequestsPerMinute: 1 << 40, TokensPerMinute: 1 << 50, DayTokens: 1 << 50, MonthTokens: 1 << 50,
		DaySpend: 1 << 60, MonthSpend: 1 << 60}
	secret, _, err := s.Create(ctx, Spec{Name: "bench", Endpoints: []string{"chat", "embed"}, Limits: limits, ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		b.Fatal(err)
	}
	g, err := NewGuard(ctx, s, WithPrices(prices))
	if err != nil {
		b.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { g.Run(rctx); close(done) }()
	defer func() { cancel(); <-done }()

	r := httptest.NewRequest("POST", "/v1/chat/completions", nil)
	r.Header.Set("Authorization", "Bearer "+secret)
	call := func(b *testing.B) {
		t, err := g.Admit(ctx, r, "chat")
		if err != nil {
			b.Fatal(err)
		}
		t.Done("gpt-4o-mini", 100, 20)
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			call(b)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				call(b)
			}
		})
	})
}
