#!/bin/sh
# Headless Chromium, its WebDriver (chromium-driver, for the Mini App's browser test) and a
# Chinese font (so screenshots show the text), for tests/test_transcript.py and
# tests/test_webapp_browser.py, from Debian's packages. Installs only what is missing and never
# fails the run: without apt-get or root the browser test skips and says why.
set -u
missing=""
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
    missing="chromium"
fi
if ! command -v chromedriver >/dev/null 2>&1; then
    missing="$missing chromium-driver"
fi
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then
    missing="$missing fonts-wqy-zenhei"
fi
[ -n "$missing" ] || exit 0
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-chromium: no apt-get here; the browser test will be skipped" >&2
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    as_root=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root="sudo -n"
else
    echo "ensure-chromium: not root and no password-less sudo; the browser test will be skipped" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
echo "ensure-chromium: installing$missing for the browser tests..." >&2
# shellcheck disable=SC2086
if $as_root apt-get install -y -q $missing >/dev/null 2>&1 \
    || { $as_root apt-get update -q >/dev/null 2>&1 \
         && $as_root apt-get install -y -q $missing >/dev/null 2>&1; }; then
    exit 0
fi
echo "ensure-chromium: apt-get could not install$missing; the browser test may be skipped" >&2
exit 0
