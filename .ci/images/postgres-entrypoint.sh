#!/bin/bash
# Stand-in for the official postgres image's entrypoint (CI only; see build.sh). Honours the same
# contract: POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB, /docker-entrypoint-initdb.d/*.sql and
# *.sh run once on an empty data folder, then postgres runs in the foreground and stops on SIGTERM.
set -euo pipefail

PGDATA=${PGDATA:-/var/lib/postgresql/data}
POSTGRES_USER=${POSTGRES_USER:-postgres}
POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
# Any other command runs as given, without a server or its settings (the official image does
# the same): a one-off client such as `sh -c 'psql ...'` needs no POSTGRES_PASSWORD.
if [ "${1:-postgres}" != "postgres" ]; then exec "$@"; fi

: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}"
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }

mkdir -p "$PGDATA" /var/run/postgresql
chown -R postgres:postgres "$PGDATA" /var/run/postgresql
chmod 700 "$PGDATA"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    pwfile=$(mktemp) && printf '%s' "$POSTGRES_PASSWORD" > "$pwfile" && chown postgres "$pwfile"
    as_postgres initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" \
        --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    # A private socket and no TCP: clients see the server only once initialization is over.
    initsock=$(mktemp -d) && chown postgres "$initsock"
    as_postgres pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -k $initsock" start >/dev/null
    psql=(psql -v ON_ERROR_STOP=1 -h "$initsock" -U "$POSTGRES_USER" --no-psqlrc)
    if [ "$POSTGRES_DB" != "postgres" ]; then
        "${psql[@]}" -d postgres -c "CREATE DATABASE \"$POSTGRES_DB\""
    fi
    for f in /docker-entrypoint-initdb.d/*; do
        case "$f" in
            *.sql) echo "running $f"; "${psql[@]}" -d "$POSTGRES_DB" -f "$f" ;;
            *.sh) echo "running $f"; . "$f" ;;
            *) [ -e "$f" ] && echo "ignoring $f" ;;
        esac
    done
    as_postgres pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
    rm -rf "$initsock"
    echo "PostgreSQL init process complete; ready for start up."
fi

exec setpriv --reuid=postgres --regid=postgres --init-groups \
    postgres -D "$PGDATA" -c listen_addresses='*' "${@:2}"
