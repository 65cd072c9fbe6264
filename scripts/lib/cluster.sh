# shellcheck shell=bash
# cluster.sh -- what scripts/cluster (Galera) and scripts/replica
# (primary/replica, semi-synchronous) share: three numbered nodes, each a
# private mariadbd in $CDIR/nodeN, and two reliefd instances in front.
#
# The caller sets CDIR, SQL_BASE, HTTP_BASE before sourcing (their own
# defaults, so the two layouts do not collide), defines db_nodes N (the
# RELIEF_DB_NODES list of reliefd N), and sources common.sh and mariadb.sh
# first.

BUILD="${CLUSTER_BUILD_DIR:-$RELIEF_ROOT/build}"
RELIEFD="$BUILD/backend/reliefd"
RELIEFCTL="$BUILD/backend/reliefctl"
# shellcheck disable=SC2034 # used by the scripts that source this file
NODES=3
DBNAME=reliefstock

node_dir() { echo "$CDIR/node$1"; }
sql_port() { echo $((SQL_BASE + $1 - 1)); }
http_port() { echo $((HTTP_BASE + $1 - 1)); }
node_sql() { # node_sql N SQL: one query as root over the node's socket
    mdb_client "$(node_dir "$1")" --connect-timeout=2 -N -B -e "$2"
}
node_running() { mdb_pid "$(node_dir "$1")" >/dev/null 2>&1; }

# A settings file per reliefd: its node list; the app account; reliefctl
# may use it too (it connects to the first node that answers).
write_conf() {
    local n="$1"
    write_settings "$CDIR/reliefd$n.conf" \
        "RELIEF_DB_NODES=$(db_nodes "$n")" \
        "RELIEF_DB_NAME=$DBNAME" \
        "RELIEF_DB_USER=reliefd" \
        "RELIEF_DB_PASSWORD=$(cat "$CDIR/app-password")" \
        "RELIEF_DB_ADMIN_USER=root" \
        "RELIEF_DB_ADMIN_PASSWORD=" \
        "RELIEF_HTTP_PORT=$(http_port "$n")"
}

reliefd_pid() {
    local f="$CDIR/reliefd$1.pid" pid
    [[ -s "$f" ]] || return 1
    pid="$(cat "$f")"
    if kill -0 "$pid" 2>/dev/null && [[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" == *reliefd* ]]; then
        echo "$pid"
        return 0
    fi
    rm -f "$f"
    return 1
}

reliefd_start() {
    local n="$1" pid
    if pid=$(reliefd_pid "$n"); then
        info "reliefd $n: already running (pid $pid)"
        return 0
    fi
    port_in_use "$(http_port "$n")" && die "port $(http_port "$n") is in use; set CLUSTER_HTTP_PORT"
    write_conf "$n"
    RELIEF_CONFIG="$CDIR/reliefd$n.conf" setsid "$RELIEFD" </dev/null >>"$CDIR/reliefd$n.log" 2>&1 &
    echo $! >"$CDIR/reliefd$n.pid"
    for _ in $(seq 100); do
        if curl -sf "http://127.0.0.1:$(http_port "$n")/healthz" >/dev/null 2>&1; then
            info "reliefd $n: http://127.0.0.1:$(http_port "$n") (nodes $(db_nodes "$n"))"
            return 0
        fi
        sleep 0.1
    done
    tail -n 20 "$CDIR/reliefd$n.log" >&2
    die "reliefd $n did not start (log: $CDIR/reliefd$n.log)"
}

reliefd_stop() {
    local pid
    if pid=$(reliefd_pid "$1"); then
        kill -TERM "$pid"
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        rm -f "$CDIR/reliefd$1.pid"
        info "reliefd $1: stopped"
    fi
}

reliefd_status() {
    local i pid
    for i in 1 2; do
        if pid=$(reliefd_pid "$i"); then
            printf 'reliefd %d  http://127.0.0.1:%d  pid %s, %s (nodes %s)\n' "$i" "$(http_port "$i")" \
                "$pid" "$(curl -s -o /dev/null -w 'healthz %{http_code}' "http://127.0.0.1:$(http_port "$i")/healthz")" \
                "$(db_nodes "$i")"
        else
            printf 'reliefd %d  down\n' "$i"
        fi
    done
}

# load_database N: migrations, seed and the small demo city, as root over
# node N's socket (N is the node that takes writes; the others get it by
# replication).
load_database() {
    local n="$1" t0 sock
    t0=$(now_ms)
    sock="$(mdb_socket "$(node_dir "$n")")"
    write_conf 1
    RELIEF_CONFIG="$CDIR/reliefd1.conf" RELIEF_DB_NODES="" RELIEF_DB_SOCKET="$sock" \
        "$RELIEFCTL" migrate >&2
    RELIEF_CONFIG="$CDIR/reliefd1.conf" RELIEF_DB_NODES="" RELIEF_DB_SOCKET="$sock" \
        "$RELIEFCTL" seed >"$CDIR/seed.log" 2>&1 ||
        { tail -n 20 "$CDIR/seed.log" >&2; die "reliefctl seed failed on node $n"; }
    RELIEF_CONFIG="$CDIR/reliefd1.conf" RELIEF_DB_NODES="" RELIEF_DB_SOCKET="$sock" \
        "$RELIEFCTL" demo-data --scale small >"$CDIR/demo.log" 2>&1 ||
        { tail -n 20 "$CDIR/demo.log" >&2; die "reliefctl demo-data failed on node $n"; }
    info "database $DBNAME: migrations, seed and small demo city on node $n ($(since "$t0"))"
}

# kill_nodes N [M...]: kill -9 each, CLUSTER_KILL_GAP seconds (0.3) apart
# -- Jepsen's "crash in quick succession".  Signal all first, then wait: a
# killed mariadbd may take a second or two to be gone (unmapping its
# memory, being reaped).  Prints the moment of each kill (the tests read it).
kill_nodes() {
    local n pid pids=()
    (($# >= 1)) || die "kill takes node numbers 1-3"
    for n in "$@"; do [[ "$n" =~ ^[1-3]$ ]] || die "kill takes node numbers 1-3"; done
    for n in "$@"; do
        pid=$(mdb_pid "$(node_dir "$n")" 2>/dev/null) || { info "node $n: not running"; continue; }
        [[ ${#pids[@]} -eq 0 ]] || sleep "${CLUSTER_KILL_GAP:-0.3}"
        kill -KILL "$pid"
        info "node $n: killed (pid $pid, SIGKILL) at $(date -u +%H:%M:%S.%N | cut -c1-12)"
        pids+=("$pid")
    done
    for pid in "${pids[@]}"; do
        while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    done
    for n in "$@"; do rm -f "$(node_dir "$n")/mariadbd.pid"; done
}

# The verbs both scripts have in the same form.
cluster_sql() {
    [[ "${1:-}" =~ ^[1-3]$ && -n "${2:-}" ]] || die "sql takes a node number 1-3 and a query"
    mdb_client "$(node_dir "$1")" --connect-timeout=2 -N -B "$DBNAME" -e "$2"
}
cluster_verify() {
    [[ "${1:-}" =~ ^[1-3]$ ]] || die "verify takes a node number 1-3"
    RELIEF_CONFIG="$CDIR/reliefd1.conf" RELIEF_DB_NODES="" \
        RELIEF_DB_SOCKET="$(mdb_socket "$(node_dir "$1")")" "$RELIEFCTL" verify-ledger
}
