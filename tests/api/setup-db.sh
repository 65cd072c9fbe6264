#!/usr/bin/env bash
# setup-db.sh RELIEFCTL -- the integration tests' fixture (ctest integration/db_setup).
#
# Rebuilds the test database named by $RELIEF_CONFIG from scratch: drop it,
# apply the migrations, load the seed and a small demo city.  scripts/test
# starts the server and sets RELIEF_CONFIG; without it there is no test
# database, and the test is skipped (exit 77).
set -euo pipefail

ctl="${1:?usage: setup-db.sh /path/to/reliefctl}"
if [[ -z "${RELIEF_CONFIG:-}" ]]; then
    echo "setup-db: RELIEF_CONFIG is not set, so there is no test database; skipped (scripts/test sets one up)" >&2
    exit 77
fi
[[ -r "$RELIEF_CONFIG" ]] || { echo "setup-db: cannot read RELIEF_CONFIG=$RELIEF_CONFIG" >&2; exit 1; }
[[ -x "$ctl" ]] || { echo "setup-db: $ctl is not an executable" >&2; exit 1; }

now_ms() { date +%s%3N; }
step() {
    local t0 ms
    t0=$(now_ms)
    "$ctl" "$@"
    ms=$(($(now_ms) - t0))
    printf 'setup-db: reliefctl %s: %d.%03d s\n' "$*" $((ms / 1000)) $((ms % 1000))
}

t_all=$(now_ms)
echo "setup-db: RELIEF_CONFIG=$RELIEF_CONFIG"
step db-drop --yes
step migrate
step seed
step demo-data --scale small
ms=$(($(now_ms) - t_all))
printf 'setup-db: test database ready in %d.%03d s\n' $((ms / 1000)) $((ms % 1000))
