// Package sqlstore implements tracking.Store on database/sql, with one schema
// for SQLite (modernc.org/sqlite, pure Go) and PostgreSQL (pgx's stdlib
// driver).
//
// Open migrates the database to the current schema (versioned migrations
// embedded in the binary, recorded in schema_migrations) and creates the
// default experiment "0" on first open.
//
// SQLite is opened in WAL mode with a busy timeout and foreign keys on. All
// writes go through a single connection whose transactions begin with
// BEGIN IMMEDIATE, so concurrent writers queue instead of failing with
// "database is locked"; reads use a separate pool. Every write is committed
// before the method returns, so an acknowledged write survives the process
// being killed.
//
// Queries are written with ? placeholders and rebound to $N for PostgreSQL;
// values are always passed as parameters, never spliced into SQL.
package sqlstore
