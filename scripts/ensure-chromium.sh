#!/bin/sh
# Browser tests drive Debian's Chromium (never a downloaded browser build).
# Installs it when missing and we may (root with apt-get); otherwise says what to do.
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's chromium for the browser tests..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
    exit $?
fi
echo "NOTE: /usr/bin/chromium is missing; browser tests will be skipped." >&2
echo "      Install it with: sudo apt-get install chromium" >&2
