#!/usr/bin/env bash
# The README's main command: starts the example FTPS server on loopback (explicit FTPS, TLS
# required, a freshly generated self-signed certificate), then drives the example client against it:
# list, upload, download, compare. Everything stops by itself; every wait is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."
port="${FTPS_DEMO_PORT:-2121}"
work="$(mktemp -d)"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

cargo build -q -p ftps-proto-tokio --examples
bin=target/debug/examples
mkdir -p "$work/root"
printf 'hello from the ftps-proto demo\n' > "$work/root/hello.txt"

"$bin/ftps-server" --listen "127.0.0.1:$port" --root "$work/root" \
  --user demo --password demo-password --write-cert "$work/cert.pem" &
server_pid=$!

for _ in $(seq 1 100); do
  [ -s "$work/cert.pem" ] && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done

url="ftp://demo:demo-password@127.0.0.1:$port/"
client() { timeout 30 "$bin/ftps-client" --cacert "$work/cert.pem" "$url" "$@"; }

echo "== ls"
client ls
head -c 300000 /dev/urandom > "$work/upload.bin"
echo "== put upload.bin"
client put "$work/upload.bin" upload.bin
echo "== get upload.bin"
client get upload.bin "$work/download.bin"
cmp "$work/upload.bin" "$work/download.bin"
echo "== mlsd"
client mlsd
echo "demo ok: 300000 bytes up and down over explicit FTPS (PROT P), identical"
