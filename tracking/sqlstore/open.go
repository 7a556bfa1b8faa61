package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/berthml/berth/tracking"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// Store is a tracking.Store on a SQL database. It is safe for concurrent use.
type Store struct {
	d            dialect
	write        *sql.DB // SQLite: one connection, BEGIN IMMEDIATE; PostgreSQL: same as read
	read         *sql.DB
	stmts        *stmtCache // SQLite: statements kept prepared on write; nil on PostgreSQL
	expExists    keptRead   // CheckExperiment's query
	artifactRoot string
	now          func() int64
	log          *slog.Logger
	txWait       func(retry int) time.Duration // inTx's wait before a retry; nil: sqlretry.Backoff (tests set it)
}

var _ tracking.Store = (*Store)(nil)

// Option configures Open.
type Option func(*options)

type options struct {
	clock        func() time.Time
	logger       *slog.Logger
	readConns    int
	busyTimeout  time.Duration
	synchronous  string
	maxIdleConns int
}

// WithClock sets the clock used for creation and update times. Default:
// time.Now.
func WithClock(now func() time.Time) Option { return func(o *options) { o.clock = now } }

// WithLogger sets the logger. Default: discard.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithReadConns sets the size of the read connection pool. Default: 8.
func WithReadConns(n int) Option { return func(o *options) { o.readConns = n } }

// WithBusyTimeout sets how long a SQLite writer waits for another process's
// lock. Default: 30s.
func WithBusyTimeout(d time.Duration) Option { return func(o *options) { o.busyTimeout = d } }

// WithSQLiteSynchronous sets SQLite's synchronous pragma (OFF, NORMAL, FULL).
// Default: FULL, so a committed write also survives power loss; NORMAL
// still survives a crash of the process.
func WithSQLiteSynchronous(mode string) Option { return func(o *options) { o.synchronous = mode } }

// Open opens (creating and migrating if needed) the tracking database at uri:
// sqlite:///abs/path.db, sqlite:///rel.db (relative to the working
// directory), a bare file path, or postgresql://user:pass@host:port/db (also
// postgres://). artifactRoot is the root under which experiments get their
// default artifact location, such as "mlflow-artifacts:/" or a directory.
func Open(ctx context.Context, uri, artifactRoot string, opts ...Option) (*Store, error) {
	o := options{clock: time.Now, logger: slog.New(slog.DiscardHandler), readConns: 8,
		busyTimeout: 30 * time.Second, synchronous: "FULL", maxIdleConns: 4}
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil { // WithLogger(nil): inTx logs its retries
		o.logger = slog.New(slog.DiscardHandler)
	}
	s := &Store{artifactRoot: artifactRoot, log: o.logger,
		now: func() int64 { return o.clock().UnixMilli() }}
	var err error
	switch {
	case strings.HasPrefix(uri, "postgresql://"), strings.HasPrefix(uri, "postgres://"):
		s.d = postgresDialect
		if s.write, err = sql.Open("pgx", uri); err != nil {
			return nil, fmt.Errorf("opening postgres database: %w", err)
		}
		s.write.SetMaxOpenConns(o.readConns + 2)
		s.read = s.write
	default:
		path, perr := SQLitePath(uri)
		if perr != nil {
			return nil, perr
		}
		if dir := filepath.Dir(path); !isDir(dir) {
			return nil, fmt.Errorf("opening sqlite database %s: the directory %s does not exist (berth creates the database file, not its directory)", path, dir)
		}
		s.d = sqliteDialect
		base := "file:" + path + "?" + sqliteParams(o)
		if s.write, err = sql.Open("sqlite", base+"&_txlock=immediate"); err != nil {
			return nil, fmt.Errorf("opening sqlite database %s: %w", path, err)
		}
		s.write.SetMaxOpenConns(1)
		s.stmts = newStmtCache(s.write, stmtCacheSize)
		if s.read, err = sql.Open("sqlite", base); err != nil {
			s.write.Close()
			return nil, fmt.Errorf("opening sqlite database %s: %w", path, err)
		}
		s.read.SetMaxOpenConns(o.readConns)
	}
	s.read.SetMaxIdleConns(o.maxIdleConns)
	s.expExists.query = s.d.rebind(`SELECT 1 FROM experiments WHERE experiment_id = ?`)
	if err := s.write.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("connecting to tracking database: %w", err)
	}
	if s.d.name == "sqlite" {
		if err := s.enableWAL(ctx, o.busyTimeout); err != nil {
			s.Close()
			return nil, err
		}
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// walCheckpointPages is the WAL size, in pages, at which a committing
// SQLite writer copies the WAL back into the database (SQLite's default:
// 1,000). Each such checkpoint writes the pages and syncs the database
// file; a write of OTLP spans with random trace ids dirties a page in
// each of a dozen indexes per span, so that at the default every few
// transactions paid a checkpoint. Ten times as many pages (40 MiB of WAL
// at 4 KiB pages) checkpoints a tenth as often, and a page written by many
// transactions in between is copied once.
const walCheckpointPages = 10000

func sqliteParams(o options) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", o.busyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous("+o.synchronous+")")
	q.Add("_pragma", "case_sensitive_like(1)")
	// A statement that writes several rows under constraints (every
	// multi-row INSERT) keeps a statement journal of the pages it changes;
	// on disk (SQLite's default) that is a write(2) per page, a ninth of
	// a one-span OTLP request's server time. In memory it is a copy.
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", walCheckpointPages))
	return q.Encode()
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// ErrUnsupportedURI is returned by Open for a URI whose scheme is neither
// sqlite nor postgresql.
var ErrUnsupportedURI = errors.New("unsupported tracking database URI")

// SQLitePath returns the file path that a sqlite:// URI or bare path names.
// It follows SQLAlchemy's (and so MLflow's) convention: sqlite:///rel.db
// names rel.db in the working directory and sqlite:////abs/path.db names
// /abs/path.db.
func SQLitePath(uri string) (string, error) {
	if rest, ok := strings.CutPrefix(uri, "sqlite://"); ok {
		rest, _, _ = strings.Cut(rest, "?")
		if !strings.HasPrefix(rest, "/") {
			return "", fmt.Errorf("%w %q: want sqlite:///path", ErrUnsupportedURI, uri)
		}
		rest = rest[1:] // sqlite:///rel.db -> rel.db; sqlite:////abs.db -> /abs.db
		if rest == "" {
			return "", fmt.Errorf("%w %q: no database path", ErrUnsupportedURI, uri)
		}
		return rest, nil
	}
	if i := strings.Index(uri, "://"); i > 0 {
		return "", fmt.Errorf("%w %q", ErrUnsupportedURI, uri)
	}
	if uri == "" {
		return "", fmt.Errorf("%w: empty", ErrUnsupportedURI)
	}
	return uri, nil
}

// enableWAL switches the database file to WAL mode (a persistent setting).
// Switching needs an exclusive lock that SQLite's busy handler does not wait
// for, so it is retried while another process holds the file.
func (s *Store) enableWAL(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for delay := 5 * time.Millisecond; ; delay = min(2*delay, 200*time.Millisecond) {
		var mode string
		err := s.write.QueryRowContext(ctx, `PRAGMA journal_mode=WAL`).Scan(&mode)
		if err == nil && strings.EqualFold(mode, "wal") {
			return nil
		}
		if err == nil {
			err = fmt.Errorf("journal mode is %q", mode)
		}
		if !isBusy(err) || time.Now().After(deadline) {
			return fmt.Errorf("enabling WAL mode: %w", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("enabling WAL mode: %w", ctx.Err())
		case <-time.After(delay):
		}
	}
}

// isBusy reports SQLITE_BUSY or SQLITE_LOCKED (and their extended codes).
func isBusy(err error) bool {
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		c := coded.Code() & 0xff
		return c == 5 || c == 6
	}
	return false
}

// Close closes the store's connections.
func (s *Store) Close() error {
	var errs []error
	if s.stmts != nil {
		s.stmts.close()
	}
	s.expExists.close()
	if s.write != nil {
		errs = append(errs, s.write.Close())
	}
	if s.read != nil && s.read != s.write {
		errs = append(errs, s.read.Close())
	}
	return errors.Join(errs...)
}

// Dialect returns "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.d.name }
