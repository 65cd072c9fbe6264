# shellcheck shell=bash
# common.sh -- helpers shared by scripts/demo and scripts/test.
#
# Source it after `set -euo pipefail`.  It sets RELIEF_ROOT (the project root,
# found from this file's own location) and cds there, so the scripts work when
# started from any directory.  Messages go to stderr; stdout is left for
# results.

RELIEF_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
export RELIEF_ROOT
cd "$RELIEF_ROOT" || exit 1

# The name shown in front of messages: the calling script's.
RELIEF_PROG="${RELIEF_PROG:-$(basename "$0")}"

if [[ -t 2 && -z "${NO_COLOR:-}" ]]; then
    _c_bold=$'\e[1m' _c_red=$'\e[31m' _c_yel=$'\e[33m' _c_off=$'\e[0m'
else
    _c_bold='' _c_red='' _c_yel='' _c_off=''
fi

info() { printf '%s%s:%s %s\n' "$_c_bold" "$RELIEF_PROG" "$_c_off" "$*" >&2; }
warn() { printf '%s%s: warning:%s %s\n' "$_c_yel" "$RELIEF_PROG" "$_c_off" "$*" >&2; }
die() {
    printf '%s%s: error:%s %s\n' "$_c_red" "$RELIEF_PROG" "$_c_off" "$*" >&2
    exit 1
}

# now_ms: wall clock in milliseconds (for timings).
now_ms() { date +%s%3N; }

# fmt_ms MS: "1.234 s"
fmt_ms() { printf '%d.%03d s' "$(($1 / 1000))" "$(($1 % 1000))"; }

# since MS_START: elapsed time since MS_START, formatted.
since() { fmt_ms "$(($(now_ms) - $1))"; }

# random_hex N: N*2 hex characters from /dev/urandom.
random_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

# is_port VALUE: true when VALUE is a TCP port number (1-65535).
is_port() { [[ "$1" =~ ^[0-9]{1,5}$ ]] && (($1 > 0 && $1 < 65536)); }

# port_in_use PORT: true when something accepts TCP connections on 127.0.0.1:PORT.
port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on, from the
# ephemeral-looking range 20000-29999 (the kernel hands out 32768+ itself).
free_port() {
    local p i
    for ((i = 0; i < 200; i++)); do
        p=$((20000 + RANDOM % 10000))
        if ! port_in_use "$p"; then
            echo "$p"
            return 0
        fi
    done
    die "no free TCP port found on 127.0.0.1"
}

# write_settings FILE KEY=VALUE...: the settings file reliefd and reliefctl
# read (see backend/src/core/config.c and docs/operations.md).  Written to a
# temporary file and renamed, mode 600 (it holds a password).
write_settings() {
    local file="$1" tmp
    shift
    tmp="$(mktemp "$file.XXXXXX")"
    {
        echo "# Written by $RELIEF_PROG on $(date -u +%Y-%m-%dT%H:%M:%SZ); rewritten on every run."
        echo "# Every key is described in docs/operations.md."
        printf '%s\n' "$@"
    } >"$tmp"
    chmod 600 "$tmp"
    mv -f "$tmp" "$file"
}

# as_root CMD...: run CMD as root (directly, or through sudo when available).
as_root() {
    if [[ $EUID -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root to run: $* (run this script as root, or install sudo)"
    fi
}
