#!/usr/bin/env bash
# start-postgres.sh starts (or reuses) a throwaway PostgreSQL cluster for berth's
# store tests and prints a connection URI to a fresh, empty database.
#
#   export BERTH_TEST_POSTGRES_URI=$(scripts/start-postgres.sh)
#
# Environment: PG_ROOT (default /tmp/berth-pg), PG_PORT (default 55432).
# Idempotent: a running cluster is reused; each call creates a new database.
set -euo pipefail

PG_ROOT=${PG_ROOT:-/tmp/berth-pg}
PG_PORT=${PG_PORT:-55432}
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
if [[ -z "${PG_BIN}" || ! -x "${PG_BIN}/initdb" ]]; then
	echo "start-postgres: PostgreSQL server binaries not found (apt-get install -y postgresql)" >&2
	exit 1
fi

as_pg() {
	if [[ $(id -u) -eq 0 ]]; then
		su postgres -s /bin/bash -c "$*"
	else
		bash -c "$*"
	fi
}

mkdir -p "${PG_ROOT}"
if [[ $(id -u) -eq 0 ]]; then chown postgres "${PG_ROOT}"; fi

if [[ ! -f "${PG_ROOT}/data/PG_VERSION" ]]; then
	as_pg "'${PG_BIN}/initdb' -D '${PG_ROOT}/data' -A trust -U postgres" >/dev/null
fi

if ! as_pg "'${PG_BIN}/pg_ctl' -D '${PG_ROOT}/data' status" >/dev/null 2>&1; then
	as_pg "'${PG_BIN}/pg_ctl' -D '${PG_ROOT}/data' -w -l '${PG_ROOT}/log' \
		-o \"-k ${PG_ROOT} -p ${PG_PORT} -c listen_addresses=127.0.0.1 -c fsync=off\" start" >/dev/null
fi

db="berth_test_$(date +%s)_$$"
as_pg "psql -h 127.0.0.1 -p ${PG_PORT} -U postgres -d postgres -qAt -c 'CREATE DATABASE ${db}'" >/dev/null
echo "postgresql://postgres@127.0.0.1:${PG_PORT}/${db}"
