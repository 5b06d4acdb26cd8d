#!/usr/bin/env bash
# Debian packages the tests need beyond Python: Chromium for the browser test
# (tests/browser/, driven by Playwright with executable_path=/usr/bin/chromium;
# no browser download) and a font for it to draw text with; bubblewrap, the
# sandbox every submission's kernel runs in when autograding (with prlimit from
# util-linux for its limits); postgresql, whose server the gradebook tests start
# as a throw-away cluster (tests/throwaway_postgres.py; no system service is used);
# passwd (useradd), with which tests/grading/test_exchange.py makes two real student users
# for the nbgrader exchange, and removes them afterwards; fonts-nanum, a Korean font,
# so that the lessons' glossary and Hangul in figures show as text, not boxes
# (matplotlib: course_utils/experiments/fonts.py; tests/experiments/test_fonts.py).
# Idempotent and quiet: does nothing when everything is already installed.
set -euo pipefail
packages=(chromium fonts-dejavu-core fonts-nanum bubblewrap util-linux postgresql passwd)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "installed: ${missing[*]}"
