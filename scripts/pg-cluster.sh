#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests.
#
#   eval "$(scripts/pg-cluster.sh start)"   prints PG_CLUSTER_DIR=... and
#                                           DATABASE_URL=postgresql://todo:todo@127.0.0.1:PORT/todo
#   scripts/pg-cluster.sh stop [DIR]        stops it and deletes DIR (default $PG_CLUSTER_DIR)
#
# The cluster lives in a fresh `mktemp -d` directory owned by the postgres user
# (the repository may sit where that user cannot enter), listens on 127.0.0.1
# only, on a free port, with its unix socket in the same directory. Durability
# is off (fsync, full_page_writes): it is for tests and is deleted afterwards.
# Run as root (PostgreSQL refuses to run as root, so the server runs as
# `postgres` via runuser) or as the postgres user itself.
set -euo pipefail

PG_USER=${PG_USER:-postgres}
DB_NAME=todo
DB_ROLE=todo
DB_PASS=todo

die()
{
    echo "pg-cluster: $*" >&2
    exit 1
}

find_bindir()
{
    if [ -n "${PG_BINDIR:-}" ]; then
        echo "$PG_BINDIR"
        return
    fi
    local d best
    # The newest version, compared as numbers (the glob sorts 15 before 9).
    best=$(for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && echo "$d"; done |
        sort -t/ -k5,5n | tail -n1)
    [ -n "$best" ] || die "no PostgreSQL server found (/usr/lib/postgresql/*/bin/initdb); run scripts/install-deps.sh test"
    echo "$best"
}

# Runs a command as the postgres user, from a directory that user can enter.
as_pg()
{
    if [ "$(id -un)" = "$PG_USER" ]; then
        (cd "$DIR" && "$@")
    else
        (cd "$DIR" && runuser -u "$PG_USER" -- "$@")
    fi
}

port_in_use()
{
    # Something accepts connections on 127.0.0.1:$1?
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

cmd_start()
{
    local bindir port tries log
    bindir=$(find_bindir)
    id -u "$PG_USER" >/dev/null 2>&1 || die "no '$PG_USER' user (is the postgresql package installed?)"

    DIR=$(mktemp -d "${TMPDIR:-/tmp}/todo-pg.XXXXXX")
    # From here on, any failure removes what was made.
    trap 'cmd_stop_dir "$DIR" >/dev/null 2>&1 || true' EXIT
    chmod 700 "$DIR"
    [ "$(id -un)" = "$PG_USER" ] || chown "$PG_USER:" "$DIR"
    log=$DIR/server.log

    as_pg "$bindir/initdb" -D "$DIR/data" -U postgres --auth-local=peer \
        --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 ||
        {
            cat "$DIR/initdb.log" >&2
            die "initdb failed"
        }

    tries=0
    while :; do
        tries=$((tries + 1))
        [ $tries -le 20 ] || die "could not find a free port to start PostgreSQL on (see above)"
        port=$((20000 + RANDOM % 40000))
        port_in_use "$port" && continue
        if as_pg "$bindir/pg_ctl" -D "$DIR/data" -l "$log" -w -t 60 -s \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $DIR -c fsync=off \
                -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start >/dev/null 2>&1; then
            break
        fi
        # Lost a race for the port (or worse): show why, then try another.
        tail -n 5 "$log" >&2 || true
        as_pg "$bindir/pg_ctl" -D "$DIR/data" -m immediate -s stop >/dev/null 2>&1 || true
    done
    echo "$port" >"$DIR/port"
    echo "$bindir" >"$DIR/bindir"

    as_pg "$bindir/psql" -h "$DIR" -p "$port" -U postgres -d postgres -X -q \
        -v ON_ERROR_STOP=1 >/dev/null <<SQL || die "could not create the $DB_ROLE role and database"
CREATE ROLE $DB_ROLE LOGIN CREATEDB PASSWORD '$DB_PASS';
CREATE DATABASE $DB_NAME OWNER $DB_ROLE;
SQL

    trap - EXIT
    echo "PG_CLUSTER_DIR=$DIR"
    echo "DATABASE_URL=postgresql://$DB_ROLE:$DB_PASS@127.0.0.1:$port/$DB_NAME"
}

cmd_stop_dir()
{
    DIR=$1
    [ -n "$DIR" ] || die "stop: no cluster directory given (and PG_CLUSTER_DIR is unset)"
    case $DIR in
    */todo-pg.*) ;;
    *) die "stop: '$DIR' is not a directory made by this script" ;;
    esac
    [ -d "$DIR" ] || return 0
    local bindir
    if [ -f "$DIR/data/postmaster.pid" ]; then
        bindir=$(cat "$DIR/bindir" 2>/dev/null || find_bindir)
        as_pg "$bindir/pg_ctl" -D "$DIR/data" -m fast -w -t 30 -s stop ||
            as_pg "$bindir/pg_ctl" -D "$DIR/data" -m immediate -w -t 30 -s stop || true
    fi
    rm -rf "$DIR"
}

case ${1:-} in
start) cmd_start ;;
stop) cmd_stop_dir "${2:-${PG_CLUSTER_DIR:-}}" ;;
*)
    echo "usage: $0 start | stop [DIR]" >&2
    exit 2
    ;;
esac
