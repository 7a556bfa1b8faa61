package keys

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"
)

// PriceTable prices tokens per endpoint and model, for spend budgets. It
// is read from the `prices:` list of the gateway's config file:
//
//	prices:                  # US dollars per million tokens
//	  - endpoint: chat       # an endpoint name, a model name, or both
//	    model: gpt-4o-mini
//	    input: 0.15          # prompt tokens
//	    output: 0.60         # completion tokens
//	  - model: text-embedding-3-small
//	    input: 0.02
//
// A call is priced by the entry naming both its endpoint and model, else
// its endpoint, else its model; a call no entry prices costs nothing
// (its tokens still count against token budgets). The zero PriceTable
// prices nothing.
type PriceTable struct {
	byBoth     map[[2]string]price
	byEndpoint map[string]price
	byModel    map[string]price
}

// price is nano-dollars per million tokens.
type price struct{ input, output Spend }

// PriceEntry is one row of the `prices:` list.
type PriceEntry struct {
	Endpoint string  `yaml:"endpoint"`
	Model    string  `yaml:"model"`
	Input    float64 `yaml:"input"`  // dollars per million prompt tokens
	Output   float64 `yaml:"output"` // dollars per million completion tokens
}

// maxPrice bounds a price (dollars per million tokens) so that a cost
// cannot overflow: the dearest models list about $600.
const maxPrice = 5000

// ErrInvalidPrices is wrapped by the errors of ParsePrices and NewPriceTable.
var ErrInvalidPrices = errors.New("invalid price table")

// ParsePrices reads the `prices:` list from a gateway config file (YAML),
// ignoring its other keys. A file without one gives the empty table.
func ParsePrices(config []byte) (PriceTable, error) {
	var top struct {
		Prices yaml.Node `yaml:"prices"`
	}
	if err := yaml.Unmarshal(config, &top); err != nil {
		return PriceTable{}, fmt.Errorf("%w: %v", ErrInvalidPrices, err)
	}
	if top.Prices.Kind == 0 || top.Prices.Tag == "!!null" {
		return PriceTable{}, nil
	}
	if top.Prices.Kind != yaml.SequenceNode {
		return PriceTable{}, fmt.Errorf("%w: line %d: prices must be a list of {endpoint, model, input, output}", ErrInvalidPrices, top.Prices.Line)
	}
	// Re-read the list alone with unknown fields refused, so that a
	// misspelt `ouput:` is an error rather than a free model.
	b, err := yaml.Marshal(&top.Prices)
	if err != nil {
		return PriceTable{}, fmt.Errorf("%w: %v", ErrInvalidPrices, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var entries []PriceEntry
	if err := dec.Decode(&entries); err != nil && !errors.Is(err, io.EOF) {
		return PriceTable{}, fmt.Errorf("%w: prices: %v", ErrInvalidPrices, err)
	}
	return NewPriceTable(entries)
}

// NewPriceTable builds a table from entries, refusing an entry that names
// neither endpoint nor model, a negative or absurd price, and two entries
// for the same endpoint and model.
func NewPriceTable(entries []PriceEntry) (PriceTable, error) {
	t := PriceTable{byBoth: map[[2]string]price{}, byEndpoint: map[string]price{}, byModel: map[string]price{}}
	for i, e := range entries {
		where := fmt.Sprintf("prices[%d]", i)
		if e.Endpoint == "" && e.Model == "" {
			return PriceTable{}, fmt.Errorf("%w: %s names neither endpoint nor model", ErrInvalidPrices, where)
		}
		var p price
		for _, f := range []struct {
			name string
			v    float64
			to   *Spend
		}{{"input", e.Input, &p.input}, {"output", e.Output, &p.output}} {
			if !(f.v >= 0 && f.v <= maxPrice) { // also refuses NaN
				return PriceTable{}, fmt.Errorf("%w: %s.%s must be dollars per million tokens from 0 to %d, not %v", ErrInvalidPrices, where, f.name, maxPrice, f.v)
			}
			*f.to, _ = dollars(f.v)
		}
		var dup bool
		switch {
		case e.Endpoint != "" && e.Model != "":
			_, dup = t.byBoth[[2]string{e.Endpoint, e.Model}]
			t.byBoth[[2]string{e.Endpoint, e.Model}] = p
		case e.Endpoint != "":
			_, dup = t.byEndpoint[e.Endpoint]
			t.byEndpoint[e.Endpoint] = p
		default:
			_, dup = t.byModel[e.Model]
			t.byModel[e.Model] = p
		}
		if dup {
			return PriceTable{}, fmt.Errorf("%w: %s prices endpoint %q model %q a second time", ErrInvalidPrices, where, e.Endpoint, e.Model)
		}
	}
	return t, nil
}

// Cost prices a call's tokens.
func (t PriceTable) Cost(endpoint, model string, inputTokens, outputTokens int64) Spend {
	p, ok := t.byBoth[[2]string{endpoint, model}]
	if !ok {
		if p, ok = t.byEndpoint[endpoint]; !ok {
			if p, ok = t.byModel[model]; !ok {
				return 0
			}
		}
	}
	return perMillion(inputTokens, p.input) + perMillion(outputTokens, p.output)
}

// perMillion is n tokens at p per million, rounded to the nano-dollar,
// without overflowing for any n an int64 holds and p <= maxPrice.
func perMillion(n int64, p Spend) Spend {
	if n <= 0 {
		return 0
	}
	n = min(n, 100_000_000_000) // a hundred billion tokens: far past any call
	const m = 1_000_000
	return Spend(n/m)*p + (Spend(n%m)*p+m/2)/m
}
