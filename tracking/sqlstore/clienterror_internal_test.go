package sqlstore

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/berthml/berth/tracking"
)

// TestClientError checks the net below validation: PostgreSQL's refusals
// of a value the client sent become INVALID_PARAMETER_VALUE, and its other
// errors stay as they are.
func TestClientError(t *testing.T) {
	for _, c := range []struct {
		code   string
		client bool
	}{
		{"22001", true}, {"22021", true}, {"22P05", true}, {"54001", true},
		{"23505", false}, {"40001", false}, {"08006", false},
	} {
		err := clientError(fmt.Errorf("inserting: %w", &pgconn.PgError{Code: c.code, Message: "secret SQL detail"}))
		if got := errors.Is(err, tracking.ErrInvalidParameter); got != c.client {
			t.Errorf("SQLSTATE %s: %v, client mistake %v, want %v", c.code, err, got, c.client)
		}
		if c.client && errors.Is(err, tracking.ErrInvalidParameter) && fmt.Sprint(err) == "" {
			t.Errorf("SQLSTATE %s: empty message", c.code)
		}
	}
	if clientError(nil) != nil {
		t.Error("clientError(nil) != nil")
	}
}
