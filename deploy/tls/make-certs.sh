#!/usr/bin/env bash
# Makes a throwaway certificate authority and a server certificate it signs, for the test servers
# on this machine (deploy/postgres/start.sh, deploy/kafka/start.sh):
#
#   deploy/tls/make-certs.sh <dir> [<name>]
#
# Writes into <dir> (created if missing): ca.crt (the CA clients trust), ca.key, server.crt and
# server.key (subjectAltName DNS:localhost and IP:127.0.0.1, CN <name>, default localhost).
# Once: when server.crt, server.key and ca.crt are all there, nothing is changed. Keys are mode 600,
# certificates 644. Needs openssl. Progress on stderr, nothing on stdout.
set -euo pipefail

dir=${1:?usage: make-certs.sh <dir> [<name>]}
name=${2:-localhost}
log() { echo "tls: $*" >&2; }

if [ -s "$dir/ca.crt" ] && [ -s "$dir/server.crt" ] && [ -s "$dir/server.key" ]; then
  exit 0
fi
command -v openssl >/dev/null || { log "openssl not found"; exit 1; }

mkdir -p "$dir"
tmp=$(mktemp -d "$dir/.make-certs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
umask 077

# CA: 10 years, may sign certificates only.
openssl req -x509 -new -nodes -newkey rsa:2048 -sha256 -days 3650 \
  -subj "/CN=usage-ledger test CA $(hostname 2>/dev/null || echo local) $(date -u +%Y%m%dT%H%M%SZ)" \
  -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' \
  -keyout "$tmp/ca.key" -out "$tmp/ca.crt" 2>/dev/null

# The server: names clients connect with, TLS server use only, 825 days.
openssl req -new -nodes -newkey rsa:2048 -sha256 -subj "/CN=$name" \
  -keyout "$tmp/server.key" -out "$tmp/server.csr" 2>/dev/null
cat >"$tmp/server.ext" <<EXT
subjectAltName=DNS:localhost,IP:127.0.0.1
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
EXT
openssl x509 -req -sha256 -days 825 -in "$tmp/server.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" \
  -set_serial "0x$(openssl rand -hex 16)" -extfile "$tmp/server.ext" -out "$tmp/server.crt" 2>/dev/null
openssl verify -CAfile "$tmp/ca.crt" "$tmp/server.crt" >/dev/null

chmod 644 "$tmp/ca.crt" "$tmp/server.crt"
chmod 600 "$tmp/ca.key" "$tmp/server.key"
# the key before the certificate: a reader that finds server.crt finds its key
for f in ca.key ca.crt server.key server.crt; do mv -f "$tmp/$f" "$dir/$f"; done
log "made a CA and a server certificate (localhost, 127.0.0.1) in $dir"
