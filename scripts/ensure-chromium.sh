#!/bin/sh
# System packages the tests need: Debian's Chromium for the browser tests (never a downloaded
# browser build), fonts, the Pango/HarfBuzz libraries WeasyPrint renders PDFs with, and Voikko
# (libvoikko1 + voikko-fi) for Finnish lemmas in grouping suggestions (optional at run time).
# Installs what is missing when we may (root with apt-get); otherwise says what to do.
need=""
for pkg in chromium fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libvoikko1 voikko-fi; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need="$need $pkg"
done
[ -z "$need" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing system packages for the tests:$need"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
    exit $?
fi
echo "NOTE: missing system packages:$need — browser and PDF tests will be skipped or fail." >&2
echo "      Install them with: sudo apt-get install$need" >&2
