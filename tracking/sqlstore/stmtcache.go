package sqlstore

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCacheSize is the most statements a stmtCache keeps prepared. Multi-row
// statements differ by their row count, so a group commit of one to a few
// dozen requests uses a few dozen texts of each statement; the bound keeps a
// workload of ever-new texts from holding memory without end.
const stmtCacheSize = 256

// stmtCache keeps statements prepared on the SQLite write connection, by
// their text, so that a transaction runs them without SQLite parsing and
// planning them again (a quarter of a one-span OTLP request's SQLite time
// went to that). A transaction uses a kept statement through
// Tx.StmtContext, which reuses the preparation made on the connection the
// transaction holds.
//
// The write pool has one connection, which a transaction holds until it
// ends, so a statement cannot be prepared on the pool during one: a text
// first seen in a transaction runs unprepared there and is prepared once
// that transaction has ended (prepareWanted). When full, the oldest
// statement is closed; a transaction still running it keeps its own copy
// (database/sql closes the driver statement after it).
//
// PostgreSQL needs none: pgx keeps its own statement cache per connection.
type stmtCache struct {
	db *sql.DB

	mu     sync.Mutex
	stmts  map[string]*sql.Stmt
	order  []string // kept texts, oldest first
	wanted map[string]bool
	max    int
}

func newStmtCache(db *sql.DB, max int) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}, wanted: map[string]bool{}, max: max}
}

// forTx returns query's kept statement for tx, or nil (and notes the text,
// to be prepared after the transaction) when none is kept.
func (c *stmtCache) forTx(ctx context.Context, tx *sql.Tx, query string) *sql.Stmt {
	c.mu.Lock()
	st, ok := c.stmts[query]
	if !ok && len(c.wanted) < c.max {
		c.wanted[query] = true
	}
	c.mu.Unlock()
	if !ok {
		return nil
	}
	return tx.StmtContext(ctx, st)
}

// prepareWanted prepares the texts noted since the last call, outside any
// transaction. A text that fails to prepare is dropped: its transaction
// has already returned the same error unprepared.
func (c *stmtCache) prepareWanted(ctx context.Context) {
	c.mu.Lock()
	if len(c.wanted) == 0 {
		c.mu.Unlock()
		return
	}
	wanted := c.wanted
	c.wanted = map[string]bool{}
	c.mu.Unlock()
	for query := range wanted {
		st, err := c.db.PrepareContext(ctx, query)
		if err != nil {
			continue
		}
		c.keep(query, st)
	}
}

// keep adds a prepared statement, closing the oldest when full.
func (c *stmtCache) keep(query string, st *sql.Stmt) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.stmts[query]; ok { // prepared meanwhile by another caller
		_ = st.Close()
		return
	}
	if len(c.order) >= c.max {
		oldest := c.order[0]
		c.order = c.order[1:]
		_ = c.stmts[oldest].Close()
		delete(c.stmts, oldest)
	}
	c.stmts[query] = st
	c.order = append(c.order, query)
}

// len is the number of statements kept.
func (c *stmtCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.stmts)
}

// close closes every kept statement.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.stmts {
		_ = st.Close()
	}
	c.stmts, c.order, c.wanted = map[string]*sql.Stmt{}, nil, map[string]bool{}
}

// keptRead is one fixed query kept prepared on the read pool, for a call
// that every request of a hot path makes. It is prepared on first use and
// closed with the store; database/sql prepares it on each pooled
// connection as it first runs there.
type keptRead struct {
	query string

	mu sync.Mutex
	st *sql.Stmt
}

// stmt returns the prepared statement, preparing it on db first if needed.
func (k *keptRead) stmt(ctx context.Context, db *sql.DB) (*sql.Stmt, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.st == nil {
		st, err := db.PrepareContext(ctx, k.query)
		if err != nil {
			return nil, err
		}
		k.st = st
	}
	return k.st, nil
}

func (k *keptRead) close() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.st != nil {
		_ = k.st.Close()
		k.st = nil
	}
}
