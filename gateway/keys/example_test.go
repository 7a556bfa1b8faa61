package keys_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/berthml/berth/gateway/keys"
)

// A key limited to two requests a minute on one endpoint.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "keys")
	defer os.RemoveAll(dir)
	store, err := keys.Open(ctx, "sqlite:///"+filepath.Join(dir, "gateway.db"))
	if err != nil {
		panic(err)
	}
	defer store.Close()
	secret, _, err := store.Create(ctx, keys.Spec{Name: "team-a", Endpoints: []string{"chat"},
		Limits: keys.Limits{RequestsPerMinute: 2}})
	if err != nil {
		panic(err)
	}
	guard, err := keys.NewGuard(ctx, store)
	if err != nil {
		panic(err)
	}
	for _, endpoint := range []string{"chat", "embeddings", "chat", "chat"} {
		ticket, err := guard.AdmitSecret(ctx, secret, endpoint)
		var refused *keys.Error
		switch {
		case errors.As(err, &refused):
			fmt.Printf("%s: refused, rate limited %v, limit %q\n", endpoint, errors.Is(err, keys.ErrRateLimited), refused.Limit)
		case err != nil:
			panic(err)
		default:
			ticket.Done("gpt-4o-mini", 12, 30) // when the call ends
			fmt.Printf("%s: admitted for %s\n", endpoint, ticket.KeyName())
		}
	}
	// Output:
	// chat: admitted for team-a
	// embeddings: refused, rate limited false, limit ""
	// chat: admitted for team-a
	// chat: refused, rate limited true, limit "requests_per_minute"
}
