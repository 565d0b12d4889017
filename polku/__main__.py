"""``polku <command>``: Django's manage.py for an installed Polku (``make dist``).

Production settings unless ``DJANGO_SETTINGS_MODULE`` names others, so ``polku migrate`` on a
server reads the environment file like the web processes do.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
