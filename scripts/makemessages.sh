#!/bin/sh
# Extract translatable strings. Apps with their own locale/ folder keep their own catalogue;
# everything else (shared templates, foundation apps) goes to polku/locale.
set -e
cd "$(dirname "$0")/../polku"
DJANGO=../.venv/bin/django-admin
own=""
for dir in */locale; do
    app=${dir%/locale}
    own="$own --ignore $app/*"
    (cd "$app" && ../$DJANGO makemessages -l fi -l sv -l en --no-obsolete --no-location >/dev/null)
done
# shellcheck disable=SC2086
$DJANGO makemessages -l fi -l sv -l en --no-obsolete --no-location --ignore 'static/*' $own >/dev/null
echo "Catalogues updated."
