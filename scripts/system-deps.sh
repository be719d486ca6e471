#!/usr/bin/env bash
# Installs the system programs the test suite talks to, when they are missing.
set -euo pipefail
missing=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
# reports: pdftoppm/pdftotext check PDF reports; pango is what WeasyPrint renders with
[ -x /usr/bin/pdftoppm ] || missing+=(poppler-utils)
ldconfig -p 2>/dev/null | grep libpangoft2-1.0 >/dev/null || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "error: missing system packages: ${missing[*]}; install them (apt-get install ${missing[*]}) or run as root" >&2
  exit 2
fi
echo "installing ${missing[*]} from Debian packages"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
