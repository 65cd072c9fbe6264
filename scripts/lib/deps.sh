# shellcheck shell=bash
# deps.sh -- the Debian packages ReliefStock needs, in ONE place.
#
# Add a package here when the project starts to need it; scripts/demo and
# scripts/test (and so CI) install whatever is missing.  Needs common.sh.

# Build tools, libraries (with headers) and the programs the scripts and tests run.
RELIEF_DEB_PACKAGES=(
    build-essential cmake pkg-config curl
    # the database: a private server started from the project folder, and its clients
    # (mariadb-server-core, not mariadb-server: the full package would start the
    # system service on machines that allow it, and we never use that one)
    mariadb-server-core mariadb-client libmariadb-dev
    # libraries the C code links
    libmicrohttpd-dev libjansson-dev libqrencode-dev uuid-dev libargon2-dev libssl-dev libcsv-dev
    # exports: XLSX (libxlsxwriter); the API tests read XLSX back with unzip
    libxlsxwriter-dev unzip
    # labels: PDF and PNG with Chinese text (cairo + pango + Noto CJK)
    libcairo2-dev libpango1.0-dev fonts-noto-cjk
    # TLS certificates for the depot network (scripts/make-cert)
    openssl
    # unit tests; label tests decode QR codes with zbarimg from PDFs rasterised by pdftoppm,
    # and compare with the qrencode command
    libcmocka-dev zbar-tools poppler-utils qrencode
    # browser tests (playwright-core drives Debian's chromium)
    chromium
    # fuzz tests (tests/fuzz, tree build-fuzz/): clang with libFuzzer; the fuzzer and
    # sanitizer runtimes are in libclang-rt-14-dev, which clang only recommends
    clang libclang-rt-14-dev
)

# deps_missing: print the packages of RELIEF_DEB_PACKAGES (plus nodejs when no
# `node` is on PATH) that are not installed, one per line.  One dpkg-query call:
# this is the fast path taken on every run.
deps_missing() {
    local -a want=("${RELIEF_DEB_PACKAGES[@]}")
    command -v node >/dev/null 2>&1 || want+=(nodejs)
    # Debian's nodejs comes without npm, which the web UI and browser tests need.
    command -v npm >/dev/null 2>&1 || want+=(npm)
    local -A have=()
    local name status
    # dpkg-query exits 1 when it knows nothing of a package; what it printed still counts.
    while read -r name status; do
        [[ "${status:1:1}" == i ]] && have[$name]=1
    done < <(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${want[@]}" 2>/dev/null || true)
    for name in "${want[@]}"; do
        [[ -n "${have[$name]:-}" ]] || echo "$name"
    done
}

# deps_ensure: install what is missing; quiet and fast when everything is there.
deps_ensure() {
    local t0 missing
    t0=$(now_ms)
    command -v dpkg-query >/dev/null 2>&1 ||
        die "dpkg-query not found: this script installs packages on Debian 12 only; install the packages listed in scripts/lib/deps.sh by hand"
    mapfile -t missing < <(deps_missing)
    if ((${#missing[@]} == 0)); then
        info "packages: all ${#RELIEF_DEB_PACKAGES[@]} present ($(since "$t0"))"
        return 0
    fi
    info "packages: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -q || die "apt-get update failed"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" ||
        die "apt-get install failed for: ${missing[*]}"
    mapfile -t missing < <(deps_missing)
    ((${#missing[@]} == 0)) || die "still missing after apt-get install: ${missing[*]}"
    info "packages: installed ($(since "$t0"))"
}
