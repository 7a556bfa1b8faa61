package provider_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/berthml/berth/gateway/provider"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"3", 3 * time.Second},
		{"0.5", 500 * time.Millisecond},
		{"-1", 0},
		{"NaN", 0},
		{"99999", time.Hour},
		{"soon", 0},
		{now.Add(10 * time.Second).Format("Mon, 02 Jan 2006 15:04:05 GMT"), 10 * time.Second},
		{now.Add(-10 * time.Second).Format("Mon, 02 Jan 2006 15:04:05 GMT"), 0},
	}
	for _, tt := range tests {
		if got := provider.ParseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"1", "1e9", "Wed, 21 Oct 2015 07:28:00 GMT", "-0", "+Inf"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d := provider.ParseRetryAfter(s, time.Now()); d < 0 || d > time.Hour {
			t.Fatalf("ParseRetryAfter(%q) = %v", s, d)
		}
	})
}

func TestErrorRetryable(t *testing.T) {
	tests := []struct {
		err  provider.Error
		want bool
	}{
		{provider.Error{Kind: provider.KindUpstream, Status: 429}, true},
		{provider.Error{Kind: provider.KindUpstream, Status: 503}, true},
		{provider.Error{Kind: provider.KindUpstream, Status: 400}, false},
		{provider.Error{Kind: provider.KindUnreachable}, true},
		{provider.Error{Kind: provider.KindTimeout}, true},
		{provider.Error{Kind: provider.KindBadResponse}, false},
		{provider.Error{Kind: provider.KindInvalidRequest}, false},
	}
	for _, tt := range tests {
		if got := tt.err.Retryable(); got != tt.want {
			t.Errorf("%v.Retryable() = %v", &tt.err, got)
		}
	}
	wrapped := fmt.Errorf("calling: %w", &provider.Error{Provider: "openai", Kind: provider.KindUpstream, Status: 500, Message: "boom"})
	pe, ok := provider.AsError(wrapped)
	if !ok || pe.Status != 500 || pe.Error() != "provider openai answered 500: boom" {
		t.Errorf("AsError = %v, %v", pe, ok)
	}
	if _, ok := provider.AsError(errors.New("x")); ok {
		t.Error("AsError found an *Error in a plain error")
	}
}

func TestRegistry(t *testing.T) {
	newFake := func(provider.Config) (provider.Provider, error) { return provider.Unsupported{Provider: "fake"}, nil }
	provider.Register(provider.Spec{Name: "test-fake", Aliases: []string{"test-fake-alias"}, New: newFake, EndpointTypes: []string{"llm/v1/chat"}})
	for _, n := range []string{"test-fake", "test-fake-alias"} {
		s, ok := provider.Lookup(n)
		if !ok || s.Name != "test-fake" {
			t.Errorf("Lookup(%q) = %v, %v", n, s, ok)
		}
	}
	s, _ := provider.Lookup("test-fake")
	if !s.Serves("llm/v1/chat") || s.Serves("llm/v1/embeddings") {
		t.Error("Serves does not follow EndpointTypes")
	}
	if _, ok := provider.Lookup("nosuchprovider"); ok {
		t.Error("Lookup found an unregistered provider")
	}
	defer func() {
		if recover() == nil {
			t.Error("a second registration of a name did not panic")
		}
	}()
	provider.Register(provider.Spec{Name: "other", Aliases: []string{"test-fake"}, New: newFake})
}

func TestUnsupported(t *testing.T) {
	p := provider.Unsupported{Provider: "x"}
	_, err := p.Embeddings(context.Background(), nil)
	pe, ok := provider.AsError(err)
	if !ok || pe.Kind != provider.KindUnsupported || pe.Provider != "x" {
		t.Errorf("Embeddings = %v", err)
	}
}
