#!/usr/bin/env bash
# Installs what the view tests (tests/views) and bench/bench_views.py need on a fresh Debian
# or Ubuntu machine: Debian's chromium, driven headless, and a small CJK font so screenshots
# show Chinese patient names. Idempotent: does nothing when both are present.
# SCALPERNET_CHROMIUM names another Chromium/Chrome binary and skips the browser install.
set -euo pipefail

need=()
if [ -n "${SCALPERNET_CHROMIUM:-}" ]; then
    [ -x "$SCALPERNET_CHROMIUM" ] || { echo "SCALPERNET_CHROMIUM=$SCALPERNET_CHROMIUM is not executable" >&2; exit 1; }
elif ! command -v chromium >/dev/null 2>&1; then
    need+=(chromium)
fi
if ! fc-list 2>/dev/null | grep -qiE "WenQuanYi|Noto Sans CJK|Source Han"; then
    need+=(fonts-wqy-microhei)
fi
if [ ${#need[@]} -eq 0 ]; then
    echo "browser ready: $("${SCALPERNET_CHROMIUM:-chromium}" --version 2>/dev/null | tail -n 1)"
    exit 0
fi
command -v apt-get >/dev/null 2>&1 || {
    echo "no apt-get: install ${need[*]} by hand, or set SCALPERNET_CHROMIUM" >&2; exit 1; }
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"
echo "browser ready: $("${SCALPERNET_CHROMIUM:-chromium}" --version 2>/dev/null | tail -n 1)"
