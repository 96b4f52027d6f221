#!/usr/bin/env bash
# Regenerates samples/corpus2/: a second labelled FTP corpus, independent of samples/{benign,attacks}.pcap.
# Other servers (BSD ftpd from ftpd-ssl under openbsd-inetd, GNU inetutils ftpd under the same inetd,
# pyftpdlib, vsftpd with anonymous write + TLS), other clients (wget, ncftp, lftp, curl, Python ftplib) and real
# attack tools (hydra, nmap NSE, nmap bounce scan) plus a few scripted attacks where no tool exists.
# See samples/corpus2/README.md.
#
#   sudo scripts/capture-corpus2.sh                 # both captures, labels, README
#   SEED=7 scripts/capture-corpus2.sh               # another reproducible choice of sessions
#   PHASES="benign" / "attacks" / "transfers" / "serve"   # only one capture (the others are kept) / servers up
#
# Re-runnable: servers are unpacked (apt-get download + dpkg -x) into $WORK (default /tmp/ftp-corpus2), outside
# the repository; every process started here is recorded by PID (servers in their own session, so their
# per-connection children go with them) and stopped on exit, whatever the exit.  Loopback addresses only
# (servers and bounce target 127.0.5.0/24, benign clients 127.0.6.0/24, attackers 127.0.7.0/24; hydra and
# ncftp get their source address from scripts/corpus2/bindshim.c).  Needs root.  About 6-7 minutes.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
HERE=$REPO/scripts/corpus2
WORK=${CORPUS2_WORK:-/tmp/ftp-corpus2}
OUT=${CORPUS2_OUT:-$REPO/samples/corpus2}
SEED=${SEED:-20270117}
ROOT=$WORK/root
PY=/usr/bin/python3            # Debian's python (python3-pyftpdlib); `python3` on PATH may be a pyenv build
BPF='tcp and net 127.0.5.0/24'

# Server endpoints (keep in step with scripts/corpus2/corpus2.py SERVERS).
BSD_ADDR=127.0.5.1 BSD_PORT=21
INU_ADDR=127.0.5.2 INU_PORT=2121
PYF_ADDR=127.0.5.3 PYF_PORT=2100
VSF_ADDR=127.0.5.4 VSF_PORT=21
BOUNCE_TARGET=127.0.5.200
# System users (SHA-512 hashes).  ivan's password is in the attack word list, the others' are not.
USERS="erin:Bl4ckb1rd.sings frank:granite-Owl77 grace:c0b0l+Hopper heidi:alpine#Meadow5 ivan:letmein2"

log() { printf '%s capture-corpus2: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root (system users, port 21, active-mode data from port 20, tcpdump)"

# ---------------------------------------------------------------- processes, by PID only
SERVER_PIDS=()
TCPDUMP_PIDS=()
FTP_HOME_BEFORE=
stop_pid() { # pid signal: stop one process we started (and its process group when it leads one)
  local pid=$1 sig=${2:-TERM}
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  if [ "$(ps -o pgid= -p "$pid" | tr -d ' ')" = "$pid" ]; then kill -s "$sig" -- "-$pid" 2>/dev/null || true
  else kill -s "$sig" "$pid" 2>/dev/null || true; fi
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; fi
  wait "$pid" 2>/dev/null || true
}
stop_servers() {
  local pid
  for pid in "${SERVER_PIDS[@]}"; do stop_pid "$pid" TERM; done
  SERVER_PIDS=()
}
cleanup() {
  local pid
  for pid in "${TCPDUMP_PIDS[@]}"; do stop_pid "$pid" INT; done
  stop_servers
  # give the shared `ftp` account its home back (the first corpus's script sets its own anyway)
  if [ -n "$FTP_HOME_BEFORE" ] && [ "$FTP_HOME_BEFORE" != "$WORK/anon" ]; then usermod -d "$FTP_HOME_BEFORE" ftp 2>/dev/null || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- install
install_tools() {
  local need=() p
  command -v tcpdump >/dev/null || need+=(tcpdump)
  command -v tshark >/dev/null || need+=(tshark)
  command -v hydra >/dev/null || need+=(hydra)
  command -v nmap >/dev/null || need+=(nmap)
  command -v lftp >/dev/null || need+=(lftp)
  command -v ncftpget >/dev/null || need+=(ncftp)
  command -v wget >/dev/null || need+=(wget)
  command -v curl >/dev/null || need+=(curl)
  command -v openssl >/dev/null || need+=(openssl)
  command -v gcc >/dev/null || need+=(gcc libc6-dev)
  [ -x $PY ] || need+=(python3)
  $PY -c 'import pyftpdlib' 2>/dev/null || need+=(python3-pyftpdlib)
  for p in libwrap0 libevent-2.1-7 libtirpc3 libpam-modules; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
  if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
}

install_servers() {
  mkdir -p "$WORK/debs" "$ROOT"
  if [ ! -x "$ROOT/usr/sbin/in.ftpd" ] || [ ! -x "$ROOT/usr/sbin/ftpd" ] || [ ! -x "$ROOT/usr/sbin/vsftpd" ] ||
     [ ! -x "$ROOT/usr/sbin/inetd" ]; then
    log "downloading server packages into $WORK/debs"
    # ftpd-ssl (what Debian's `ftpd` package now depends on), inetutils-ftpd and vsftpd all conflict on
    # ftp-server, and openbsd-inetd would register itself with systemd: download and unpack all four.
    chmod 777 "$WORK/debs"
    (cd "$WORK/debs" && apt-get download ftpd-ssl inetutils-ftpd vsftpd openbsd-inetd 2>/dev/null) ||
      { apt-get update -qq; (cd "$WORK/debs" && apt-get download ftpd-ssl inetutils-ftpd vsftpd openbsd-inetd); }
    local deb
    for deb in "$WORK"/debs/*.deb; do dpkg -x "$deb" "$ROOT"; done
  fi
  local missing
  missing=$(for b in in.ftpd ftpd vsftpd inetd; do ldd "$ROOT/usr/sbin/$b"; done | awk '/not found/ {print $1}' | sort -u)
  [ -z "$missing" ] || die "missing shared libraries: $(echo $missing)"
  # LD_PRELOAD shim that gives hydra and ncftp a source address of their own (see bindshim.c)
  if [ ! -f "$WORK/bindshim.so" ] || [ "$HERE/bindshim.c" -nt "$WORK/bindshim.so" ]; then
    gcc -shared -fPIC -O2 -o "$WORK/bindshim.so" "$HERE/bindshim.c" -ldl
  fi
}

# ---------------------------------------------------------------- users, files, configuration
prepare_tree() {
  mkdir -p "$WORK"/{conf,log,run,empty,tls}
  chmod 755 "$WORK" "$WORK/empty"
  getent group ftpc2 >/dev/null || groupadd ftpc2
  # Anonymous account: BSD ftpd and inetutils ftpd chroot anonymous users into ~ftp; vsftpd uses anon_root and
  # runs anonymous sessions as `ftp` too; pyftpdlib serves the same tree.
  id ftp >/dev/null 2>&1 || useradd -r -M -d "$WORK/anon" -s /usr/sbin/nologin -g nogroup ftp
  FTP_HOME_BEFORE=$(getent passwd ftp | cut -d: -f6)
  [ "$FTP_HOME_BEFORE" = "$WORK/anon" ] || usermod -d "$WORK/anon" ftp
  rm -rf "$WORK/anon" "$WORK/home"
  mkdir -p "$WORK/home"
  local u name pass
  for u in $USERS; do
    name=${u%%:*} pass=${u#*:}
    id "$name" >/dev/null 2>&1 || useradd -M -d "$WORK/home/$name" -s /bin/bash -g ftpc2 "$name"
    [ "$(getent passwd "$name" | cut -d: -f6)" = "$WORK/home/$name" ] || usermod -d "$WORK/home/$name" "$name"
    echo "$name:$pass" | chpasswd -c SHA512
  done
  $PY "$HERE/corpus2.py" tree --work "$WORK" --users "$USERS"
  for u in $USERS; do
    name=${u%%:*}
    chown -R "$name:ftpc2" "$WORK/home/$name"; chmod 755 "$WORK/home/$name"
  done
  # anonymous tree: root-owned and read-only, except incoming/ (owned by ftp: anonymous uploads on vsftpd)
  chown -R root:root "$WORK/anon"; chmod -R a+rX,go-w "$WORK/anon"
  chown ftp:nogroup "$WORK/anon/incoming"; chmod 755 "$WORK/anon/incoming"

  # self-signed certificate for AUTH TLS (vsftpd; ftpd-ssl answers AUTH TLS but its handshake fails with OpenSSL 3, see README), made fresh each run
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=ftp.corpus2.test" \
    -keyout "$WORK/tls/key.pem" -out "$WORK/tls/cert.pem" 2>/dev/null
  cat "$WORK/tls/cert.pem" "$WORK/tls/key.pem" >"$WORK/tls/ftpd.pem"; chmod 600 "$WORK/tls/"*.pem

  # PAM: vsftpd gets a private service without pam_unix's failure delay (vsftpd adds its own 1 s
  # delay_failed_login); BSD ftpd is built for the service `ftp` and keeps pam_unix's default delay after a
  # failure (about 2 s), as a stock install does.  inetutils ftpd runs with `-a default` (no PAM).
  cat >/etc/pam.d/ftp-corpus2-vsftpd <<EOF
# written by ftp-ids scripts/capture-corpus2.sh (loopback test servers)
auth    required pam_unix.so nodelay
account required pam_unix.so
session required pam_permit.so
EOF
  if [ -f /etc/pam.d/ftp ] && ! grep -q 'capture-corpus2' /etc/pam.d/ftp; then
    die "/etc/pam.d/ftp exists and is not ours (an ftp server package installed?); not overwriting it"
  fi
  cat >/etc/pam.d/ftp <<EOF
# written by ftp-ids scripts/capture-corpus2.sh (loopback test servers: BSD ftpd from ftpd-ssl)
auth    sufficient pam_ftp.so
auth    required pam_unix.so
account required pam_unix.so
session required pam_permit.so
EOF

  # one inetd (foreground, private config) serving two servers on their own addresses
  cat >"$WORK/conf/inetd.conf" <<EOF
$BSD_ADDR:$BSD_PORT stream tcp nowait.5000 root $ROOT/usr/sbin/in.ftpd in.ftpd -l -t 60
$INU_ADDR:$INU_PORT stream tcp nowait.5000 root $ROOT/usr/sbin/ftpd ftpd -a default -l -t 60 --non-rfc2577
EOF

  cat >"$WORK/conf/vsftpd.conf" <<EOF
listen=YES
listen_ipv6=NO
background=NO
listen_address=$VSF_ADDR
listen_port=$VSF_PORT
ftpd_banner=Welcome to the corpus2 file drop (vsFTPd).
anonymous_enable=YES
anon_root=$WORK/anon
no_anon_password=NO
# anonymous write into incoming/ (owned by ftp), no overwrite/delete
anon_upload_enable=YES
anon_mkdir_write_enable=YES
anon_other_write_enable=NO
anon_umask=022
local_enable=YES
write_enable=YES
local_umask=022
# local users are NOT chrooted: they can CWD anywhere their Unix permissions allow
chroot_local_user=NO
dirmessage_enable=NO
xferlog_enable=YES
vsftpd_log_file=$WORK/log/vsftpd.log
connect_from_port_20=YES
pam_service_name=ftp-corpus2-vsftpd
secure_chroot_dir=$WORK/empty
seccomp_sandbox=NO
isolate=NO
isolate_network=NO
# vsftpd defaults for failed logins: 3 per connection, 1 s delay
max_login_fails=3
delay_failed_login=1
idle_session_timeout=60
data_connection_timeout=30
max_clients=300
max_per_ip=200
# TLS offered (explicit AUTH TLS), not required
ssl_enable=YES
rsa_cert_file=$WORK/tls/cert.pem
rsa_private_key_file=$WORK/tls/key.pem
allow_anon_ssl=NO
force_local_logins_ssl=NO
force_local_data_ssl=NO
require_ssl_reuse=NO
ssl_ciphers=HIGH
EOF
}

# ---------------------------------------------------------------- start / stop
start_server() { # name logfile cmd...: start in its own session (PID = process group) in the foreground
  local name=$1 logf=$2; shift 2
  setsid "$@" >"$logf" 2>&1 &
  local pid=$!
  SERVER_PIDS+=("$pid")
  log "started $name (pid $pid)"
}
port_free() { # addr port
  if $PY -c "import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 1).close()" "$1" "$2" 2>/dev/null
  then die "$1 port $2 is already in use (a server left from another run? stop it first)"; fi
}
wait_port() { # addr port: until an FTP greeting comes back
  local i
  for i in $(seq 100); do
    if $PY -c "import socket,sys; s=socket.create_connection((sys.argv[1], int(sys.argv[2])), 1); assert s.recv(4096)[:1]==b'2'; s.sendall(b'QUIT\r\n'); s.recv(4096)" "$1" "$2" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  die "no server answers on $1 port $2 (see $WORK/log/)"
}
start_servers() {
  port_free $BSD_ADDR $BSD_PORT; port_free $INU_ADDR $INU_PORT; port_free $PYF_ADDR $PYF_PORT; port_free $VSF_ADDR $VSF_PORT
  # The ftpd banners carry the host name: a private UTS namespace gives them a fixed one.
  start_server inetd "$WORK/log/inetd.out" unshare --uts sh -c \
    "hostname ftp.corpus2.test && exec $ROOT/usr/sbin/inetd -i -R 5000 $WORK/conf/inetd.conf"
  start_server vsftpd "$WORK/log/vsftpd.out" "$ROOT/usr/sbin/vsftpd" "$WORK/conf/vsftpd.conf"
  start_server pyftpdlib "$WORK/log/pyftpdlib.out" $PY "$HERE/corpus2.py" pyftpd --work "$WORK" --users "$USERS" \
    --listen "$PYF_ADDR:$PYF_PORT"
  wait_port $BSD_ADDR $BSD_PORT; wait_port $INU_ADDR $INU_PORT; wait_port $PYF_ADDR $PYF_PORT; wait_port $VSF_ADDR $VSF_PORT
}

# ---------------------------------------------------------------- capture
start_tcpdump() { # outfile
  local outf=$1 errf="$WORK/log/tcpdump.$(basename "$1").err"
  rm -f "$outf"
  # -B: a 64 MiB kernel buffer; the 1 MiB transfers come as bursts of 64 KiB loopback packets, which the
  # default 2 MiB buffer dropped (17 packets in a first run of the transfers phase; stop_tcpdumps refuses that)
  tcpdump -Z root -i lo -B 65536 -w "$outf" -s 0 -U "$BPF" 2>"$errf" &
  TCPDUMP_PIDS+=("$!")
  local i
  for i in $(seq 100); do grep -q 'listening on' "$errf" 2>/dev/null && return 0; sleep 0.1; done
  die "tcpdump did not start: $(cat "$errf")"
}
stop_tcpdumps() { # after the last packets have drained; SIGINT so tcpdump flushes and closes the file
  sleep 2
  local pid
  for pid in "${TCPDUMP_PIDS[@]}"; do stop_pid "$pid" INT; done
  TCPDUMP_PIDS=()
  local errf
  for errf in "$WORK"/log/tcpdump.*.err; do
    if grep -Eq '^[1-9][0-9]* packets? dropped by kernel' "$errf"; then die "$(basename "$errf"): $(grep 'dropped by kernel' "$errf")"; fi
  done
}
driver() { $PY "$HERE/corpus2.py" "$@" --work "$WORK" --seed "$SEED" --users "$USERS"; }

# ---------------------------------------------------------------- main
install_tools
install_servers
prepare_tree
mkdir -p "$OUT" "$WORK/runs"
PHASES=${PHASES:-benign attacks transfers}
start_servers
for phase in $PHASES; do
  case $phase in
    benign|attacks|transfers)
      log "capturing $phase"
      rm -f "$WORK/runs/$phase.jsonl"
      start_tcpdump "$WORK/$phase.pcap"
      driver "$phase" --runs "$WORK/runs/$phase.jsonl"
      stop_tcpdumps
      ;;
    serve) log "serving until interrupted"; while :; do sleep 1; done ;;
    *) die "unknown phase $phase" ;;
  esac
done
stop_servers

# Label every capture (those not captured this time are taken from $OUT with their runs files from $WORK/runs).
log "labelling"
ALL_PHASES="benign attacks"
[ -f "$WORK/runs/transfers.jsonl" ] && ALL_PHASES="$ALL_PHASES transfers"
for phase in $ALL_PHASES; do
  [ -f "$WORK/$phase.pcap" ] || { [ -f "$OUT/$phase.pcap" ] && cp "$OUT/$phase.pcap" "$WORK/$phase.pcap"; }
  [ -f "$WORK/runs/$phase.jsonl" ] || die "no runs file for $phase in $WORK/runs: run PHASES=\"$ALL_PHASES\""
done
STAGE=$WORK/out
rm -rf "$STAGE"; mkdir -p "$STAGE"
driver label --runs-dir "$WORK/runs" --captures-dir "$WORK" --out "$STAGE"
# Only now, with every control connection labelled, replace what samples/corpus2 holds.
for phase in $ALL_PHASES; do cp "$WORK/$phase.pcap" "$OUT/"; done
cp "$STAGE/labels.csv" "$OUT/"
cp "$HERE/signatures.csv" "$OUT/signatures.csv"
if [ -f "$REPO/dist/bin/ftp-extract.js" ] && command -v node >/dev/null; then
  for phase in $ALL_PHASES; do
    node "$REPO/dist/bin/ftp-flows.js" "$OUT/$phase.pcap" >"$STAGE/flows-$phase.ndjson"
    node "$REPO/dist/bin/ftp-extract.js" --signatures "$OUT/signatures.csv" <"$STAGE/flows-$phase.ndjson" \
      >"$STAGE/extract-$phase.csv"
  done
fi
driver readme --runs-dir "$WORK/runs" --labels "$OUT/labels.csv" --stage "$STAGE" --captures-dir "$OUT" \
  --template "$HERE/README.template.md" --out "$OUT/README.md"
log "done: $(cd "$OUT" && ls -l -- *.pcap *.csv | awk '{print $5, $9}' | tr '\n' ' ')"
