package gateway

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// Guard admits or refuses a query before the gateway calls the upstream.
// See the package documentation for the contract.
type Guard interface {
	Admit(ctx context.Context, r *http.Request, endpoint string) (Ticket, error)
}

// Ticket is an admitted query. Done is called once when the query ends.
type Ticket interface {
	Done(u Usage)
}

// KeyedTicket is a Ticket that knows the gateway key it was admitted by.
// Key returns the key's public name (never its secret): metrics and usage
// reports are labelled with it.
type KeyedTicket interface {
	Ticket
	Key() string
}

// Usage is what one query used, reported to Ticket.Done.
type Usage struct {
	Endpoint     string        // the endpoint's name
	Provider     string        // the provider that answered ("" when none did)
	Model        string        // the upstream model that answered
	InputTokens  int           // prompt tokens (0 when unknown or failed)
	OutputTokens int           // completion tokens (0 when unknown or failed)
	Duration     time.Duration // from admission to the end of the answer
	Err          error         // nil when the query succeeded
	// Key is the public name of the gateway key the query came with, when
	// the guard knows it (a KeyedTicket, or a Denied naming it); "" else.
	Key string
	// Status is the HTTP status the query was answered with (200 for a
	// stream that failed after it began); 0 when the client went away
	// before an answer.
	Status int
}

// DenyReason says why a Guard refused a query.
type DenyReason int

// The reasons a guard refuses a query, and the answer each gets.
const (
	// DenyUnauthenticated: no key, or an unknown, revoked or expired one (401).
	DenyUnauthenticated DenyReason = iota
	// DenyForbidden: the key may not use this endpoint (403).
	DenyForbidden
	// DenyRateLimited: a requests- or tokens-per-minute limit (429).
	DenyRateLimited
	// DenyBudgetExceeded: the key's token or spend budget is spent (429).
	DenyBudgetExceeded
)

// Denied is a Guard's refusal. Message is shown to the client; it never
// holds a key. RetryAfter, when set, is sent as Retry-After (whole seconds,
// rounded up).
type Denied struct {
	Reason     DenyReason
	Message    string
	RetryAfter time.Duration
	// Key is the public name of the key refused, when the guard knows it
	// (a key over its limits, or not allowed this endpoint); "" for an
	// unknown key. Metrics count refusals under it.
	Key string
}

func (d *Denied) Error() string { return fmt.Sprintf("query refused: %s", d.Message) }

// noGuard admits everything.
type noGuard struct{}

func (noGuard) Admit(context.Context, *http.Request, string) (Ticket, error) { return noTicket{}, nil }

type noTicket struct{}

func (noTicket) Done(Usage) {}
