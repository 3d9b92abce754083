#!/usr/bin/env bash
# The onebox: ZooKeeper + M meta servers + R replica servers on 127.0.0.1, plus the shell, the bench
# and the test suite. Sub-commands and options follow Pegasus's run.sh (pegasus-spec §6).
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$ROOT" || exit 1
ONEBOX="$ROOT/onebox"
ZK_DIR="$ROOT/.zk_install"
ZK_PORT=22181
LOCAL_IP=127.0.0.1
META_PORT_BASE=34600
REPLICA_PORT_BASE=34800
NODE_TS=(node --import tsx)

usage() {
  cat <<USAGE
Usage: ./run.sh <command> [options]

  help                     print this help
  start_onebox             start ZooKeeper, meta servers and replica servers on $LOCAL_IP
      -m|--meta_count N        meta servers (default 1)
      -r|--replica_count N     replica servers (default 3)
      -a|--app_name NAME       default table (default temp)
      -p|--partition_count N   partitions of the default table (default 8)
      -w|--wait_healthy        wait until every partition has a primary and all secondaries
  stop_onebox              stop every onebox process (ZooKeeper too); data is kept
  clear_onebox             stop everything and delete onebox/ and ZooKeeper's data
  list_onebox              list the running onebox processes
  start_onebox_instance -m N | -r N     start one meta or replica server with its existing config.ini
  stop_onebox_instance  -m N | -r N [--kill9]   stop one (SIGTERM, or SIGKILL with --kill9)
  restart_onebox_instance -m N | -r N
  start_zk | stop_zk | clear_zk         ZooKeeper alone (port $ZK_PORT, data in .zk_install/)
  shell [--cluster host:port,...]       the admin shell (reads commands from stdin when piped)
  bench --app_name A -t fillseq_pegasus|readrandom_pegasus[,...] -n N [--thread_num T] [--value_size B]
  test                     install what is missing, then run every test; ends with "N passed, N failed"
  install                  install what is missing (npm packages, ZooKeeper) and exit
USAGE
}

log() { echo "$@"; }
die() { echo "ERROR: $*" >&2; exit 1; }

# ---- installation --------------------------------------------------------------------------------

ensure_npm() {
  if [ -d node_modules/tsx ] && [ -d node_modules/zookeeper/build ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
    return 0
  fi
  command -v npm >/dev/null || die "npm is not installed; install Node.js 20 first"
  log "Installing npm packages (npm ci)..."
  # nodedir: the zookeeper addon builds against the local Node headers, offline (docs/stack.md §1).
  npm_config_nodedir=/usr npm ci --no-audit --no-fund >"$ROOT/.npm-install.log" 2>&1 \
    || { tail -n 20 "$ROOT/.npm-install.log" >&2; die "npm ci failed (log: .npm-install.log)"; }
}

zk_classpath() {
  local cp="" jar
  for jar in zookeeper zookeeper-jute slf4j-api slf4j-simple netty-all metrics-core commons-cli commons-io; do
    [ -f "/usr/share/java/$jar.jar" ] && cp="$cp:/usr/share/java/$jar.jar"
  done
  echo "${cp#:}"
}

ensure_zookeeper() {
  if [ -f /usr/share/java/zookeeper.jar ] && command -v java >/dev/null; then return 0; fi
  log "Installing ZooKeeper (Debian package zookeeper)..."
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y zookeeper >"$ROOT/.apt-install.log" 2>&1 \
    || { $sudo apt-get update >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y zookeeper >"$ROOT/.apt-install.log" 2>&1; } \
    || { tail -n 20 "$ROOT/.apt-install.log" >&2; die "apt-get install zookeeper failed (log: .apt-install.log)"; }
}

install_all() { ensure_npm; ensure_zookeeper; }

# ---- processes -------------------------------------------------------------------------------------

# Whether a process still holds anything (its ports, its LevelDB locks). One that exited stays a
# zombie until init reaps it, which on these VMs takes up to ~2 s, and `kill -0` succeeds on a
# zombie; but its leader turns zombie before its other threads have gone (a LevelDB thread still in
# a write keeps the process's files open), so it counts as gone only once the zombie leader is its
# last task.
alive() {  # pid
  local state tasks
  state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
  [ -n "$state" ] || return 1
  [ "$state" != Z ] && return 0
  tasks=$(ls "/proc/$1/task" 2>/dev/null | wc -l)
  [ "$tasks" -gt 1 ]
}
is_running() { [ -f "$1" ] && alive "$(cat "$1")"; }
wait_gone() { local _; for _ in $(seq 1 "$2"); do alive "$1" || return 0; sleep 0.1; done; return 1; }  # pid tenths

# "srvr" answers with the mode only once the server accepts sessions ("ruok" answers earlier).
zk_ok() { (exec 3<>/dev/tcp/$LOCAL_IP/$ZK_PORT && echo srvr >&3 && timeout 2 cat <&3) 2>/dev/null | grep -q "Mode:"; }

start_zk() {
  ensure_zookeeper
  if is_running "$ZK_DIR/zk.pid"; then return 0; fi
  if zk_ok; then die "something else answers on ZooKeeper's port $ZK_PORT; stop it first"; fi
  mkdir -p "$ZK_DIR/data"
  cat >"$ZK_DIR/zoo.cfg" <<CFG
tickTime=2000
dataDir=$ZK_DIR/data
clientPort=$ZK_PORT
clientPortAddress=$LOCAL_IP
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=ruok,stat,srvr
CFG
  nohup java -Xmx512m -cp "$(zk_classpath)" org.apache.zookeeper.server.ZooKeeperServerMain "$ZK_DIR/zoo.cfg" \
    >"$ZK_DIR/zookeeper.log" 2>&1 </dev/null &
  echo $! >"$ZK_DIR/zk.pid"
  for _ in $(seq 1 60); do
    zk_ok && { log "Zookeeper started at port $ZK_PORT"; return 0; }
    is_running "$ZK_DIR/zk.pid" || break
    sleep 0.5
  done
  tail -n 5 "$ZK_DIR/zookeeper.log" >&2
  die "ZooKeeper did not start (log: .zk_install/zookeeper.log)"
}

stop_pidfile() {  # pidfile signal
  local pid
  is_running "$1" || { rm -f "$1"; return 1; }
  pid=$(cat "$1")
  kill "-$2" "$pid" 2>/dev/null
  wait_gone "$pid" 100 || { kill -9 "$pid" 2>/dev/null; wait_gone "$pid" 50; }
  rm -f "$1"
  return 0
}

stop_zk() { stop_pidfile "$ZK_DIR/zk.pid" TERM && log "Zookeeper stopped"; return 0; }
clear_zk() { stop_zk; rm -rf "$ZK_DIR/data"; log "Clearing zookeeper ... CLEARED"; }

write_meta_config() {  # dir index meta_count app partitions
  local dir=$1 i=$2 m=$3 app=$4 parts=$5 list="" j
  for j in $(seq 1 "$m"); do list="$list,$LOCAL_IP:$((META_PORT_BASE + j))"; done
  cat >"$dir/config.ini" <<CFG
; meta server $i of the onebox
[apps.meta]
ports = $((META_PORT_BASE + i))

[network]
primary_interface = $LOCAL_IP

[meta_server]
server_list = ${list#,}
cluster_root = /pegasus/onebox/$LOCAL_IP
meta_state_service_type = meta_state_service_zookeeper
distributed_lock_service_type = distributed_lock_service_zookeeper
distributed_lock_service_parameters = /pegasus/onebox/$LOCAL_IP
recover_from_replica_server = false
hold_seconds_for_dropped_app = 604800
max_reserved_dropped_replicas = 1
empty_storage_check_seconds = 3

[meta_server.apps.$app]
app_name = $app
app_type = pegasus
partition_count = $parts
max_replica_count = 3

[replication]
cluster_name = onebox
fd_grace_seconds = 5
lb_interval_ms = 1000

[zookeeper]
hosts_list = $LOCAL_IP:$ZK_PORT
; the ZooKeeper session: a killed leader's lock goes after this long (Pegasus's default is 30000;
; the onebox takes 10000 so that a meta failover shows within seconds)
timeout_ms = 10000

[task..default]
rpc_timeout_milliseconds = 5000
CFG
}

write_replica_config() {  # dir index meta_count
  local dir=$1 i=$2 m=$3 list="" j
  for j in $(seq 1 "$m"); do list="$list,$LOCAL_IP:$((META_PORT_BASE + j))"; done
  cat >"$dir/config.ini" <<CFG
; replica server $i of the onebox
[apps.replica]
ports = $((REPLICA_PORT_BASE + i))

[network]
primary_interface = $LOCAL_IP

[meta_server]
server_list = ${list#,}

[replication]
data_dir = ./data/replica
config_sync_interval_ms = 1000
; without an answer from a meta server this long, primaries and secondaries here stop serving;
; below the metas' fd_grace_seconds (5), as Pegasus's 9 is below its 10
fd_lease_seconds = 4
mutation_log_sync = false

[task..default]
rpc_timeout_milliseconds = 5000
CFG
}

role_main() { [ "$1" = meta ] && echo "$ROOT/packages/meta/src/main.ts" || echo "$ROOT/packages/replica/src/main.ts"; }
role_port() { [ "$1" = meta ] && echo $((META_PORT_BASE + $2)) || echo $((REPLICA_PORT_BASE + $2)); }

port_open() { (exec 3<>/dev/tcp/$LOCAL_IP/$1) 2>/dev/null; }

# The onebox listens on ports inside Linux's default ephemeral range (32768-60999), from which the
# kernel also takes the local port of every outgoing connection. So one of the onebox's own
# connections (a replica server retrying a meta that is not up yet, this script's port checks)
# can hold 34802 at the moment replica@2 binds it (a fresh-clone CI run on 2026-12-04 failed
# because replica@2 found 34802 in use; this is the likely holder, not a proven one). Where we may (root on Linux), the servers' ports are added to
# net.ipv4.ip_local_reserved_ports, which the kernel never hands out as ephemeral ports; listening
# on them is unaffected. The list is only added to, and lasts until reboot.
ONEBOX_PORTS_RESERVED=0
reserve_onebox_ports() {
  [ "$ONEBOX_PORTS_RESERVED" = 1 ] && return 0
  ONEBOX_PORTS_RESERVED=1
  local file=/proc/sys/net/ipv4/ip_local_reserved_ports
  [ -w "$file" ] || return 0
  local before ports="$((META_PORT_BASE + 1))-$((META_PORT_BASE + 9)),$((REPLICA_PORT_BASE + 1))-$((REPLICA_PORT_BASE + 9))"
  before=$(cat "$file" 2>/dev/null) || return 0
  echo "${before:+$before,}$ports" >"$file" 2>/dev/null || return 0
  [ "$(cat "$file")" = "$before" ] || log "INFO: reserved ports $ports for the onebox (net.ipv4.ip_local_reserved_ports), so no outgoing connection takes them"
}

# Start one server and wait until it is up: a replica server once it listens, a meta server once it
# has decided its mode (serving or recovery) or, with several metas, once it waits as a follower
# behind the leader lock. A server that exits instead is reported with its error.
start_instance() {  # role index
  local role=$1 i=$2 dir="$ONEBOX/$1$2"
  [ -f "$dir/config.ini" ] || die "invalid ${role}_id $i: $dir/config.ini does not exist (start_onebox first)"
  if is_running "$dir/pid"; then log "INFO: $role@$i already running"; return 1; fi
  reserve_onebox_ports
  local port; port=$(role_port "$role" "$i")
  port_open "$port" && die "port $port of $role@$i is already in use by another process"
  local offset=0
  [ -f "$dir/server.log" ] && offset=$(stat -c %s "$dir/server.log")
  # exec: the pid written is the server's own, so stop_onebox_instance signals the server itself.
  (cd "$dir" && exec nohup "${NODE_TS[@]}" "$(role_main "$role")" config.ini) >>"$dir/server.log" 2>&1 </dev/null &
  echo $! >"$dir/pid"
  for _ in $(seq 1 300); do
    if [ "$role" = meta ]; then
      tail -c +$((offset + 1)) "$dir/server.log" 2>/dev/null | grep -qE "meta server .* is (serving|recovery)|waiting for the leader lock" \
        && { log "INFO: $role@$i started"; return 0; }
    else
      port_open "$port" && { log "INFO: $role@$i started"; return 0; }
    fi
    is_running "$dir/pid" || break
    sleep 0.1
  done
  if ! is_running "$dir/pid"; then
    echo "ERROR: $role@$i exited:" >&2
    tail -c +$((offset + 1)) "$dir/server.log" | grep -E "ERR_|ERROR|Error" | tail -n 3 >&2
    rm -f "$dir/pid"
    return 1
  fi
  log "INFO: $role@$i started (still starting up; see $dir/server.log)"
}

stop_instance() {  # role index signal
  local dir="$ONEBOX/$1$2"
  [ -d "$dir" ] || die "invalid ${1}_id $2: $dir does not exist"
  if stop_pidfile "$dir/pid" "$3"; then log "INFO: $1@$2 stopped"; else log "INFO: $1@$2 is not running"; return 1; fi
}

parse_instance_args() {  # sets ROLE, INDEX, SIGNAL
  ROLE=""; INDEX=""; SIGNAL=TERM
  while [ $# -gt 0 ]; do
    case "$1" in
      -m|--meta_id) ROLE=meta; INDEX=${2:-}; shift 2 || die "missing value for $1" ;;
      -r|--replica_id) ROLE=replica; INDEX=${2:-}; shift 2 || die "missing value for $1" ;;
      --kill9) SIGNAL=KILL; shift ;;
      *) die "unknown option \"$1\" (expected -m N or -r N)" ;;
    esac
  done
  [ -n "$ROLE" ] || die "specify -m N (meta) or -r N (replica)"
  [[ "$INDEX" =~ ^[1-9][0-9]*$ ]] || die "invalid ${ROLE}_id \"$INDEX\""
}

any_onebox_running() {
  local f
  for f in "$ONEBOX"/*/pid; do is_running "$f" && return 0; done
  return 1
}

wait_healthy() {
  log "Wait cluster to become healthy..."
  local out bad
  for i in $(seq 1 180); do
    out=$(echo "ls -d" | "${NODE_TS[@]}" "$ROOT/packages/shell/src/main.ts" 2>/dev/null)
    # Pegasus's check: every [healthy_info] row must have partition_count == fully_healthy.
    bad=$(echo "$out" | awk '/ fully_healthy /{h=1; next} h && NF>=7 && $1 ~ /^[0-9]+$/ && $3 != $4 {print}')
    if echo "$out" | grep -q ' fully_healthy ' && [ -z "$bad" ]; then log "Cluster becomes healthy."; return 0; fi
    log "Sleeped for $i seconds"
    sleep 1
  done
  die "the cluster did not become healthy in 180 s; see onebox/*/server.log"
}

start_onebox() {
  local m=1 r=3 app=temp parts=8 wait=0
  while [ $# -gt 0 ]; do
    case "$1" in
      -m|--meta_count) m=${2:-}; shift 2 || die "missing value for $1" ;;
      -r|--replica_count) r=${2:-}; shift 2 || die "missing value for $1" ;;
      -a|--app_name) app=${2:-}; shift 2 || die "missing value for $1" ;;
      -p|--partition_count) parts=${2:-}; shift 2 || die "missing value for $1" ;;
      -w|--wait_healthy) wait=1; shift ;;
      *) die "unknown option \"$1\" of start_onebox; see ./run.sh help" ;;
    esac
  done
  [[ "$m" =~ ^[1-9]$ ]] || die "invalid meta count \"$m\" (1..9)"
  [[ "$r" =~ ^[1-9]$ ]] || die "invalid replica count \"$r\" (1..9)"
  [[ "$parts" =~ ^[1-9][0-9]*$ ]] || die "invalid partition count \"$parts\""
  [[ "$app" =~ ^[A-Za-z0-9_.-]+$ ]] || die "invalid app name \"$app\""
  any_onebox_running && die "some onebox processes are running, start failed"
  install_all
  start_zk
  mkdir -p "$ONEBOX"
  local i
  # Replica servers first, so that the meta's empty-storage check hears from them.
  for i in $(seq 1 "$r"); do
    mkdir -p "$ONEBOX/replica$i"
    [ -f "$ONEBOX/replica$i/config.ini" ] || write_replica_config "$ONEBOX/replica$i" "$i" "$m"
    start_instance replica "$i" || die "replica@$i did not start"
  done
  for i in $(seq 1 "$m"); do
    mkdir -p "$ONEBOX/meta$i"
    [ -f "$ONEBOX/meta$i/config.ini" ] || write_meta_config "$ONEBOX/meta$i" "$i" "$m" "$app" "$parts"
    start_instance meta "$i" || die "meta@$i did not start"
  done
  [ "$wait" = 1 ] && wait_healthy
  return 0
}

stop_onebox() {
  local f
  for f in "$ONEBOX"/*/pid; do
    [ -f "$f" ] || continue
    stop_pidfile "$f" TERM && log "INFO: $(basename "$(dirname "$f")") stopped"
  done
  stop_zk
  return 0
}

clear_onebox() {
  stop_onebox
  clear_zk
  rm -rf "$ONEBOX" "$ROOT"/config-*.ini
  log "onebox cleared"
}

list_onebox() {
  local f
  is_running "$ZK_DIR/zk.pid" && echo "zookeeper  pid $(cat "$ZK_DIR/zk.pid")  port $ZK_PORT"
  for f in "$ONEBOX"/*/pid; do
    is_running "$f" && echo "$(basename "$(dirname "$f")")  pid $(cat "$f")"
  done
  return 0
}

cmd=${1:-help}
[ $# -gt 0 ] && shift
case "$cmd" in
  help|-h|--help) usage ;;
  install) install_all ;;
  start_zk) start_zk ;;
  stop_zk) stop_zk ;;
  clear_zk) clear_zk ;;
  start_onebox) start_onebox "$@" ;;
  stop_onebox) stop_onebox ;;
  clear_onebox) clear_onebox ;;
  list_onebox) list_onebox ;;
  start_onebox_instance) parse_instance_args "$@"; start_instance "$ROLE" "$INDEX" ;;
  stop_onebox_instance) parse_instance_args "$@"; stop_instance "$ROLE" "$INDEX" "$SIGNAL" ;;
  restart_onebox_instance) parse_instance_args "$@"; stop_instance "$ROLE" "$INDEX" "$SIGNAL"; start_instance "$ROLE" "$INDEX" ;;
  shell) ensure_npm; exec "${NODE_TS[@]}" "$ROOT/packages/shell/src/main.ts" "$@" ;;
  bench) ensure_npm; exec "${NODE_TS[@]}" "$ROOT/bench/main.ts" "$@" ;;
  test) install_all; exec "${NODE_TS[@]}" "$ROOT/scripts/run_tests.ts" "$@" ;;
  *) echo "ERROR: unknown command \"$cmd\"" >&2; usage >&2; exit 1 ;;
esac
