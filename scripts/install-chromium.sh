#!/usr/bin/env bash
# Make sure Debian's Chromium is installed (for the browser tests) and print its path.
#
# Playwright drives it through `executable_path`; Playwright's own browser
# download is not used (it cannot reach its hosts from here).
#
# stdout: exactly one line, the browser's path (last line); the rest goes to stderr.
set -euo pipefail

log() { echo "install-chromium: $*" >&2; }

find_browser() {
    local name
    for name in chromium chromium-browser; do
        if command -v "$name" >/dev/null 2>&1; then
            command -v "$name"
            return 0
        fi
    done
    return 1
}

if ! BROWSER="$(find_browser)"; then
    if [[ "$(id -u)" != "0" ]]; then
        log "chromium is missing and we are not root: install Debian's 'chromium'"
        exit 1
    fi
    log "installing chromium with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update >&2
    apt-get install -y --no-install-recommends chromium fonts-dejavu-core >&2
    BROWSER="$(find_browser)"
fi
log "using $("$BROWSER" --version 2>/dev/null || echo "$BROWSER")"
echo "$BROWSER"
