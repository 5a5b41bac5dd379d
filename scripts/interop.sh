#!/usr/bin/env bash
# Interoperability against FTPS software we did not write, on 127.0.0.1 only.
#
#   our clients (tokio example; std example when it exists)
#       -> pyftpdlib  (explicit FTPS)
#       -> vsftpd     (require_ssl_reuse=YES; explicit and implicit FTPS)
#   lftp -> our servers (tokio example; std example when it exists), explicit and implicit
#
# Needs root (apt-get, a local user for vsftpd). Installs what it needs: lftp and vsftpd's
# libraries from Debian (vsftpd itself is unpacked with dpkg-deb, never installed: its install
# scripts would start a daemon on port 21), pyftpdlib + pyOpenSSL from PyPI into a temp dir.
# Every step runs under `timeout`; every loop is bounded; every server started here is killed
# on exit. Prints a matrix (peer x client x mode: ok/FAIL) and exits non-zero on any failure,
# a peer that cannot be set up included: nothing is skipped.
#
# Environment: INTEROP_STEP_TIMEOUT (seconds per step, default 60), INTEROP_KEEP=1 keeps the
# temp dir (logs, roots) for inspection; INTEROP_SKIP_BUILD=1 uses the examples already built.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
here=$repo/scripts/interop
step_timeout=${INTEROP_STEP_TIMEOUT:-60}
export DEBIAN_FRONTEND=noninteractive

log() { printf '[interop %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }

if [ "$(id -u)" != 0 ]; then
  log "must run as root (apt-get, a local user for vsftpd)"
  exit 1
fi

# One run at a time per machine: runs share the vsftpd user (its password) and the PAM file.
lock_dir=/run/lock
[ -d "$lock_dir" ] && [ -w "$lock_dir" ] || lock_dir=/tmp
exec 9>"$lock_dir/ftps-interop.lock"
if ! flock -w 1800 9; then
  log "another interop run held the lock for 30 minutes"
  exit 1
fi

work=$(mktemp -d /tmp/ftps-interop.XXXXXX)
chmod 755 "$work" # vsftpd's unprivileged processes and apt's _apt user look inside
pam_service=ftps-interop-vsftpd
server_pids=()

cleanup() {
  local pid _
  for pid in "${server_pids[@]}"; do
    # Each server was started with setsid: its process group holds its session children.
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${server_pids[@]}"; do
    for _ in $(seq 1 30); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -f "/etc/pam.d/$pam_service"
  if [ "${INTEROP_KEEP:-0}" = 1 ]; then
    log "kept $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------
matrix=()   # "peer|client|mode|ok or FAIL|failed steps"
failures=0

record() { # peer client mode failed-steps... (uses case_steps: how many steps the case ran)
  local peer=$1 client=$2 mode=$3
  shift 3
  if [ $# -eq 0 ]; then
    matrix+=("$peer|$client|$mode|ok|")
  elif [ $# -eq "$case_steps" ]; then
    matrix+=("$peer|$client|$mode|FAIL|every step ($#)")
    failures=$((failures + 1))
  else
    matrix+=("$peer|$client|$mode|FAIL|$*")
    failures=$((failures + 1))
  fi
}

print_matrix() {
  local row peer client mode result steps
  printf '\n==== interop matrix\n'
  printf '%-22s %-14s %-18s %-6s %s\n' peer client mode result "failed steps"
  for row in "${matrix[@]}"; do
    IFS='|' read -r peer client mode result steps <<<"$row"
    printf '%-22s %-14s %-18s %-6s %s\n' "$peer" "$client" "$mode" "$result" "$steps"
  done
  printf 'interop: %d passed, %d failed\n' "$((${#matrix[@]} - failures))" "$failures"
}

# ---------------------------------------------------------------------------------------------
# Setup helpers
# ---------------------------------------------------------------------------------------------
sha() { sha256sum "$1" | cut -d' ' -f1; }

# A contiguous block of free loopback ports below the kernel's ephemeral range.
free_block() { # count
  timeout 30 python3 - "$1" <<'EOF'
import random, socket, sys
n = int(sys.argv[1])
for _ in range(200):
    base = random.randrange(20000, 32000 - n)
    socks = []
    try:
        for p in range(base, base + n):
            s = socket.socket()
            socks.append(s)
            s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        for s in socks:
            s.close()
    print(base)
    sys.exit(0)
sys.exit("no free port block")
EOF
}

# Waits (bounded) until PID listens on PORT; fails if PID died or time ran out.
wait_listening() { # pid port what
  local _
  for _ in $(seq 1 150); do
    kill -0 "$1" 2>/dev/null || { log "$3 exited before listening"; return 1; }
    if (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  log "$3 not listening on 127.0.0.1:$2 after 15 s"
  return 1
}

start_server() { # log-file what command... ; sets $started_pid
  local logf=$1 what=$2
  shift 2
  setsid "$@" >"$logf" 2>&1 </dev/null &
  started_pid=$!
  server_pids+=("$started_pid")
  log "started $what (pid $started_pid)"
}

dump_log() { # file
  [ -f "$1" ] || return 0
  printf '  --- last lines of %s\n' "${1#"$work"/}"
  tail -n 25 "$1" | sed 's/^/  | /'
}

# ---------------------------------------------------------------------------------------------
# Install and build
# ---------------------------------------------------------------------------------------------
log "installing packages (apt: lftp, openssl, vsftpd's libraries; pip: pyftpdlib, pyOpenSSL)"
timeout 600 apt-get update -qq
timeout 900 apt-get install -y -qq --no-install-recommends \
  lftp openssl ca-certificates libwrap0 libcap2 libssl3 libpam0g libpam-modules libpam-runtime \
  >"$work/apt.log" 2>&1 || { tail -n 30 "$work/apt.log"; exit 1; }
mkdir -m 755 "$work/deb"
id _apt >/dev/null 2>&1 && chown _apt "$work/deb" # apt downloads as _apt
(cd "$work/deb" && timeout 300 apt-get download -qq vsftpd)
timeout 60 dpkg-deb -x "$work"/deb/vsftpd_*.deb "$work/vsftpd-pkg"
vsftpd_bin=$work/vsftpd-pkg/usr/sbin/vsftpd
if ldd "$vsftpd_bin" | grep -q 'not found'; then
  ldd "$vsftpd_bin"
  log "vsftpd is missing libraries"
  exit 1
fi
if ! python3 -m pip --version >/dev/null 2>&1; then
  timeout 900 apt-get install -y -qq --no-install-recommends python3-pip >>"$work/apt.log" 2>&1
fi
# --target: a private dir, so the system's (PEP 668 externally managed) Python stays untouched.
timeout 600 python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore \
  --target "$work/py" pyftpdlib==2.2.0 pyopenssl==26.4.0
log "lftp $(lftp --version | head -1 | grep -o 'Version [^ ]*'), $(dpkg-deb -f "$work"/deb/vsftpd_*.deb Package Version | tr '\n' ' '), $(PYTHONPATH="$work/py" python3 -c 'import pyftpdlib, OpenSSL; print("pyftpdlib", pyftpdlib.__ver__, "pyOpenSSL", OpenSSL.__version__)')"

log "building the examples"
target_dir=$(cargo metadata -q --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
# Both adapters name their examples ftps-client / ftps-server, and cargo links each to the same
# target/debug/examples/NAME: copy each adapter's pair aside right after its build.
bin=$work/bin
mkdir -p "$bin"
build_examples() { # adapter
  local ex
  if [ "${INTEROP_SKIP_BUILD:-0}" != 1 ]; then
    timeout 1800 cargo build -q -p "ftps-proto-$1" --examples
  elif [ "$1" = std ]; then
    return 1 # target/debug/examples/ may hold the tokio binaries under the same names
  fi
  for ex in ftps-client ftps-server; do
    if [ -f "ftps-proto-$1/examples/$ex.rs" ]; then
      cp "$target_dir/debug/examples/$ex" "$bin/$1-$ex"
    fi
  done
}
have_std_client=0
have_std_server=0
[ -f ftps-proto-std/examples/ftps-client.rs ] && have_std_client=1
[ -f ftps-proto-std/examples/ftps-server.rs ] && have_std_server=1
if [ $have_std_client = 1 ] || [ $have_std_server = 1 ]; then
  build_examples std || { have_std_client=0 have_std_server=0; }
fi
build_examples tokio # last, so target/debug/examples/ holds the tokio ones as before
log "std client example: $([ $have_std_client = 1 ] && echo present || echo 'not run (absent or not built)')," \
  "std server example: $([ $have_std_server = 1 ] && echo present || echo 'not run (absent or not built)')"

# ---------------------------------------------------------------------------------------------
# Certificates: a CA and a leaf for localhost / 127.0.0.1 (the peers' certificate)
# ---------------------------------------------------------------------------------------------
pki=$work/pki
mkdir -p "$pki"
(
  cd "$pki"
  timeout 60 openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=ftps-proto interop CA" \
    -keyout ca.key -out ca.pem 2>/dev/null
  timeout 60 openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout peer.key -out peer.csr 2>/dev/null
  printf '%s\n' 'subjectAltName=DNS:localhost,IP:127.0.0.1' 'basicConstraints=critical,CA:FALSE' \
    'keyUsage=critical,digitalSignature,keyEncipherment' 'extendedKeyUsage=serverAuth' >leaf.ext
  timeout 60 openssl x509 -req -in peer.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
    -extfile leaf.ext -out peer.pem 2>/dev/null
  chmod 600 ca.key peer.key
)
ca=$pki/ca.pem

# Test data: a seed file placed in every server root, and files to upload.
data=$work/data
mkdir -p "$data"
head -c 1048576 /dev/urandom >"$data/seed.bin"
head -c 3145745 /dev/urandom >"$data/up.bin" # 3 MiB + 17: not a multiple of any buffer size
head -c 70001 /dev/urandom >"$data/tail.bin"
: >"$data/empty.bin"
# Resume checks: the part already there (remote for put, local for get) starts with a marker the
# full file does not have, so a transfer that silently starts again from 0 cannot pass.
marked_head() { # file : its first 100000 bytes, the first 21 replaced by a marker
  printf 'interop-resume-marker'
  head -c 100000 "$1" | tail -c +22
}
marked_head "$data/up.bin" >"$data/up-part.bin"
cat "$data/up-part.bin" <(tail -c +100001 "$data/up.bin") >"$data/up-resumed.bin"
marked_head "$data/seed.bin" >"$data/seed-part.bin"
cat "$data/seed-part.bin" <(tail -c +100001 "$data/seed.bin") >"$data/seed-resumed.bin"

seed_root() { # dir [owner]
  mkdir -p "$1"
  cp "$data/seed.bin" "$1/seed.bin"
  if [ $# -gt 1 ]; then chown -R "$2" "$1"; fi
}

ports_base=$(free_block 160)
next_port=$ports_base
take_port() { take_port_v=$next_port; next_port=$((next_port + 1)); }
take_range() { take_range_v="$next_port-$((next_port + 19))"; next_port=$((next_port + 20)); }

# ---------------------------------------------------------------------------------------------
# Peers
# ---------------------------------------------------------------------------------------------
# pyftpdlib, explicit FTPS.
setup_pyftpdlib() {
  take_port; py_port=$take_port_v
  take_range
  py_root=$work/pyftpdlib-root
  seed_root "$py_root"
  py_user=pyuser
  py_pass=$(openssl rand -hex 12)
  start_server "$work/pyftpdlib.out" pyftpdlib env PYTHONPATH="$work/py" \
    python3 "$here/pyftpd_server.py" --port "$py_port" --root "$py_root" --user "$py_user" \
    --password "$py_pass" --cert "$pki/peer.pem" --key "$pki/peer.key" \
    --passive-ports "$take_range_v" --log "$work/pyftpdlib.log"
  wait_listening "$started_pid" "$py_port" pyftpdlib || return 1
  timeout 30 curl -sS --ssl-reqd --cacert "$ca" --user "$py_user:$py_pass" \
    "ftp://127.0.0.1:$py_port/" >"$work/pyftpdlib.curl" 2>&1 || {
    cat "$work/pyftpdlib.curl"
    return 1
  }
  grep -q seed.bin "$work/pyftpdlib.curl" || return 1
  log "pyftpdlib ready on 127.0.0.1:$py_port (curl lists the root)"
}

# vsftpd, require_ssl_reuse=YES, explicit and implicit: one instance each.
vs_user=ftpsinterop
setup_vsftpd_user() {
  # vsftpd changes into the user's home before local_root: a home that exists, in this run's dir.
  mkdir -p "$work/vsftpd-home"
  if id "$vs_user" >/dev/null 2>&1; then
    usermod --home "$work/vsftpd-home" "$vs_user"
  else
    useradd --system --no-create-home --home-dir "$work/vsftpd-home" --shell /usr/sbin/nologin \
      "$vs_user"
  fi
  chown "$vs_user" "$work/vsftpd-home"
  vs_pass=$(openssl rand -hex 12)
  printf '%s:%s\n' "$vs_user" "$vs_pass" | chpasswd
  cp "$here/pam-vsftpd" "/etc/pam.d/$pam_service"
  mkdir -p "$work/vsftpd-empty"
  chmod 755 "$work/vsftpd-empty"
}

setup_vsftpd() { # explicit|implicit ; sets vs_port_<mode>, vs_root_<mode>
  local mode=$1 implicit=NO port root conf scheme
  [ "$mode" = implicit ] && implicit=YES
  take_port; port=$take_port_v
  take_range
  root=$work/vsftpd-$mode-root
  seed_root "$root" "$vs_user"
  conf=$work/vsftpd-$mode.conf
  sed -e "s|@PORT@|$port|" -e "s|@ROOT@|$root|" -e "s|@EMPTY_DIR@|$work/vsftpd-empty|" \
    -e "s|@PAM_SERVICE@|$pam_service|" -e "s|@PASV_MIN@|${take_range_v%-*}|" \
    -e "s|@PASV_MAX@|${take_range_v#*-}|" -e "s|@IMPLICIT@|$implicit|" \
    -e "s|@CERT@|$pki/peer.pem|" -e "s|@KEY@|$pki/peer.key|" \
    -e "s|@LOG@|$work/vsftpd-$mode.log|" "$here/vsftpd.conf.in" >"$conf"
  start_server "$work/vsftpd-$mode.out" "vsftpd ($mode)" "$vsftpd_bin" "$conf"
  wait_listening "$started_pid" "$port" "vsftpd ($mode)" || return 1
  scheme=ftp
  [ "$mode" = implicit ] && scheme=ftps
  timeout 30 curl -sS --ssl-reqd --cacert "$ca" --user "$vs_user:$vs_pass" \
    "$scheme://127.0.0.1:$port/" >"$work/vsftpd-$mode.curl" 2>&1 || {
    cat "$work/vsftpd-$mode.curl"
    return 1
  }
  grep -q seed.bin "$work/vsftpd-$mode.curl" || return 1
  printf -v "vs_port_$mode" %s "$port"
  printf -v "vs_root_$mode" %s "$root"
  log "vsftpd ($mode) ready on 127.0.0.1:$port (curl lists the root)"
}

# Our server examples: NAME (tokio|std), explicit|implicit; sets srv_port / srv_root / srv_cert.
setup_our_server() { # adapter mode
  local adapter=$1 mode=$2 tls=explicit-required port root
  [ "$mode" = implicit ] && tls=implicit
  take_port; port=$take_port_v
  take_range
  root=$work/$adapter-server-$mode-root
  seed_root "$root"
  start_server "$work/$adapter-server-$mode.out" "$adapter server ($mode)" env NO_COLOR=1 \
    "$bin/$adapter-ftps-server" --listen "127.0.0.1:$port" --root "$root" --user lftpuser \
    --password lftp-pass --write-cert "$work/$adapter-server-$mode-cert.pem" --tls "$tls" \
    --passive-ports "$take_range_v"
  wait_listening "$started_pid" "$port" "$adapter server ($mode)" || return 1
  srv_port=$port
  srv_root=$root
  srv_cert=$work/$adapter-server-$mode-cert.pem
  log "$adapter server ($mode) ready on 127.0.0.1:$port"
}

# ---------------------------------------------------------------------------------------------
# Test steps. A step is a function; `step NAME FUNC ARGS...` runs it with its output in the
# case's directory and remembers the names of the steps that failed.
# ---------------------------------------------------------------------------------------------
case_failed=()
case_steps=0
case_dir=
step() { # name function args...
  local name=$1
  shift
  case_steps=$((case_steps + 1))
  if "$@" >"$case_dir/$name.out" 2>"$case_dir/$name.err"; then
    return 0
  fi
  case_failed+=("$name")
  log "    FAIL $name"
  tail -n 12 "$case_dir/$name.err" | sed 's/^/      err| /'
  tail -n 5 "$case_dir/$name.out" | sed 's/^/      out| /'
  return 0
}

expect_eq() { # what actual expected
  [ "$2" = "$3" ] && return 0
  echo "$1: got '$2', expected '$3'" >&2
  return 1
}

# Removing and renaming steps first check that the thing is there (a no-op must not pass).
on_server() { [ -e "$1" ] || { echo "precondition: ${1##*/} is not on the server" >&2; return 1; }; }

expect_same_file() { # what actual-file expected-file
  if [ ! -f "$2" ]; then
    echo "$1: $2 does not exist" >&2
    return 1
  fi
  expect_eq "$1 sha256" "$(sha "$2")" "$(sha "$3")"
}

# ---- our client examples against a peer
# Globals for a case: cl_bin, cl_flags (array), cl_url, cl_root (server-side dir), cl_mlsd (yes|500)
c() { timeout -k 5 "$step_timeout" "$cl_bin" --timeout 20 --cacert "$ca" "${cl_flags[@]}" "$cl_url" "$@"; }

t_pwd() { local o; o=$(c pwd) || return 1; expect_eq "pwd" "$o" "/"; }
t_feat() { c feat || return 1; }
t_feat_check() { grep -qi 'size' "$case_dir/feat.out" || { echo "FEAT output names no SIZE" >&2; return 1; }; }
t_ls() { c ls >"$case_dir/ls.txt" || return 1; grep -q 'seed\.bin' "$case_dir/ls.txt" || { echo "seed.bin not in LIST" >&2; return 1; }; }
t_nlst() { local o; o=$(c nlst) || return 1; grep -qx 'seed\.bin\|/seed\.bin' <<<"$o" || { echo "seed.bin not in NLST: $o" >&2; return 1; }; }
t_mlsd() {
  local o
  if [ "$cl_mlsd" = 500 ]; then
    # vsftpd has no MLSD: the client must fail and say what the server replied.
    if c mlsd >"$case_dir/mlsd.txt" 2>"$case_dir/mlsd.stderr"; then
      echo "MLSD succeeded against a server without MLSD" >&2
      return 1
    fi
    cat "$case_dir/mlsd.stderr" >&2
    grep -q '500' "$case_dir/mlsd.stderr" || { echo "error does not carry the 500 reply" >&2; return 1; }
    return 0
  fi
  o=$(c mlsd) || return 1
  grep -Eq "^file +1048576 +[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} seed\.bin$" <<<"$o" ||
    { echo "no 'file 1048576 <time> seed.bin' entry in: $o" >&2; return 1; }
}
t_size() { local o; o=$(c size "$1") || return 1; expect_eq "size $1" "$o" "$2"; }
t_mdtm() { local o; o=$(c mdtm seed.bin) || return 1; [[ "$o" =~ ^[0-9]{14}$ ]] || { echo "mdtm printed '$o'" >&2; return 1; }; }
t_get() { # remote local expected
  rm -f "$2"
  c get "$1" "$2" || return 1
  expect_same_file "get $1" "$2" "$3"
}
t_get_resume() { # remote local : the local part is $data/seed-part.bin
  cp "$data/seed-part.bin" "$2"
  c get "$1" "$2" --resume || return 1
  expect_same_file "get --resume $1 (the marked local head must stay)" "$2" "$data/seed-resumed.bin"
}
t_mkdir() { c mkdir "$1" || return 1; [ -d "$cl_root/$1" ] || { echo "$1 not created on the server" >&2; return 1; }; }
t_put() { # local remote
  c put "$1" "$2" || return 1
  expect_same_file "server-side $2" "$cl_root/$2" "$1"
}
t_put_resume() { # remote : uploads the marked head, then up.bin with --resume
  c put "$data/up-part.bin" "$1" || return 1
  expect_same_file "server-side partial $1" "$cl_root/$1" "$data/up-part.bin" || return 1
  c put "$data/up.bin" "$1" --resume || return 1
  expect_same_file "server-side resumed $1 (the marked head must stay)" "$cl_root/$1" \
    "$data/up-resumed.bin"
}
t_append() { # remote
  on_server "$cl_root/$1" || return 1
  cat "$cl_root/$1" "$data/tail.bin" >"$case_dir/appended.expected"
  c append "$data/tail.bin" "$1" || return 1
  expect_same_file "server-side appended $1" "$cl_root/$1" "$case_dir/appended.expected"
}
t_mv() {
  on_server "$cl_root/$1" || return 1
  c mv "$1" "$2" || return 1
  [ -e "$cl_root/$1" ] && { echo "$1 still there after mv" >&2; return 1; }
  [ -f "$cl_root/$2" ] || { echo "$2 missing after mv" >&2; return 1; }
}
t_rm() {
  on_server "$cl_root/$1" || return 1
  c rm "$1" || return 1
  [ ! -e "$cl_root/$1" ] || { echo "$1 still there after rm" >&2; return 1; }
}
t_rmdir() {
  on_server "$cl_root/$1" || return 1
  c rmdir "$1" || return 1
  [ ! -e "$cl_root/$1" ] || { echo "$1 still there after rmdir" >&2; return 1; }
}

client_case() { # peer client mode bin url root mlsd flags...
  local peer=$1 client=$2 mode=$3 d
  cl_bin=$4 cl_url=$5 cl_root=$6 cl_mlsd=$7
  shift 7
  cl_flags=("$@")
  case_dir=$work/cases/$peer.$client.${mode//\//-}
  mkdir -p "$case_dir"
  case_failed=()
  case_steps=0
  d="d-$client-${mode//\//-}"
  log "  $client client -> $peer, $mode ${cl_flags[*]}"
  step pwd t_pwd
  step feat t_feat
  step feat-names-size t_feat_check
  step ls t_ls
  step nlst t_nlst
  step mlsd t_mlsd
  step size-seed t_size seed.bin 1048576
  step mdtm t_mdtm
  step get-seed t_get seed.bin "$case_dir/seed.bin" "$data/seed.bin"
  step get-resume t_get_resume seed.bin "$case_dir/seed-resumed.bin"
  step mkdir t_mkdir "$d"
  step put t_put "$data/up.bin" "$d/up.bin"
  step size-put t_size "$d/up.bin" 3145745
  step get-put t_get "$d/up.bin" "$case_dir/up.bin" "$data/up.bin"
  step put-empty t_put "$data/empty.bin" "$d/empty.bin"
  step size-empty t_size "$d/empty.bin" 0
  step put-resume t_put_resume "$d/resumed.bin"
  step append t_append "$d/resumed.bin"
  step mv t_mv "$d/up.bin" "$d/moved.bin"
  step rm t_rm "$d/moved.bin"
  step rm-empty t_rm "$d/empty.bin"
  step rm-resumed t_rm "$d/resumed.bin"
  step rmdir t_rmdir "$d"
  record "$peer" "$client" "$mode" "${case_failed[@]}"
}

# ---- lftp against our servers
# Globals for a case: lf_open (the open command), lf_root, lf_passive (on|off), lf_ca
l() {
  timeout -k 5 "$step_timeout" lftp -c "set cmd:fail-exit yes; set cmd:interactive no;
    set net:timeout 10; set net:max-retries 2; set net:reconnect-interval-base 1;
    set ftp:ssl-force true; set ftp:ssl-protect-data true; set ftp:ssl-protect-list true;
    set ssl:verify-certificate yes; set ssl:ca-file $lf_ca; set ftp:passive-mode $lf_passive;
    set xfer:clobber on; set ftp:use-mlsd on; $lf_open; $*"
}
tl_pwd() { local o; o=$(l 'quote PWD') || return 1; grep -q '^257 "/"' <<<"$o" || { echo "PWD reply: $o" >&2; return 1; }; }
tl_feat() { local o; o=$(l 'quote FEAT') || return 1; grep -q '^211 ' <<<"$o" || { echo "FEAT reply: $o" >&2; return 1; }; }
tl_ls() { local o; o=$(l ls) || return 1; grep -q 'seed\.bin' <<<"$o" || { echo "seed.bin not in ls: $o" >&2; return 1; }; }
tl_cls() { local o; o=$(l 'cls -1') || return 1; grep -qx 'seed\.bin' <<<"$o" || { echo "seed.bin not in cls (MLSD): $o" >&2; return 1; }; }
tl_get() { # remote local expected
  rm -f "$2"
  l "get $1 -o $2" || return 1
  expect_same_file "get $1" "$2" "$3"
}
tl_get_resume() { # remote local
  cp "$data/seed-part.bin" "$2"
  l "get -c $1 -o $2" || return 1
  expect_same_file "get -c $1 (the marked local head must stay)" "$2" "$data/seed-resumed.bin"
}
tl_size() { local o; o=$(l "quote SIZE $1") || return 1; expect_eq "SIZE $1" "$o" "213 $2"; }
tl_mkdir() { l "mkdir $1" || return 1; [ -d "$lf_root/$1" ] || { echo "$1 not created" >&2; return 1; }; }
tl_put() { # local remote
  l "put $1 -o $2" || return 1
  expect_same_file "server-side $2" "$lf_root/$2" "$1"
}
tl_put_resume() { # remote
  l "put $data/up-part.bin -o $1" || return 1
  expect_same_file "server-side partial $1" "$lf_root/$1" "$data/up-part.bin" || return 1
  l "put -c $data/up.bin -o $1" || return 1
  expect_same_file "server-side resumed $1 (the marked head must stay)" "$lf_root/$1" \
    "$data/up-resumed.bin"
}
tl_mv() {
  on_server "$lf_root/$1" || return 1
  l "mv $1 $2" || return 1
  [ -e "$lf_root/$1" ] && { echo "$1 still there after mv" >&2; return 1; }
  [ -f "$lf_root/$2" ] || { echo "$2 missing after mv" >&2; return 1; }
}
tl_rm() {
  on_server "$lf_root/$1" || return 1
  l "rm $1" || return 1
  [ ! -e "$lf_root/$1" ] || { echo "$1 still there" >&2; return 1; }
}
tl_rmdir() {
  on_server "$lf_root/$1" || return 1
  l "rmdir $1" || return 1
  [ ! -e "$lf_root/$1" ] || { echo "$1 still there" >&2; return 1; }
}
# The session really is FTPS with a protected data channel: AUTH TLS (or implicit TLS), PROT P
# accepted, and a listing that completed over it.
tl_prot_p() {
  local dbg=$case_dir/lftp-debug.txt
  l "debug -o $dbg -t 5; ls" >/dev/null || return 1
  case $lf_open in
    *ftps://*) ;;
    *) grep -q -- '---> AUTH TLS' "$dbg" || { echo "no AUTH TLS sent" >&2; return 1; } ;;
  esac
  grep -A1 -- '---> PROT P' "$dbg" | grep -q -- '<--- 200' || { echo "PROT P not accepted" >&2; return 1; }
  grep -A3 -- '---> LIST' "$dbg" | grep -q -- '<--- 226' || { echo "LIST did not end in 226" >&2; return 1; }
}

lftp_case() { # server-name mode url root cert passive(on|off)
  local server=$1 mode=$2 d
  lf_open="open -u lftpuser,lftp-pass $3"
  lf_root=$4 lf_ca=$5 lf_passive=$6
  case_dir=$work/cases/$server.lftp.${mode//\//-}
  mkdir -p "$case_dir"
  case_failed=()
  case_steps=0
  d="d-lftp-${mode//\//-}"
  log "  lftp -> $server, $mode"
  step prot-p tl_prot_p
  step pwd tl_pwd
  step feat tl_feat
  step ls tl_ls
  step cls-mlsd tl_cls
  step get-seed tl_get seed.bin "$case_dir/seed.bin" "$data/seed.bin"
  step get-resume tl_get_resume seed.bin "$case_dir/seed-resumed.bin"
  step size-seed tl_size seed.bin 1048576
  step mkdir tl_mkdir "$d"
  step put tl_put "$data/up.bin" "$d/up.bin"
  step get-put tl_get "$d/up.bin" "$case_dir/up.bin" "$data/up.bin"
  step put-empty tl_put "$data/empty.bin" "$d/empty.bin"
  step put-resume tl_put_resume "$d/resumed.bin"
  step mv tl_mv "$d/up.bin" "$d/moved.bin"
  step rm tl_rm "$d/moved.bin"
  step rm-empty tl_rm "$d/empty.bin"
  step rm-resumed tl_rm "$d/resumed.bin"
  step rmdir tl_rmdir "$d"
  record "$server" lftp "$mode" "${case_failed[@]}"
}

# ---------------------------------------------------------------------------------------------
# Run
# ---------------------------------------------------------------------------------------------
clients=(tokio)
[ $have_std_client = 1 ] && clients+=(std)

log "setting up the peers"
setup_vsftpd_user
peer_logs=()

run_client_cases() { # peer setup-ok url-scheme port root mlsd modes...
  local peer=$1 ok=$2 scheme=$3 port=$4 root=$5 mlsd=$6 client mode flags
  shift 6
  for client in "${clients[@]}"; do
    for mode in "$@"; do
      if [ "$ok" != 1 ]; then
        case_steps=0
        record "$peer" "$client" "$mode" "peer-setup"
        continue
      fi
      case $mode in
        */epsv) flags=() ;;
        */pasv) flags=(--no-epsv) ;;
        */active) flags=(--active) ;;
      esac
      client_case "$peer" "$client" "$mode" "$bin/$client-ftps-client" \
        "$scheme://$peer_user:$peer_pass@127.0.0.1:$port/" "$root" "$mlsd" "${flags[@]}"
    done
  done
}

# pyftpdlib (explicit FTPS only)
ok=1
setup_pyftpdlib || { ok=0; log "pyftpdlib setup FAILED"; }
peer_logs+=("$work/pyftpdlib.out" "$work/pyftpdlib.log")
peer_user=$py_user peer_pass=$py_pass
log "cases against pyftpdlib"
run_client_cases pyftpdlib "$ok" ftp "${py_port:-0}" "${py_root:-}" yes \
  explicit/epsv explicit/pasv explicit/active

# vsftpd, require_ssl_reuse=YES (MLSD is not a vsftpd command: the client must report its 500)
peer_user=$vs_user peer_pass=$vs_pass
for vs_mode in explicit implicit; do
  ok=1
  setup_vsftpd "$vs_mode" || { ok=0; log "vsftpd ($vs_mode) setup FAILED"; }
  peer_logs+=("$work/vsftpd-$vs_mode.out" "$work/vsftpd-$vs_mode.log")
  port_var=vs_port_$vs_mode root_var=vs_root_$vs_mode
  scheme=ftp
  [ "$vs_mode" = implicit ] && scheme=ftps
  log "cases against vsftpd ($vs_mode)"
  run_client_cases vsftpd "$ok" "$scheme" "${!port_var:-0}" "${!root_var:-}" 500 \
    "$vs_mode/epsv" "$vs_mode/pasv" "$vs_mode/active"
done

# lftp against our servers
servers=(tokio)
[ $have_std_server = 1 ] && servers+=(std)
for adapter in "${servers[@]}"; do
  for srv_mode in explicit implicit; do
    ok=1
    setup_our_server "$adapter" "$srv_mode" || { ok=0; log "$adapter server ($srv_mode) setup FAILED"; }
    peer_logs+=("$work/$adapter-server-$srv_mode.out")
    scheme=ftp
    [ "$srv_mode" = implicit ] && scheme=ftps
    log "cases: lftp against the $adapter server ($srv_mode)"
    for lf_mode in passive active; do
      if [ $ok != 1 ]; then
        case_steps=0
        record "$adapter-server" lftp "$srv_mode/$lf_mode" "server-setup"
        continue
      fi
      lftp_case "$adapter-server" "$srv_mode/$lf_mode" "$scheme://127.0.0.1:$srv_port" \
        "$srv_root" "$srv_cert" "$([ $lf_mode = passive ] && echo on || echo off)"
    done
  done
done

print_matrix
if [ "$failures" -gt 0 ]; then
  printf '\n==== server logs (tails)\n'
  for f in "${peer_logs[@]}"; do dump_log "$f"; done
  exit 1
fi
