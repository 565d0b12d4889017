#!/bin/sh
# Print the newest Python >= 3.12 that actually runs on this machine.
# Tries python3.14 .. python3.12 on PATH; pyenv shims that are on PATH but not
# activated are tried through `pyenv prefix` as well. Exits 1 with a message if none.
check='import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)'
for minor in 14 13 12; do
    name="python3.$minor"
    if command -v "$name" >/dev/null 2>&1 && "$name" -c "$check" >/dev/null 2>&1; then
        command -v "$name"
        exit 0
    fi
    if command -v pyenv >/dev/null 2>&1; then
        for version in $(pyenv versions --bare 2>/dev/null | grep "^3\.$minor\.[0-9]*$" | sort -t. -k3 -n -r); do
            candidate="$(pyenv root)/versions/$version/bin/$name"
            if [ -x "$candidate" ] && "$candidate" -c "$check" >/dev/null 2>&1; then
                echo "$candidate"
                exit 0
            fi
        done
    fi
done
echo "Polku needs Python 3.12 or newer (Django 6.1). Install python3.12 or python3.13 and put it on PATH." >&2
exit 1
