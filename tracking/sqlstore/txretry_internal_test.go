package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/berthml/berth/internal/pgtest"
	"github.com/berthml/berth/internal/sqlretry"
)

// TestRetryableCode checks which errors make inTx run a transaction again:
// PostgreSQL's deadlock and serialisation refusals, however wrapped, and
// nothing else.
func TestRetryableCode(t *testing.T) {
	pg := func(code string) error { return &pgconn.PgError{Code: code, Message: "detail"} }
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"deadlock", pg("40P01"), "40P01"},
		{"serialization", pg("40001"), "40001"},
		{"deadlock wrapped", fmt.Errorf("updating run r: %w", pg("40P01")), "40P01"},
		{"serialization wrapped twice", fmt.Errorf("committing transaction: %w", fmt.Errorf("x: %w", pg("40001"))), "40001"},
		{"deadlock through clientError", clientError(fmt.Errorf("inserting: %w", pg("40P01"))), "40P01"},
		{"unique violation", pg("23505"), ""},
		{"value too long", pg("22001"), ""},
		{"value too long through clientError", clientError(pg("22001")), ""},
		{"transaction aborted", pg("25P02"), ""},
		{"connection failure", pg("08006"), ""},
		{"nil", nil, ""},
		{"plain", errors.New("deadlock detected"), ""},
		{"no rows", sql.ErrNoRows, ""},
		{"canceled", context.Canceled, ""},
		{"deadline", context.DeadlineExceeded, ""},
		{"canceled wrapped", fmt.Errorf("beginning transaction: %w", context.Canceled), ""},
	} {
		if got := sqlretry.Code(c.err); got != c.want {
			t.Errorf("%s: sqlretry.Code(%v) = %q, want %q", c.name, c.err, got, c.want)
		}
	}
}

// retryStore is a store for inTx's tests and the log it writes.
type retryStore struct {
	name string
	open func(t *testing.T) (*Store, *bytes.Buffer)
}

// retryStores is SQLite always and PostgreSQL when BERTH_TEST_POSTGRES_URI
// is set (with BERTH_REQUIRE_TOOLS=1, its absence fails the test).
func retryStores(t *testing.T) []retryStore {
	stores := []retryStore{{"sqlite", func(t *testing.T) (*Store, *bytes.Buffer) {
		return openRetryStore(t, filepath.Join(t.TempDir(), "berth.db"))
	}}}
	if uri := pgtest.URI(t); uri != "" {
		stores = append(stores, retryStore{"postgres", func(t *testing.T) (*Store, *bytes.Buffer) {
			return openRetryStore(t, pgtest.Database(t, uri))
		}})
	}
	return stores
}

func openRetryStore(t *testing.T, uri string) (*Store, *bytes.Buffer) {
	t.Helper()
	var log bytes.Buffer // slog's handler serialises its writes
	s, err := Open(context.Background(), uri, "mlflow-artifacts:/", WithLogger(slog.New(slog.NewTextHandler(&log, nil))))
	if err != nil {
		t.Fatalf("Open(%s): %v", uri, err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.write.Exec(`CREATE TABLE retry_probe (id INT PRIMARY KEY, v INT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.write.Exec(`INSERT INTO retry_probe (id, v) VALUES (1, 0), (2, 0)`); err != nil {
		t.Fatal(err)
	}
	return s, &log
}

// probe returns retry_probe's values of rows 1 and 2.
func probe(t *testing.T, s *Store) [2]int {
	t.Helper()
	var v [2]int
	for i := range v {
		if err := s.read.QueryRow(s.d.rebind(`SELECT v FROM retry_probe WHERE id = ?`), i+1).Scan(&v[i]); err != nil {
			t.Fatal(err)
		}
	}
	return v
}

// TestInTxRetryRule checks inTx's loop with refusals fn makes up (so on
// SQLite too): a refused attempt is rolled back and run again, a lasting
// refusal is given up after sqlretry.Attempts with its code kept, and any other
// error is not retried.
func TestInTxRetryRule(t *testing.T) {
	refused := func(code string) error {
		return fmt.Errorf("updating: %w", &pgconn.PgError{Code: code, Message: "refused"})
	}
	for _, b := range retryStores(t) {
		t.Run(b.name, func(t *testing.T) {
			s, log := b.open(t)
			var waits []int
			s.txWait = func(retry int) time.Duration { waits = append(waits, retry); return 0 }
			ctx := context.Background()

			// Refused once: the second attempt commits, the first's write is undone.
			attempts := 0
			err := s.inTx(ctx, func(tx *sql.Tx) error {
				attempts++
				if _, err := s.exec(ctx, tx, `UPDATE retry_probe SET v = v + 1 WHERE id = 1`); err != nil {
					return err
				}
				if attempts == 1 {
					return refused("40P01")
				}
				return nil
			})
			if err != nil || attempts != 2 {
				t.Fatalf("refused once: err %v after %d attempts, want nil after 2", err, attempts)
			}
			if v := probe(t, s); v[0] != 1 {
				t.Errorf("refused once: row 1 holds %d, want 1 (the refused attempt's write rolled back)", v[0])
			}
			if !strings.Contains(log.String(), "sqlstate=40P01") {
				t.Errorf("no retry logged: %q", log.String())
			}

			// Always refused: sqlretry.Attempts attempts, sqlretry.Attempts-1 waits, the refusal returned.
			attempts, waits = 0, nil
			err = s.inTx(ctx, func(tx *sql.Tx) error { attempts++; return refused("40001") })
			if attempts != sqlretry.Attempts || sqlretry.Code(err) != "40001" {
				t.Errorf("always refused: %d attempts, err %v; want %d attempts and the 40001 refusal", attempts, err, sqlretry.Attempts)
			}
			if fmt.Sprint(waits) != "[1 2 3 4]" {
				t.Errorf("always refused: waited before retries %v, want [1 2 3 4]", waits)
			}

			// Other errors: one attempt each.
			for _, e := range []error{refused("23505"), refused("22001"), errors.New("plain"), sql.ErrNoRows} {
				attempts = 0
				err := s.inTx(ctx, func(tx *sql.Tx) error { attempts++; return e })
				if attempts != 1 || err == nil {
					t.Errorf("%v: %d attempts, err %v; want 1 attempt and an error", e, attempts, err)
				}
			}
			if v := probe(t, s); v != [2]int{1, 0} {
				t.Errorf("rows %v after the refused transactions, want [1 0]", v)
			}
		})
	}
}

// TestInTxRetryStopsWhenCancelled checks that the end of ctx ends the wait
// before a retry at once: with an hour's wait, a refused transaction whose
// context is cancelled returns within seconds, not retried, with both the
// refusal and the cancellation in its error.
func TestInTxRetryStopsWhenCancelled(t *testing.T) {
	for _, b := range retryStores(t) {
		t.Run(b.name, func(t *testing.T) {
			s, _ := b.open(t)
			s.txWait = func(int) time.Duration { return time.Hour }
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			attempts := 0
			start := time.Now()
			err := s.inTx(ctx, func(tx *sql.Tx) error {
				attempts++
				time.AfterFunc(20*time.Millisecond, cancel)
				return fmt.Errorf("updating: %w", &pgconn.PgError{Code: "40P01", Message: "deadlock detected"})
			})
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("inTx returned after %v: the wait went on past ctx's end", took)
			}
			if attempts != 1 {
				t.Errorf("%d attempts, want 1", attempts)
			}
			if !errors.Is(err, context.Canceled) || sqlretry.Code(err) != "40P01" {
				t.Errorf("err %v, want the 40P01 refusal and context.Canceled", err)
			}
		})
	}
}

// deadlock runs two transactions through s.inTx at once: one adds 1 to
// retry_probe's rows 1 then 2, the other adds 100 to rows 2 then 1, and on
// its first attempt each waits after its first row until the other holds
// its own, so that each then waits for the other's lock: PostgreSQL finds
// the deadlock (after deadlock_timeout, 1s by default) and refuses one
// with 40P01. With cancelRefused, a transaction refused as deadlocked
// cancels its own context before returning the refusal to inTx. It
// returns each transaction's error and attempts.
func deadlock(t *testing.T, s *Store, cancelRefused bool) (errs [2]error, attempts [2]int) {
	t.Helper()
	firsts := [2]chan struct{}{make(chan struct{}), make(chan struct{})}
	orders := [2][2]int{{1, 2}, {2, 1}}
	adds := [2]int{1, 100}
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			errs[i] = s.inTx(ctx, func(tx *sql.Tx) error {
				attempts[i]++
				if _, err := s.exec(ctx, tx, `UPDATE retry_probe SET v = v + ? WHERE id = ?`, adds[i], orders[i][0]); err != nil {
					return err
				}
				if attempts[i] == 1 {
					close(firsts[i])
					select {
					case <-firsts[1-i]:
					case <-time.After(20 * time.Second):
						return errors.New("the other transaction never took its first row")
					}
				}
				_, err := s.exec(ctx, tx, `UPDATE retry_probe SET v = v + ? WHERE id = ?`, adds[i], orders[i][1])
				if err != nil && cancelRefused && sqlretry.Code(err) != "" {
					cancel()
				}
				return err
			})
		})
	}
	wg.Wait()
	return errs, attempts
}

// TestInTxRetriesDeadlock provokes a real deadlock on PostgreSQL between
// two transactions through inTx: the one refused runs again once the other
// has committed, so both writes land and neither caller sees an error.
// Then, with the refused one's context cancelled, it is not retried (the
// wait before a retry is an hour, so a retry would hang the test) and
// returns the refusal and the cancellation, while the other commits.
func TestInTxRetriesDeadlock(t *testing.T) {
	uri := pgtest.URI(t)
	if uri == "" {
		t.Skip(pgtest.EnvURI + " is not set")
	}
	t.Run("retried", func(t *testing.T) {
		s, log := openRetryStore(t, pgtest.Database(t, uri))
		errs, attempts := deadlock(t, s, false)
		for i, err := range errs {
			if err != nil {
				t.Errorf("transaction %d: %v (after %d attempts)", i, err, attempts[i])
			}
		}
		if v := probe(t, s); v != [2]int{101, 101} {
			t.Errorf("rows %v, want [101 101]: both transactions' writes, once each", v)
		}
		if total := attempts[0] + attempts[1]; total != 3 {
			t.Errorf("attempts %v, want one transaction run once and the refused one twice", attempts)
		}
		if !strings.Contains(log.String(), "sqlstate=40P01") {
			t.Errorf("no deadlock retry logged: %q", log.String())
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		s, _ := openRetryStore(t, pgtest.Database(t, uri))
		var waited atomic.Int32
		s.txWait = func(int) time.Duration { waited.Add(1); return time.Hour }
		start := time.Now()
		errs, attempts := deadlock(t, s, true)
		if took := time.Since(start); took > 15*time.Second {
			t.Errorf("the transactions took %v: the refused one waited past its context's end", took)
		}
		refused, committed := 0, 1
		if errs[0] == nil {
			refused, committed = 1, 0
		}
		if errs[committed] != nil {
			t.Fatalf("both transactions failed: %v; %v", errs[0], errs[1])
		}
		err := errs[refused]
		if !errors.Is(err, context.Canceled) || sqlretry.Code(err) != "40P01" {
			t.Errorf("refused transaction: err %v, want the 40P01 refusal and context.Canceled", err)
		}
		if attempts != [2]int{1, 1} || waited.Load() != 1 {
			t.Errorf("attempts %v and %d waits, want one attempt each and one wait begun", attempts, waited.Load())
		}
		want := [2]int{1, 1}
		if committed == 1 {
			want = [2]int{100, 100}
		}
		if v := probe(t, s); v != want {
			t.Errorf("rows %v, want %v: the committed transaction's writes only", v, want)
		}
	})
}
