package sqlstore

import (
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
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
