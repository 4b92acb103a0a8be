#!/usr/bin/env bash
# Installs kcat (the Kafka command-line client, Debian package `kcat`) if it is missing,
# and prints its path. start.sh does not need it; tests that use kcat call this first.
set -euo pipefail

if ! command -v kcat >/dev/null; then
  SUDO=
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "kcat: not installed, and no root or sudo to install it" >&2; exit 1; }
    SUDO=sudo
  fi
  echo "kcat: installing the Debian package" >&2
  export DEBIAN_FRONTEND=noninteractive
  # the package lists may be missing or old on a fresh machine: update once, then install
  if ! $SUDO apt-get install -y -qq kcat >/dev/null 2>&1; then
    $SUDO apt-get update -qq >&2
    $SUDO apt-get install -y -qq kcat >/dev/null
  fi
fi
command -v kcat
