#!/bin/sh
# Extract translatable strings. Apps with their own locale/ folder keep their own catalogue;
# everything else (shared templates, foundation apps) goes to polku/locale.
#   scripts/makemessages.sh            all catalogues
#   scripts/makemessages.sh --root     only polku/locale
set -e
cd "$(dirname "$0")/../polku"
DJANGO=../.venv/bin/django-admin
ignores=""
for dir in */locale; do
    app=${dir%/locale}
    ignores="$ignores --ignore=$app/*"
    if [ "$1" != "--root" ]; then
        (cd "$app" && ../$DJANGO makemessages -l fi -l sv -l en --no-obsolete --no-location >/dev/null)
    fi
done
set -f  # the --ignore patterns must reach makemessages unexpanded
# shellcheck disable=SC2086
$DJANGO makemessages -l fi -l sv -l en --no-obsolete --no-location --ignore='static/*' $ignores >/dev/null
echo "Catalogues updated."
