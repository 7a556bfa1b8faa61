package sqlstore

import (
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/berthml/berth/tracking"
)

// dialect holds the few differences between SQLite and PostgreSQL.
type dialect struct {
	name       string // "sqlite" or "postgres"
	idColumn   string // an auto-incrementing integer primary key
	numbered   bool   // $1, $2 ... instead of ?
	forUpdate  string // row-lock suffix for SELECT; SQLite's writers are serialised anyway
	uniqueCode func(error) bool
}

var (
	sqliteDialect = dialect{
		name:       "sqlite",
		idColumn:   "INTEGER PRIMARY KEY AUTOINCREMENT",
		uniqueCode: sqliteUniqueViolation,
	}
	postgresDialect = dialect{
		name:       "postgres",
		idColumn:   "BIGSERIAL PRIMARY KEY",
		numbered:   true,
		forUpdate:  " FOR UPDATE",
		uniqueCode: postgresUniqueViolation,
	}
)

// rebind rewrites ? placeholders as $1, $2 ... for PostgreSQL. Queries in
// this package never contain a literal question mark.
func (d dialect) rebind(query string) string {
	if !d.numbered || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// ddl expands the schema template: {{ID}} is the auto-incrementing key.
func (d dialect) ddl(tmpl string) string {
	return strings.ReplaceAll(tmpl, "{{ID}}", d.idColumn)
}

// isUniqueViolation reports whether err is a UNIQUE or PRIMARY KEY conflict.
func (d dialect) isUniqueViolation(err error) bool { return err != nil && d.uniqueCode(err) }

func sqliteUniqueViolation(err error) bool {
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		// SQLITE_CONSTRAINT_UNIQUE (2067), SQLITE_CONSTRAINT_PRIMARYKEY (1555).
		return coded.Code() == 2067 || coded.Code() == 1555
	}
	return false
}

func postgresUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

// clientError turns a database's refusal of a value the client sent (text
// too long for its column, a character the encoding cannot hold, a query
// too complex to plan) into INVALID_PARAMETER_VALUE, so that it answers
// 4xx rather than 500. Validation in package tracking catches these first;
// this is the net below it. Other errors are returned unchanged.
func clientError(err error) error {
	if err == nil {
		return nil
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "22001": // string_data_right_truncation
			return tracking.InvalidParameter("A value in the request is longer than the database allows.")
		case "22021", "22P05": // character_not_in_repertoire, untranslatable_character
			return tracking.InvalidParameter("A value in the request contains a character the database cannot store (such as NUL).")
		case "54000", "54001": // program_limit_exceeded, statement_too_complex
			return tracking.InvalidParameter("The request is too complex for the database; simplify its filter.")
		}
		return err
	}
	var coded interface{ Code() int }
	if errors.As(err, &coded) && coded.Code()&0xff == 1 { // SQLITE_ERROR
		msg := err.Error()
		for _, m := range []string{"Expression tree is too large", "too many SQL variables", "parser stack overflow"} {
			if strings.Contains(msg, m) {
				return tracking.InvalidParameter("The request is too complex for the database; simplify its filter.")
			}
		}
	}
	if coded != nil && coded.Code()&0xff == 18 { // SQLITE_TOOBIG
		return tracking.InvalidParameter("A value in the request is longer than the database allows.")
	}
	return err
}
