package keys

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestParsePrices(t *testing.T) {
	config := `
endpoints:
  - name: chat
    endpoint_type: llm/v1/chat
    model: {provider: openai, name: gpt-4o-mini, config: {openai_api_key: $OPENAI_API_KEY}}
prices:
  - endpoint: chat
    model: gpt-4o-mini
    input: 0.15
    output: 0.60
  - endpoint: chat
    input: 1
    output: 2
  - model: text-embedding-3-small
    input: 0.02
`
	pt, err := ParsePrices([]byte(config))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		endpoint, model string
		in, out         int64
		want            Spend
	}{
		{"chat", "gpt-4o-mini", 1_000_000, 1_000_000, 750_000_000},    // $0.15 + $0.60
		{"chat", "gpt-4o-mini", 1, 1, 750},                            // 150 + 600 nano-dollars
		{"chat", "other", 1000, 500, 1000*1000 + 500*2000},            // the endpoint's entry
		{"embed", "text-embedding-3-small", 3_000_000, 0, 60_000_000}, // the model's entry
		{"unpriced", "unknown", 1_000_000, 1_000_000, 0},              // costs nothing
		{"chat", "gpt-4o-mini", -5, 0, 0},                             // no negative cost
		{"chat", "gpt-4o-mini", math.MaxInt64, 0, 15_000_000_000_000}, // clamped at 1e11 tokens, no overflow
	}
	for _, tt := range tests {
		if got := pt.Cost(tt.endpoint, tt.model, tt.in, tt.out); got != tt.want {
			t.Errorf("Cost(%s, %s, %d, %d) = %d (%s), want %d", tt.endpoint, tt.model, tt.in, tt.out, got, got, tt.want)
		}
	}
}

func TestParsePricesErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"not yaml", "prices: [", "invalid price table"},
		{"not a list", "prices: {endpoint: a}", "prices must be a list"},
		{"misspelt field", "prices:\n  - endpoint: a\n    ouput: 1\n", "field ouput not found"},
		{"neither name", "prices:\n  - input: 1\n", "prices[0] names neither endpoint nor model"},
		{"negative", "prices:\n  - model: m\n    input: -1\n", "prices[0].input must be dollars per million tokens from 0 to 5000, not -1"},
		{"absurd", "prices:\n  - model: m\n    output: 1e9\n", "prices[0].output must be"},
		{"nan", "prices:\n  - model: m\n    output: .nan\n", "not NaN"},
		{"duplicate", "prices:\n  - model: m\n  - model: m\n", "prices[1] prices endpoint \"\" model \"m\" a second time"},
		{"string price", "prices:\n  - model: m\n    input: cheap\n", "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePrices([]byte(tt.yaml))
			if !errors.Is(err, ErrInvalidPrices) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParsePrices error = %v, want ErrInvalidPrices with %q", err, tt.want)
			}
		})
	}
	for _, empty := range []string{"", "endpoints: []", "prices:", "prices: []"} {
		if pt, err := ParsePrices([]byte(empty)); err != nil || pt.Cost("a", "b", 1e6, 1e6) != 0 {
			t.Errorf("ParsePrices(%q) = %v, want the empty table", empty, err)
		}
	}
}

func TestSpend(t *testing.T) {
	tests := []struct {
		in   string
		want Spend
		err  bool
	}{
		{"12.50", 12_500_000_000, false},
		{"$0.3", 300_000_000, false},
		{" 1e-3 ", 1_000_000, false},
		{"0", 0, false},
		{"-1", 0, true},
		{"NaN", 0, true},
		{"1e300", 0, true},
		{"ten", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseSpend(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseSpend(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
	if s := Spend(1_500_000_000).String(); s != "$1.5" {
		t.Errorf("String = %q", s)
	}
}

func FuzzParsePrices(f *testing.F) {
	for _, seed := range []string{
		"prices:\n  - endpoint: chat\n    model: m\n    input: 0.15\n    output: 0.6\n",
		"prices: [{model: m, input: 1}, {endpoint: e, output: 2}]",
		"prices: 3", "prices: [[1]]", "prices: [{input: .inf, model: x}]", "a: &x [1]\nprices: *x",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		pt, err := ParsePrices([]byte(in))
		if err != nil {
			if !errors.Is(err, ErrInvalidPrices) {
				t.Fatalf("error %v is not ErrInvalidPrices", err)
			}
			return
		}
		// Any accepted table prices any call at a cost in range.
		for _, m := range []string{"", "m", "gpt"} {
			if c := pt.Cost("chat", m, math.MaxInt64, math.MaxInt64); c < 0 || c > 2*maxPrice*100_000*dollar {
				t.Fatalf("Cost = %d out of range", c)
			}
		}
	})
}

func FuzzParseSpend(f *testing.F) {
	for _, seed := range []string{"1", "$2.5", "-0", "1e-12", "9.2e9", "0x10", "Inf"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseSpend(in)
		if err == nil && s < 0 {
			t.Fatalf("ParseSpend(%q) = %d, negative", in, s)
		}
	})
}
