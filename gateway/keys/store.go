package keys

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/berthml/berth/internal/sqlretry"
	"github.com/berthml/berth/tracking/sqlstore"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// Store keeps gateway keys and their usage in a SQL database: SQLite or
// PostgreSQL, the tracking database or a database of their own. Every
// process on one database sees the same keys and adds to the same usage
// counts. It is safe for concurrent use.
type Store struct {
	db  *sql.DB
	pg  bool
	now func() time.Time
	log *slog.Logger // nil: retries unlogged
}

// StoreOption configures Open.
type StoreOption func(*Store)

// WithStoreClock sets the clock that creation and revocation times are
// read from. Default: time.Now.
func WithStoreClock(now func() time.Time) StoreOption { return func(s *Store) { s.now = now } }

// WithStoreLogger logs, at WARN, each transaction PostgreSQL refused as
// deadlocked or not serialisable and the store runs again
// (internal/sqlretry), as the tracking store does. Default: not logged.
func WithStoreLogger(log *slog.Logger) StoreOption { return func(s *Store) { s.log = log } }

// ErrNotFound is returned for a key that no id or name matches.
var ErrNotFound = errors.New("gateway key not found")

// ErrNameTaken is returned by Create for a name a live key already has.
var ErrNameTaken = errors.New("gateway key name taken")

// Open opens the database at uri (sqlite:///rel.db, sqlite:////abs.db, a
// file path, or postgresql://...) and creates or upgrades the gateway's
// tables in it. The tables are the gateway's own (gateway_keys,
// gateway_key_usage, gateway_keys_schema), so the tracking database can
// hold them beside MLflow's.
func Open(ctx context.Context, uri string, opts ...StoreOption) (*Store, error) {
	s := &Store{now: time.Now}
	for _, o := range opts {
		o(s)
	}
	var err error
	if strings.HasPrefix(uri, "postgresql://") || strings.HasPrefix(uri, "postgres://") {
		s.pg = true
		if s.db, err = sql.Open("pgx", uri); err != nil {
			return nil, fmt.Errorf("opening postgres database: %w", err)
		}
		s.db.SetMaxOpenConns(4)
	} else {
		path, err := sqlstore.SQLitePath(uri)
		if err != nil {
			return nil, err
		}
		if path, err = filepath.Abs(path); err != nil {
			return nil, fmt.Errorf("opening sqlite database: %w", err)
		}
		// One connection: writes are a few a second (the reconcile
		// loop), and BEGIN IMMEDIATE with a busy timeout waits out other
		// processes on the file.
		dsn := "file:" + path + "?_pragma=busy_timeout(30000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
		if s.db, err = sql.Open("sqlite", dsn); err != nil {
			return nil, fmt.Errorf("opening sqlite database %s: %w", path, err)
		}
		s.db.SetMaxOpenConns(1)
	}
	if err := s.db.PingContext(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("connecting to the gateway key database: %w", err)
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// q rewrites ? placeholders to PostgreSQL's $1, $2, ...
func (s *Store) q(query string) string {
	if !s.pg {
		return query
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrate applies the embedded migrations the database lacks, recording
// each in gateway_keys_schema; processes starting together serialise on
// an advisory lock (PostgreSQL) or the write lock (SQLite).
func (s *Store) migrate(ctx context.Context) error {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return fmt.Errorf("reading embedded migrations: %w", err)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if s.pg {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(80114)`); err != nil {
				return fmt.Errorf("locking gateway key migrations: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS gateway_keys_schema (
			version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
			return fmt.Errorf("creating gateway_keys_schema: %w", err)
		}
		for _, e := range entries {
			num, _, _ := strings.Cut(e.Name(), "_")
			v, err := strconv.Atoi(num)
			if err != nil {
				return fmt.Errorf("migration %s: name must be NNNN_name.sql", e.Name())
			}
			var n int
			if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM gateway_keys_schema WHERE version = ?`), v).Scan(&n); err != nil {
				return fmt.Errorf("reading gateway_keys_schema: %w", err)
			}
			if n > 0 {
				continue
			}
			b, err := migrationFS.ReadFile("migrations/" + e.Name())
			if err != nil {
				return err
			}
			for _, stmt := range statements(string(b)) {
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("applying gateway key migration %s: %w", e.Name(), err)
				}
			}
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO gateway_keys_schema (version, applied_at) VALUES (?, ?)`), v, s.now().Unix()); err != nil {
				return fmt.Errorf("recording gateway key migration %s: %w", e.Name(), err)
			}
		}
		return nil
	})
}

// statements splits a migration on lines ending in ";", dropping comments.
func statements(script string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(script, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line + "\n")
		if strings.HasSuffix(t, ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	return out
}

// inTx runs fn in a transaction and commits it; on PostgreSQL a
// transaction refused as deadlocked or not serialisable runs again
// (internal/sqlretry), so fn must only assign what it shares with its
// caller, never accumulate in it.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	return sqlretry.Do(ctx, s.log, nil, func() error {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if err := fn(tx); err != nil {
			_ = tx.Rollback()
			return err
		}
		return tx.Commit()
	})
}

// Create issues a key. The secret it returns is shown once: only its
// digest is stored.
func (s *Store) Create(ctx context.Context, spec Spec) (secret string, k Key, err error) {
	now := s.now()
	if err := spec.Validate(now); err != nil {
		return "", Key{}, err
	}
	secret, digest, err := newSecret()
	if err != nil {
		return "", Key{}, err
	}
	var id [8]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", Key{}, fmt.Errorf("reading random bytes: %w", err)
	}
	k = Key{ID: hex.EncodeToString(id[:]), Name: spec.Name, Hint: hintOf(secret),
		Endpoints: spec.Endpoints, Limits: spec.Limits, ExpiresAt: spec.ExpiresAt, CreatedAt: now.Truncate(time.Millisecond)}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM gateway_keys WHERE name = ? AND revoked_at = 0`), k.Name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%w: a key named %q exists; revoke it first", ErrNameTaken, k.Name)
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO gateway_keys (key_id, name, secret_sha256, hint, endpoints,
			requests_per_minute, tokens_per_minute, day_tokens, month_tokens, day_spend_nanos, month_spend_nanos,
			expires_at, created_at, revoked_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)`),
			k.ID, k.Name, digest, k.Hint, strings.Join(k.Endpoints, ","),
			k.RequestsPerMinute, k.TokensPerMinute, k.DayTokens, k.MonthTokens, int64(k.DaySpend), int64(k.MonthSpend),
			millis(k.ExpiresAt), millis(k.CreatedAt), millis(k.CreatedAt))
		return err
	})
	if err != nil {
		if errors.Is(err, ErrNameTaken) {
			return "", Key{}, err
		}
		return "", Key{}, fmt.Errorf("creating gateway key %q: %w", spec.Name, err)
	}
	return secret, k, nil
}

const keyColumns = `key_id, name, hint, endpoints, requests_per_minute, tokens_per_minute, day_tokens, month_tokens,
	day_spend_nanos, month_spend_nanos, expires_at, created_at, revoked_at`

type scanner interface{ Scan(...any) error }

func scanKey(r scanner, extra ...any) (Key, error) {
	var k Key
	var endpoints string
	var daySpend, monthSpend, expires, created, revoked int64
	dest := append([]any{&k.ID, &k.Name, &k.Hint, &endpoints, &k.RequestsPerMinute, &k.TokensPerMinute,
		&k.DayTokens, &k.MonthTokens, &daySpend, &monthSpend, &expires, &created, &revoked}, extra...)
	if err := r.Scan(dest...); err != nil {
		return Key{}, err
	}
	if endpoints != "" {
		k.Endpoints = strings.Split(endpoints, ",")
	}
	k.DaySpend, k.MonthSpend = Spend(daySpend), Spend(monthSpend)
	k.ExpiresAt, k.CreatedAt, k.RevokedAt = fromMillis(expires), fromMillis(created), fromMillis(revoked)
	return k, nil
}

// List returns every key, revoked ones included, oldest first.
func (s *Store) List(ctx context.Context) ([]Key, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+keyColumns+` FROM gateway_keys ORDER BY created_at, key_id`)
	if err != nil {
		return nil, fmt.Errorf("listing gateway keys: %w", err)
	}
	defer rows.Close()
	var out []Key
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("listing gateway keys: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing gateway keys: %w", err)
	}
	return out, nil
}

// Revoke revokes the key with id idOrName, else the live key so named.
// Every replica refuses it from its next reconcile on.
func (s *Store) Revoke(ctx context.Context, idOrName string) (Key, error) {
	var k Key
	now := millis(s.now())
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		row := tx.QueryRowContext(ctx, s.q(`SELECT `+keyColumns+` FROM gateway_keys
			WHERE key_id = ? OR (name = ? AND revoked_at = 0) ORDER BY revoked_at LIMIT 1`), idOrName, idOrName)
		var err error
		if k, err = scanKey(row); errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: no key has the id or live name %q", ErrNotFound, idOrName)
		} else if err != nil {
			return err
		}
		if k.Revoked() {
			return nil
		}
		k.RevokedAt = fromMillis(now)
		_, err = tx.ExecContext(ctx, s.q(`UPDATE gateway_keys SET revoked_at = ?, updated_at = ? WHERE key_id = ?`), now, now, k.ID)
		return err
	})
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return Key{}, err
		}
		return Key{}, fmt.Errorf("revoking gateway key %q: %w", idOrName, err)
	}
	return k, nil
}

// keysByDigest reads every key with its digest.
func (s *Store) keysByDigest(ctx context.Context) (map[string]Key, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+keyColumns+`, secret_sha256 FROM gateway_keys`)
	if err != nil {
		return nil, fmt.Errorf("reading gateway keys: %w", err)
	}
	defer rows.Close()
	out := map[string]Key{}
	for rows.Next() {
		var digest string
		k, err := scanKey(rows, &digest)
		if err != nil {
			return nil, fmt.Errorf("reading gateway keys: %w", err)
		}
		out[digest] = k
	}
	return out, rows.Err()
}

// keyByDigest finds one key by its digest.
func (s *Store) keyByDigest(ctx context.Context, digest string) (Key, bool, error) {
	k, err := scanKey(s.db.QueryRowContext(ctx, s.q(`SELECT `+keyColumns+` FROM gateway_keys WHERE secret_sha256 = ?`), digest))
	if errors.Is(err, sql.ErrNoRows) {
		return Key{}, false, nil
	}
	if err != nil {
		return Key{}, false, fmt.Errorf("reading gateway key: %w", err)
	}
	return k, true, nil
}

// Usage is what one key used in one period.
type Usage struct {
	Requests int64 `json:"requests"`
	Tokens   int64 `json:"tokens"`
	Cost     Spend `json:"cost_nano_usd"` // billionths of a dollar
}

func (u *Usage) add(v Usage) { u.Requests += v.Requests; u.Tokens += v.Tokens; u.Cost += v.Cost }
func (u *Usage) sub(v Usage) { u.Requests -= v.Requests; u.Tokens -= v.Tokens; u.Cost -= v.Cost }

// cellID names one key's count in one period.
type cellID struct {
	key    string
	period Period
	start  int64 // Unix seconds
}

// exchange adds this process's counts (deltas) to the database and reads
// back the totals of every key in the periods from on (all replicas'), in
// one transaction; minute counts older than an hour are deleted.
func (s *Store) exchange(ctx context.Context, deltas map[cellID]Usage, from map[Period]int64) (map[cellID]Usage, error) {
	var totals map[cellID]Usage
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		totals = map[cellID]Usage{} // afresh on each attempt
		ids := make([]cellID, 0, len(deltas))
		for id := range deltas {
			ids = append(ids, id)
		}
		// A fixed order, so two replicas' transactions lock rows alike
		// and cannot deadlock on PostgreSQL.
		sort.Slice(ids, func(i, j int) bool { return ids[i].less(ids[j]) })
		for _, id := range ids {
			d := deltas[id]
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO gateway_key_usage (key_id, period, start, requests, tokens, cost_nanos)
				VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key_id, period, start) DO UPDATE SET
				requests = gateway_key_usage.requests + excluded.requests,
				tokens = gateway_key_usage.tokens + excluded.tokens,
				cost_nanos = gateway_key_usage.cost_nanos + excluded.cost_nanos`),
				id.key, id.period.String(), id.start, d.Requests, d.Tokens, int64(d.Cost)); err != nil {
				return fmt.Errorf("adding gateway key usage: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM gateway_key_usage WHERE period = 'minute' AND start < ?`),
			from[PerMinute]-3600); err != nil {
			return fmt.Errorf("deleting old gateway key usage: %w", err)
		}
		rows, err := tx.QueryContext(ctx, s.q(`SELECT key_id, period, start, requests, tokens, cost_nanos FROM gateway_key_usage
			WHERE (period = 'minute' AND start >= ?) OR (period = 'day' AND start >= ?) OR (period = 'month' AND start >= ?)`),
			from[PerMinute], from[PerDay], from[PerMonth])
		if err != nil {
			return fmt.Errorf("reading gateway key usage: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id cellID
			var p string
			var u Usage
			if err := rows.Scan(&id.key, &p, &id.start, &u.Requests, &u.Tokens, &u.Cost); err != nil {
				return fmt.Errorf("reading gateway key usage: %w", err)
			}
			var ok bool
			if id.period, ok = parsePeriod(p); ok {
				totals[id] = u
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return totals, nil
}

// UsageOf returns what the key with id used in the period (minute, day or
// month) that holds t, as the database has it (all replicas' reconciled
// counts).
func (s *Store) UsageOf(ctx context.Context, id string, p Period, t time.Time) (Usage, error) {
	var u Usage
	err := s.db.QueryRowContext(ctx, s.q(`SELECT requests, tokens, cost_nanos FROM gateway_key_usage
		WHERE key_id = ? AND period = ? AND start = ?`), id, p.String(), p.start(t)).Scan(&u.Requests, &u.Tokens, &u.Cost)
	if errors.Is(err, sql.ErrNoRows) {
		return Usage{}, nil
	}
	if err != nil {
		return Usage{}, fmt.Errorf("reading gateway key usage: %w", err)
	}
	return u, nil
}

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
