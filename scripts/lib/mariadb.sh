# shellcheck shell=bash
# mariadb.sh -- a private MariaDB server that lives in one folder.
#
# DIR holds everything: the data files, the unix socket mysql.sock, the pid
# file mariadbd.pid and the server's error.log.  The server listens on that
# socket and on 127.0.0.1:PORT only, reads no /etc/mysql option files
# (--no-defaults), and is no system service: the machine's own MariaDB, if it
# has one, is neither used nor touched.  root@localhost has an empty password
# (--auth-root-authentication-method=normal): it is a private server on
# loopback.  Needs common.sh.

MDB_START_TIMEOUT="${MDB_START_TIMEOUT:-60}" # seconds until the server must accept a login
MDB_STOP_TIMEOUT="${MDB_STOP_TIMEOUT:-60}"   # seconds for a clean shutdown before SIGKILL

# mdb_socket DIR: the socket path.  A unix socket path is limited to 107 bytes,
# so a deep project folder gets a socket under /tmp named after DIR instead.
mdb_socket() {
    local dir="$1" sock="$1/mysql.sock"
    if ((${#sock} > 100)); then
        sock="/tmp/reliefstock-$(printf '%s' "$dir" | cksum | cut -d' ' -f1).sock"
    fi
    echo "$sock"
}

# mdb_client DIR [ARGS...]: the mariadb client, as root over the socket.
mdb_client() {
    local dir="$1"
    shift
    mariadb --no-defaults -uroot --socket="$(mdb_socket "$dir")" "$@"
}

# mdb_pid DIR: print the pid of the server running on DIR and succeed, or fail
# when none runs.  A pid file whose process is gone, or is not a mariadbd on
# this DIR (the pid was reused), is stale and is removed.
mdb_pid() {
    local dir="$1" pidfile="$1/mariadbd.pid" pid cmd
    [[ -s "$pidfile" ]] || return 1
    pid="$(tr -dc 0-9 <"$pidfile")"
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && [[ -r "/proc/$pid/cmdline" ]]; then
        cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline")"
        if [[ "$cmd" == *mariadbd* && "$cmd" == *"--datadir=$dir "* ]]; then
            echo "$pid"
            return 0
        fi
    fi
    warn "removing stale pid file $pidfile (pid ${pid:-?} is not a running mariadbd on $dir)"
    rm -f "$pidfile"
    return 1
}

# mdb_initialized DIR: true when DIR holds an initialised data directory.
mdb_initialized() { [[ -d "$1/mysql" ]]; }

# mdb_init DIR: create the system tables in a new data directory.
# --force skips its host-name check: without it mariadb-install-db refuses to
# run where the host name does not resolve (no /etc/hosts, as in a bare
# chroot).  The server runs with --skip-name-resolve anyway.
mdb_init() {
    local dir="$1" t0 user=()
    t0=$(now_ms)
    mdb_initialized "$dir" && return 0
    mkdir -p "$dir"
    [[ $EUID -eq 0 ]] && user=(--user=root)
    if ! mariadb-install-db --no-defaults --datadir="$dir" "${user[@]}" \
        --auth-root-authentication-method=normal --skip-test-db --force \
        >"$dir/install.log" 2>&1; then
        tail -n 20 "$dir/install.log" >&2
        rm -rf "${dir:?}/mysql"
        die "mariadb-install-db failed for $dir (whole output in $dir/install.log)"
    fi
    info "database: initialised $dir ($(since "$t0"))"
}

# mdb_start DIR PORT: start the server in the background (its own session, so a
# Ctrl-C in the terminal does not reach it: the scripts stop it cleanly) and
# wait until it accepts a real login.  Does nothing when it already runs.
mdb_start() {
    local dir="$1" port="$2" t0 pid sock user=()
    t0=$(now_ms)
    if pid=$(mdb_pid "$dir"); then
        info "database: already running (pid $pid) on $dir"
        mdb_wait "$dir" "$t0"
        return 0
    fi
    mdb_initialized "$dir" || die "$dir is not an initialised data directory"
    if port_in_use "$port"; then
        die "port $port on 127.0.0.1 is in use by another program; choose another with RELIEF_DB_PORT=NNNN"
    fi
    sock="$(mdb_socket "$dir")"
    [[ $EUID -eq 0 ]] && user=(--user=root)
    # Its temporary files (big GROUP BYs, ALTERs) in a folder of its own
    # beside DIR (inside it would be a database): a cleaner of the shared
    # /tmp must not pull them from under a running query.
    mkdir -p "${dir%/}.tmp"
    setsid mariadbd --no-defaults "${user[@]}" --datadir="$dir" --socket="$sock" \
        --port="$port" --bind-address=127.0.0.1 --skip-name-resolve --tmpdir="${dir%/}.tmp" \
        --pid-file="$dir/mariadbd.pid" --log-error="$dir/error.log" \
        --innodb-buffer-pool-size=256M --max-connections=300 \
        --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
        </dev/null >>"$dir/error.log" 2>&1 &
    MDB_LAUNCHED_PID=$!
    mdb_wait "$dir" "$t0"
    info "database: started on $sock and 127.0.0.1:$port (pid $(mdb_pid "$dir"), $(since "$t0"))"
}

# mdb_wait DIR [T0_MS]: wait until root can log in and run a query.  Not
# `mariadb-admin ping`: that succeeds even when the login is refused.
mdb_wait() {
    local dir="$1" t0="${2:-$(now_ms)}" deadline
    deadline=$(($(now_ms) + MDB_START_TIMEOUT * 1000))
    while ! mdb_client "$dir" --connect-timeout=2 -e 'SELECT 1' >/dev/null 2>&1; do
        if [[ -n "${MDB_LAUNCHED_PID:-}" ]] && ! kill -0 "$MDB_LAUNCHED_PID" 2>/dev/null &&
            ! mdb_pid "$dir" >/dev/null 2>&1; then
            tail -n 25 "$dir/error.log" >&2
            die "the database server on $dir exited during start-up (log above, whole log in $dir/error.log)"
        fi
        if (($(now_ms) > deadline)); then
            tail -n 25 "$dir/error.log" >&2
            die "the database server on $dir accepts no login after $(since "$t0") (log in $dir/error.log)"
        fi
        sleep 0.1
    done
}

# mdb_stop DIR: clean shutdown (mariadb-admin shutdown), waiting for the
# process to exit; SIGTERM, then SIGKILL, when it does not go in time.
mdb_stop() {
    local dir="$1" pid t0 deadline
    t0=$(now_ms)
    pid=$(mdb_pid "$dir" 2>/dev/null) || return 0
    mariadb-admin --no-defaults -uroot --socket="$(mdb_socket "$dir")" \
        --shutdown-timeout="$MDB_STOP_TIMEOUT" shutdown >/dev/null 2>&1 ||
        kill -TERM "$pid" 2>/dev/null || true
    deadline=$(($(now_ms) + MDB_STOP_TIMEOUT * 1000))
    while kill -0 "$pid" 2>/dev/null; do
        if (($(now_ms) > deadline)); then
            warn "database: pid $pid still running after ${MDB_STOP_TIMEOUT}s; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 0.5
            break
        fi
        sleep 0.1
    done
    rm -f "$dir/mariadbd.pid"
    info "database: stopped (pid $pid, $(since "$t0"))"
}
