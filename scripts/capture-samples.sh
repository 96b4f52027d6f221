#!/usr/bin/env bash
# Regenerates samples/ from real FTP servers (vsftpd, ProFTPD, Pure-FTPd, Debian packages) and real
# clients (Python ftplib, lftp, curl) on loopback, under tcpdump.  See samples/README.md.
#
#   sudo scripts/capture-samples.sh            # all captures
#   SEED=7 scripts/capture-samples.sh          # another (reproducible) choice of sessions
#
# Safe to re-run: the servers are unpacked (apt-get download + dpkg -x) into $FTP_SERVERS_DIR, outside
# the repository; every process this script starts is recorded by PID (servers in their own session, so
# their per-connection children go with them) and stopped on exit, whatever the exit.  Only loopback
# addresses are used.  Needs root (system users for the servers, port 21, active-mode data from port 20).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
WORK=${FTP_SERVERS_DIR:-/tmp/ftp-servers}
OUT=${SAMPLES_DIR:-$REPO/samples}
SEED=${SEED:-20261128}
ROOT=$WORK/root
BPF='tcp and (net 127.0.0.0/8 or ip6 host ::1)'

# Server endpoints: one loopback address each (vsftpd and Pure-FTPd both send active-mode data from port 20,
# so they must not share an address), and one port each, only vsftpd on the standard 21.
VSFTPD_ADDR=127.0.0.2 VSFTPD_PORT=21
PROFTPD_ADDR=127.0.0.3 PROFTPD_PORT=2121
PUREFTPD_ADDR=127.0.0.4 PUREFTPD_PORT=2221
IPV6_ADDR=::1 VSFTPD6_PORT=21 PUREFTPD6_PORT=2221
# Accounts for the servers (system users, SHA-512 hashes so logins stay fast).  Keep in step with
# ftp_scenarios.py.
USERS="alice:wonderland7 bob:builder42 carol:xmas1999 dave:d4v3pass"

log() { printf '%s capture-samples: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (servers bind port 21/20 and authenticate system users)"

# ---------------------------------------------------------------- processes, by PID only
SERVER_PIDS=()
TCPDUMP_PIDS=()
stop_pid() { # pid signal: stop one process we started (and its process group when it leads one)
  local pid=$1 sig=${2:-TERM}
  kill -0 "$pid" 2>/dev/null || return 0
  if [ "$(ps -o pgid= -p "$pid" | tr -d ' ')" = "$pid" ]; then kill -s "$sig" -- "-$pid" 2>/dev/null || true
  else kill -s "$sig" "$pid" 2>/dev/null || true; fi
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && { kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; }
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
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- install
install_tools() {
  local need=() t
  for t in tcpdump lftp curl python3 tshark; do command -v "$t" >/dev/null || need+=("$t"); done
  if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
}

install_servers() {
  mkdir -p "$WORK/debs" "$ROOT"
  if [ ! -x "$ROOT/usr/sbin/vsftpd" ] || [ ! -x "$ROOT/usr/sbin/proftpd" ] || [ ! -x "$ROOT/usr/sbin/pure-ftpd" ]; then
    log "downloading server packages into $WORK/debs"
    # Each package conflicts with ftp-server, so apt installs only one: download and unpack all three.
    (cd "$WORK/debs" && apt-get download vsftpd proftpd-core pure-ftpd pure-ftpd-common 2>/dev/null) ||
      { apt-get update -qq; (cd "$WORK/debs" && apt-get download vsftpd proftpd-core pure-ftpd pure-ftpd-common); }
    local deb
    for deb in "$WORK"/debs/*.deb; do dpkg -x "$deb" "$ROOT"; done
  fi
  local missing
  missing=$(for b in vsftpd proftpd pure-ftpd; do ldd "$ROOT/usr/sbin/$b"; done | awk '/not found/ {print $1}' | sort -u)
  if [ -n "$missing" ]; then
    log "installing shared libraries for: $(echo $missing)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libwrap0 libhiredis0.14 libmemcached11 libmemcachedutil2 \
      libpcre2-posix3 libpam0g libsodium23 libssl3 libcap2 libacl1 >/dev/null
  fi
}

# ---------------------------------------------------------------- users, files, configuration
prepare_tree() {
  local d
  mkdir -p "$WORK"/{conf,log,run,empty,anon/pub/docs,anon/incoming,home}
  chmod 755 "$WORK" "$WORK/empty" "$WORK/anon" "$WORK/anon/pub" "$WORK/anon/incoming"
  getent group ftpids >/dev/null || groupadd ftpids
  # The anonymous account: vsftpd uses anon_root, ProFTPD <Anonymous DIR>, Pure-FTPd the home of user `ftp`.
  id ftp >/dev/null 2>&1 || useradd -r -M -d "$WORK/anon" -s /usr/sbin/nologin -g nogroup ftp
  [ "$(getent passwd ftp | cut -d: -f6)" = "$WORK/anon" ] || usermod -d "$WORK/anon" ftp
  local u name pass
  for u in $USERS; do
    name=${u%%:*} pass=${u#*:}
    id "$name" >/dev/null 2>&1 || useradd -M -d "$WORK/home/$name" -s /bin/bash -g ftpids "$name"
    [ "$(getent passwd "$name" | cut -d: -f6)" = "$WORK/home/$name" ] || usermod -d "$WORK/home/$name" "$name"
    echo "$name:$pass" | chpasswd -c SHA512
    mkdir -p "$WORK/home/$name"
    # A fresh home each run, so runs do not depend on what earlier runs left behind.
    find "$WORK/home/$name" -mindepth 1 -delete
    mkdir -p "$WORK/home/$name/projects" "$WORK/home/$name/backup"
    python3 - "$WORK/home/$name" "$name" <<'EOF'
import random, sys
home, name = sys.argv[1], sys.argv[2]
rng = random.Random(name)
files = {"notes.txt": 700, "report.csv": 2300, "projects/plan.md": 1500, "projects/data.bin": 4096, "backup/old.tar": 3000}
for rel, size in files.items():
    with open(f"{home}/{rel}", "wb") as f:
        if rel.endswith(".bin") or rel.endswith(".tar"):
            f.write(bytes(rng.randrange(256) for _ in range(size)))
        else:
            words = ["alpha", "beta", "gamma", "delta", "ftp", "sample", name, "row"]
            text = ""
            while len(text) < size:
                text += " ".join(rng.choice(words) for _ in range(8)) + "\n"
            f.write(text[:size].encode())
EOF
    chown -R "$name:ftpids" "$WORK/home/$name"
    chmod 755 "$WORK/home/$name"
  done
  # Anonymous tree: readable, not writable (vsftpd refuses a writable anonymous root).
  python3 - "$WORK/anon" <<'EOF'
import random, sys
root = sys.argv[1]
rng = random.Random("anon")
files = {"pub/README": 600, "pub/welcome.msg": 300, "pub/release-1.0.tar.gz": 5000, "pub/release-1.1.tar.gz": 5200,
         "pub/docs/manual.txt": 3000, "pub/docs/faq.txt": 1200, "pub/SHA256SUMS": 200}
for rel, size in files.items():
    with open(f"{root}/{rel}", "wb") as f:
        if rel.endswith(".gz"):
            f.write(bytes(rng.randrange(256) for _ in range(size)))
        else:
            text = "".join("%s line %d\n" % (rel, i) for i in range(size // 10 + 1))
            f.write(text[:size].encode())
EOF
  chown -R root:root "$WORK/anon"
  chmod -R a+rX,go-w "$WORK/anon"
  chown root:root "$WORK/empty"; chmod 755 "$WORK/empty"

  # vsftpd authenticates through PAM: its own service file, without the 2-second delay pam_unix adds after a
  # failure (brute-force sessions would take minutes).  ProFTPD and Pure-FTPd read /etc/shadow themselves.
  cat >/etc/pam.d/ftp-ids-vsftpd <<EOF
# written by ftp-ids scripts/capture-samples.sh (loopback test servers)
auth    required pam_unix.so nodelay
account required pam_unix.so
session required pam_permit.so
EOF
  cat >"$WORK/conf/vsftpd.conf" <<EOF
listen=YES
listen_ipv6=NO
background=NO
listen_address=$VSFTPD_ADDR
listen_port=$VSFTPD_PORT
ftpd_banner=(vsFTPd 3.0.3)
anonymous_enable=YES
anon_root=$WORK/anon
no_anon_password=NO
anon_upload_enable=NO
anon_mkdir_write_enable=NO
local_enable=YES
write_enable=YES
local_umask=022
# Every user is locked into their home: traversal and SITE attacks must not reach the rest of the machine.
chroot_local_user=YES
allow_writeable_chroot=YES
dirmessage_enable=NO
xferlog_enable=YES
vsftpd_log_file=$WORK/log/vsftpd.log
connect_from_port_20=YES
pam_service_name=ftp-ids-vsftpd
secure_chroot_dir=$WORK/empty
seccomp_sandbox=NO
isolate=NO
isolate_network=NO
delay_failed_login=0
max_login_fails=10
idle_session_timeout=20
data_connection_timeout=20
max_clients=200
max_per_ip=100
EOF
  # IPv6 instance (only for ipv6.pcap)
  sed -e 's/^listen=YES/listen=NO/' -e 's/^listen_ipv6=NO/listen_ipv6=YES/' \
      -e "s/^listen_address=.*/listen_address6=$IPV6_ADDR/" -e "s/^listen_port=.*/listen_port=$VSFTPD6_PORT/" \
      "$WORK/conf/vsftpd.conf" >"$WORK/conf/vsftpd6.conf"

  cat >"$WORK/conf/proftpd.conf" <<EOF
ServerName "ftp-ids ProFTPD"
ServerType standalone
ServerIdent on "ProFTPD Server (Debian) [$PROFTPD_ADDR]"
DefaultAddress $PROFTPD_ADDR
SocketBindTight on
Port $PROFTPD_PORT
UseIPv6 off
User nobody
Group nogroup
PidFile $WORK/run/proftpd.pid
ScoreboardFile $WORK/run/proftpd.scoreboard
SystemLog $WORK/log/proftpd.log
TransferLog $WORK/log/proftpd-xfer.log
WtmpLog off
UseReverseDNS off
AuthOrder mod_auth_unix.c
AuthPAM off
RequireValidShell off
DelayEngine off
MaxLoginAttempts 10
MaxInstances 200
TimeoutIdle 20
TimeoutLogin 20
TimeoutNoTransfer 60
Umask 022
# Every user is locked into their home: traversal and SITE attacks must not reach the rest of the machine.
DefaultRoot ~
AllowOverwrite on
AllowStoreRestart on
# A misconfiguration on purpose: this server accepts PORT/EPRT to foreign addresses, so bounce attempts
# succeed against it (vsftpd and Pure-FTPd refuse them, as by default).
AllowForeignAddress on
ModulePath $ROOT/usr/lib/proftpd
ModuleControlsACLs insmod,rmmod allow user root
LoadModule mod_copy.c
LoadModule mod_site_misc.c
<Anonymous $WORK/anon>
  User ftp
  Group nogroup
  UserAlias anonymous ftp
  RequireValidShell off
  <Limit WRITE>
    DenyAll
  </Limit>
</Anonymous>
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

port_free() { # addr port...: refuse to start when something (not ours) already listens there
  local addr=$1; shift
  local port
  for port in "$@"; do
    if python3 -c "import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 1).close()" "$addr" "$port" 2>/dev/null
    then die "$addr port $port is already in use (a server left from another run? stop it first)"; fi
  done
}

wait_port() { # addr port: until something accepts there
  local addr=$1 port=$2 i
  for i in $(seq 100); do
    if python3 -c "import socket,sys; s=socket.create_connection((sys.argv[1], int(sys.argv[2])), 1); s.recv(4096); s.sendall(b'QUIT\r\n'); s.recv(4096)" "$addr" "$port" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  die "no server answers on $addr port $port (see $WORK/log/)"
}

start_servers_v4() {
  port_free "$VSFTPD_ADDR" "$VSFTPD_PORT"
  port_free "$PROFTPD_ADDR" "$PROFTPD_PORT"
  port_free "$PUREFTPD_ADDR" "$PUREFTPD_PORT"
  start_server vsftpd "$WORK/log/vsftpd.out" "$ROOT/usr/sbin/vsftpd" "$WORK/conf/vsftpd.conf"
  start_server proftpd "$WORK/log/proftpd.out" "$ROOT/usr/sbin/proftpd" -n -q -c "$WORK/conf/proftpd.conf"
  start_server pure-ftpd "$WORK/log/pure-ftpd.out" "$ROOT/usr/sbin/pure-ftpd" -S "$PUREFTPD_ADDR,$PUREFTPD_PORT" \
    -l unix -i -H -A -I 1 -c 200 -C 200 -u 1000 -O "clf:$WORK/log/pure-ftpd-xfer.log"
  wait_port "$VSFTPD_ADDR" "$VSFTPD_PORT"
  wait_port "$PROFTPD_ADDR" "$PROFTPD_PORT"
  wait_port "$PUREFTPD_ADDR" "$PUREFTPD_PORT"
}

start_servers_v6() {
  port_free "$IPV6_ADDR" "$VSFTPD6_PORT" "$PUREFTPD6_PORT"
  start_server vsftpd6 "$WORK/log/vsftpd6.out" "$ROOT/usr/sbin/vsftpd" "$WORK/conf/vsftpd6.conf"
  start_server pure-ftpd6 "$WORK/log/pure-ftpd6.out" "$ROOT/usr/sbin/pure-ftpd" -S "$IPV6_ADDR,$PUREFTPD6_PORT" \
    -l unix -i -H -A -I 1 -c 200 -C 200 -u 1000
  wait_port "$IPV6_ADDR" "$VSFTPD6_PORT"
  wait_port "$IPV6_ADDR" "$PUREFTPD6_PORT"
}

# ---------------------------------------------------------------- capture
start_tcpdump() { # outfile iface [linktype]: returns when tcpdump listens
  local outf=$1 iface=$2 ltype=${3:-} errf
  errf="$WORK/log/tcpdump.$(basename "$outf").err"
  rm -f "$outf"
  # -Z root: tcpdump would otherwise drop to its own user before creating the file in root's directory
  if [ -n "$ltype" ]; then tcpdump -Z root -i "$iface" -y "$ltype" -w "$outf" -s 0 -U "$BPF" 2>"$errf" &
  else tcpdump -Z root -i "$iface" -w "$outf" -s 0 -U "$BPF" 2>"$errf" & fi
  local pid=$!
  TCPDUMP_PIDS+=("$pid")
  local i
  for i in $(seq 100); do grep -q 'listening on' "$errf" 2>/dev/null && return 0; sleep 0.1; done
  die "tcpdump did not start: $(cat "$errf")"
}

stop_tcpdumps() { # after the last packets have drained; SIGINT so tcpdump flushes and closes the file
  sleep 1
  local pid
  for pid in "${TCPDUMP_PIDS[@]}"; do stop_pid "$pid" INT; done
  TCPDUMP_PIDS=()
}

scenarios() { python3 "$REPO/scripts/ftp_scenarios.py" --work "$WORK" --seed "$SEED" "$@"; }

# ---------------------------------------------------------------- main
install_tools
install_servers
prepare_tree
mkdir -p "$OUT"
SESS=$WORK/sessions
rm -rf "$SESS"; mkdir -p "$SESS"

PHASES=${PHASES:-benign attacks small ipv6}
start_servers_v4
for phase in $PHASES; do
  case $phase in
    benign|attacks)
      log "capturing $phase"
      start_tcpdump "$WORK/$phase.pcap" lo
      scenarios run "$phase" --sessions "$SESS/$phase.jsonl"
      stop_tcpdumps
      ;;
    small)
      log "capturing sll/sll2 (same sessions, two tcpdumps at once)"
      start_tcpdump "$WORK/sll.pcap" any LINUX_SLL
      start_tcpdump "$WORK/sll2.pcap" any LINUX_SLL2
      scenarios run small --sessions "$SESS/small.jsonl"
      stop_tcpdumps
      ;;
    ipv6)
      log "capturing ipv6"
      start_servers_v6
      start_tcpdump "$WORK/ipv6.pcap" lo
      scenarios run ipv6 --sessions "$SESS/ipv6.jsonl"
      stop_tcpdumps
      ;;
    serve) # development aid: keep the servers up until this script is interrupted
      log "serving until interrupted"; while :; do sleep 1; done ;;
    *) die "unknown phase $phase" ;;
  esac
done
stop_servers

log "labelling"
STAGE=$WORK/out
rm -rf "$STAGE"; mkdir -p "$STAGE"
scenarios label --sessions-dir "$SESS" --captures-dir "$WORK" --out "$STAGE" --readme "$OUT/README.md"
# Only now, with every connection labelled, replace what samples/ holds.
copy_capture() { # capture phase: copy it when its phase ran this time
  [ -f "$SESS/$2.jsonl" ] && cp "$WORK/$1.pcap" "$OUT/"
  return 0
}
copy_capture benign benign; copy_capture attacks attacks
copy_capture sll small; copy_capture sll2 small; copy_capture ipv6 ipv6
cp "$STAGE/labels.csv" "$OUT/"
if [ -f "$SESS/small.jsonl" ] || [ -f "$SESS/ipv6.jsonl" ]; then cp "$STAGE/labels-small.csv" "$OUT/"; fi
[ -f "$STAGE/README.md" ] && cp "$STAGE/README.md" "$OUT/README.md"
log "done: $(cd "$OUT" && ls -l -- *.pcap *.csv | awk '{print $5, $9}' | tr '\n' ' ')"
