# shellcheck shell=bash
# npm.sh -- the npm packages of the web UI (webui/) and of the browser tests
# (tests/browser/), installed from their package-lock.json.  Needs common.sh.

# npm_ensure DIR: `npm ci` in DIR when DIR/node_modules is missing or
# DIR/package-lock.json changed since the last install (a stamp file in
# node_modules/ remembers the lock file's hash).  Fails when npm does.
npm_ensure() {
    local dir="$1" want have t0
    [[ -f "$dir/package-lock.json" ]] || return 0
    want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
    have="$(cat "$dir/node_modules/.relief-lock-sha256" 2>/dev/null || true)"
    [[ "$want" == "$have" ]] && return 0
    command -v npm >/dev/null 2>&1 || {
        warn "npm not found: cannot install the packages of $dir"
        return 1
    }
    t0=$(now_ms)
    info "npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2) || return 1
    echo "$want" >"$dir/node_modules/.relief-lock-sha256"
    info "npm: $dir/node_modules ready ($(since "$t0"))"
}
