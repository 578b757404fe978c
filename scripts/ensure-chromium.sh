#!/bin/sh
# Headless Chromium, its WebDriver (chromium-driver, for the Mini App's browser test), a
# Chinese font and a colour emoji font (so screenshots show the text and the ✅ buttons), for tests/test_transcript.py and
# tests/test_webapp_browser.py, from Debian's packages. With --font-only, just the font (for
# the charts of `make demo`). Installs only what is missing and never fails the run: without
# apt-get or root the browser tests skip and charts are labelled in English, saying why.
set -u
missing=""
without="the browser test will be skipped"
if [ "${1:-}" = "--font-only" ]; then
    without="charts will be labelled in English"
else
    if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
        missing="chromium"
    fi
    if ! command -v chromedriver >/dev/null 2>&1; then
        missing="$missing chromium-driver"
    fi
    if ! fc-list 2>/dev/null | grep -qi "emoji"; then
        missing="$missing fonts-noto-color-emoji"
    fi
fi
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then
    missing="$missing fonts-wqy-zenhei"
fi
[ -n "$missing" ] || exit 0
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-chromium: no apt-get here; $without" >&2
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    as_root=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root="sudo -n"
else
    echo "ensure-chromium: not root and no password-less sudo; $without" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
echo "ensure-chromium: installing$missing..." >&2
# shellcheck disable=SC2086
if $as_root apt-get install -y -q $missing >/dev/null 2>&1 \
    || { $as_root apt-get update -q >/dev/null 2>&1 \
         && $as_root apt-get install -y -q $missing >/dev/null 2>&1; }; then
    exit 0
fi
echo "ensure-chromium: apt-get could not install$missing; $without" >&2
exit 0
