#!/usr/bin/env bash
# Writes samples/ipv6-active.pcap: active-mode FTP over IPv6 (EPRT |2|), which the other samples lack
# (samples/ipv6.pcap is EPSV only).  A pyftpdlib server on [::1]:21 (Debian's python3-pyftpdlib; port 21
# because tshark decodes FTP, and links data connections, there only: the tests compare with it), Python
# ftplib with passive mode off and curl -P - (both announce EPRT |2|::1|port|), transfers of 0 B to 100 kB
# both ways (scripts/ipv6_active.py), under tcpdump on lo.  Does not touch the other samples.
#
#   sudo scripts/capture-ipv6-active.sh                  # about 10 s
#   sudo scripts/capture-ipv6-active.sh transfer-sizes   # samples/transfer-sizes.pcap instead (below)
#
# transfer-sizes: the same server on 127.0.3.1:21 (IPv4), Python ftplib downloading and uploading files of
# 0 B to 512 KiB once in passive (PASV) and once in active mode (PORT), then curl with EPSV and EPRT over
# IPv4: the transfers of every announcement kind over six orders of magnitude of size, which the other
# samples (0 B to about 5 kB) lack.
#
# Every process started here is recorded by PID and stopped on exit, whatever the exit.  Loopback (::1)
# only.  Needs root (tcpdump, port 21).  The scratch tree is $WORK (default /tmp/ftp-ipv6-active).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
SAMPLE=${1:-ipv6-active}
case $SAMPLE in
  ipv6-active) HOST=::1; URLHOST='[::1]'; FILTER='tcp and ip6 host ::1 and not port 22' ;;
  transfer-sizes) HOST=127.0.3.1; URLHOST=127.0.3.1; FILTER='tcp and host 127.0.3.1' ;;
  *) echo "usage: $0 [ipv6-active|transfer-sizes]" >&2; exit 2 ;;
esac
WORK=${IPV6_ACTIVE_WORK:-/tmp/ftp-$SAMPLE}
OUT=${IPV6_ACTIVE_OUT:-$REPO/samples/$SAMPLE.pcap}
PORT=${IPV6_ACTIVE_PORT:-21}
PY=/usr/bin/python3            # Debian's python (python3-pyftpdlib); `python3` on PATH may be another build
HERE=$REPO/scripts

log() { printf '%s capture-ipv6-active: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root (tcpdump, port 21)"

PIDS=()
stop_pid() { # pid signal
  local pid=$1 sig=${2:-TERM}
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -s "$sig" "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
}
cleanup() { local pid; for pid in "${PIDS[@]}"; do stop_pid "$pid" INT; done; PIDS=(); }
trap cleanup EXIT
trap 'exit 130' INT TERM

need=()
command -v tcpdump >/dev/null || need+=(tcpdump)
command -v curl >/dev/null || need+=(curl)
$PY -c 'import pyftpdlib' 2>/dev/null || need+=(python3-pyftpdlib)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

if $PY -c "import socket,sys; socket.create_connection((sys.argv[2], int(sys.argv[1])), 1).close()" "$PORT" "$HOST" 2>/dev/null; then
  die "$URLHOST:$PORT is in use (IPV6_ACTIVE_PORT=N picks another)"
fi
rm -rf "$WORK"; mkdir -p "$WORK/log"
$PY "$HERE/ipv6_active.py" files "$WORK/tree"

$PY "$HERE/ipv6_active.py" serve "$WORK/tree" "$PORT" "$HOST" >"$WORK/log/server.out" 2>&1 &
PIDS+=($!)
for i in $(seq 100); do
  $PY -c "import socket,sys; s=socket.create_connection((sys.argv[2], int(sys.argv[1])), 1); s.recv(512); s.sendall(b'QUIT\r\n'); s.recv(512)" "$PORT" "$HOST" 2>/dev/null && break
  [ "$i" = 100 ] && die "no server on $URLHOST:$PORT (see $WORK/log/server.out)"
  sleep 0.1
done

PCAP=$WORK/$SAMPLE.pcap
tcpdump -Z root -i lo -w "$PCAP" -s 0 -U "$FILTER" 2>"$WORK/log/tcpdump.err" &
TCPDUMP=$!
PIDS+=("$TCPDUMP")
for i in $(seq 100); do grep -q 'listening on' "$WORK/log/tcpdump.err" 2>/dev/null && break; sleep 0.1; done

if [ "$SAMPLE" = transfer-sizes ]; then
  log "ftplib sessions (PASV, PORT), 0 B to 512 KiB both ways"
  $PY "$HERE/ipv6_active.py" sizes "$PORT" "$HOST"
  log "curl (EPSV, then EPRT) over IPv4"
  curl -sS -o /dev/null "ftp://$URLHOST:$PORT/pub/s100k.bin"
  curl -sS -P - -o /dev/null "ftp://$URLHOST:$PORT/pub/s10k.bin"
  curl -sS -P - -T "$WORK/tree/pub/s1448.bin" "ftp://$URLHOST:$PORT/incoming/from-curl.bin"
else
log "ftplib sessions (EPRT |2|)"
$PY "$HERE/ipv6_active.py" client "$PORT" "$WORK/tree/incoming"
log "curl -P - (EPRT |2|)"
curl -sS -g -P - -o /dev/null "ftp://[::1]:$PORT/pub/segment.bin"
curl -sS -g -P - -o /dev/null "ftp://[::1]:$PORT/pub/archive.gz"
curl -sS -g -P - -T "$WORK/tree/pub/notes.txt" "ftp://[::1]:$PORT/incoming/from-curl.txt"
fi
sleep 1

stop_pid "$TCPDUMP" INT
cleanup
cp "$PCAP" "$OUT"
log "done: $OUT ($(stat -c %s "$OUT") bytes)"
