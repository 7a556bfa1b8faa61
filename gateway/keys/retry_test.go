package keys

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/berthml/berth/internal/sqlretry"
)

// TestInTxRetriesRefusals: a transaction PostgreSQL refuses as deadlocked
// runs again (its first attempt's write rolled back), as in the tracking
// store: replicas reconciling key usage on one database do not lose a
// count to each other's locks. The refusal is made up, so SQLite runs the
// same loop.
func TestInTxRetriesRefusals(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			s := openStore(t, b.uri(t), newFakeClock(time.Unix(1_700_000_000, 0)))
			ctx := context.Background()
			attempts := 0
			err := s.inTx(ctx, func(tx *sql.Tx) error {
				attempts++
				if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO gateway_key_usage (key_id, period, start, requests, tokens, cost_nanos)
					VALUES ('k', 'day', 0, 1, 0, 0) ON CONFLICT (key_id, period, start) DO UPDATE SET requests = gateway_key_usage.requests + 1`)); err != nil {
					return err
				}
				if attempts == 1 {
					return fmt.Errorf("adding: %w", &pgconn.PgError{Code: "40P01", Message: "deadlock detected"})
				}
				return nil
			})
			if err != nil || attempts != 2 {
				t.Fatalf("err %v after %d attempts, want nil after 2", err, attempts)
			}
			var n int
			if err := s.db.QueryRowContext(ctx, `SELECT requests FROM gateway_key_usage WHERE key_id = 'k'`).Scan(&n); err != nil || n != 1 {
				t.Errorf("requests %d (%v), want 1: the refused attempt's write rolled back", n, err)
			}

			attempts = 0
			err = s.inTx(ctx, func(tx *sql.Tx) error { attempts++; return &pgconn.PgError{Code: "40001"} })
			if attempts != sqlretry.Attempts || sqlretry.Code(err) != "40001" {
				t.Errorf("always refused: %d attempts, err %v; want %d and the refusal", attempts, err, sqlretry.Attempts)
			}
		})
	}
}

// TestInTxLogsRetries: with WithStoreLogger, each transaction run again is
// logged at WARN with its SQLSTATE and attempt, as the tracking store logs
// its own.
func TestInTxLogsRetries(t *testing.T) {
	var buf bytes.Buffer
	uri := "sqlite:///" + t.TempDir() + "/gateway.db"
	s, err := Open(context.Background(), uri, WithStoreLogger(slog.New(slog.NewTextHandler(&buf, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	attempts := 0
	err = s.inTx(context.Background(), func(*sql.Tx) error {
		if attempts++; attempts < 3 {
			return &pgconn.PgError{Code: "40001"}
		}
		return nil
	})
	if err != nil || attempts != 3 {
		t.Fatalf("err %v after %d attempts, want nil after 3", err, attempts)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("logged %d lines, want one per retry (2):\n%s", len(lines), buf.String())
	}
	for i, l := range lines {
		for _, want := range []string{"level=WARN", "sqlstate=40001", fmt.Sprintf("attempt=%d", i+1)} {
			if !strings.Contains(l, want) {
				t.Errorf("line %d %q lacks %q", i, l, want)
			}
		}
	}
}
