#!/usr/bin/env bash
# A three-node Tandem cluster on loopback: node 1 on side A, node 2 on side B, node 3 the
# witness. Everything lives under deploy/local/run/ (data, logs, configs, certificates).
#
#   cluster.sh up            start all three (first time: make certificates and configs)
#   cluster.sh status        tandem cluster status
#   cluster.sh kill N        SIGKILL node N (watch the failover with `status`)
#   cluster.sh start N       start node N again (it catches up)
#   cluster.sh join N SIDE   start a new node N and add it as a learner (then: promote N)
#   cluster.sh promote N     make learner N a voter
#   cluster.sh remove N      remove node N from the membership
#   cluster.sh down          stop every node (keeps data; `clean` deletes it)
#   cluster.sh clean         stop and delete deploy/local/run/
#
# The binary: $TANDEM_BIN, else target/debug/tandem (build it with `cargo build --bin tandem`).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
run="$here/run"
bin="${TANDEM_BIN:-${CARGO_TARGET_DIR:-$root/target}/debug/tandem}"
token_file="$run/admin-token"

api_port() { echo $((8080 + $1)); }
raft_port() { echo $((9080 + $1)); }
side_of() { case "$1" in 1) echo a ;; 2) echo b ;; 3) echo witness ;; *) cat "$run/n$1/side" 2>/dev/null || echo b ;; esac; }

die() { echo "cluster.sh: $*" >&2; exit 1; }

[ -x "$bin" ] || die "no tandem binary at $bin: run 'cargo build --bin tandem' (or set TANDEM_BIN)"

token() {
  if [ ! -f "$token_file" ]; then
    mkdir -p "$run"
    (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$token_file")
  fi
  cat "$token_file"
}

write_config() { # id side [initial]
  local id=$1 side=$2 initial=${3:-yes}
  local dir="$run/n$id"
  mkdir -p "$dir"
  echo "$side" > "$dir/side"
  "$bin" certs --dir "$run/certs" --node "$id" >/dev/null
  {
    echo "node_id = $id"
    echo "side = \"$side\""
    echo "data_dir = \"$dir/data\""
    echo "api_listen = \"127.0.0.1:$(api_port "$id")\""
    echo "raft_listen = \"127.0.0.1:$(raft_port "$id")\""
    echo "admin_token = \"$(token)\""
    echo "demo = true"
    echo "[tls]"
    echo "ca = \"$run/certs/ca.crt\""
    echo "cert = \"$run/certs/node-$id.crt\""
    echo "key = \"$run/certs/node-$id.key\""
    if [ "$initial" = yes ]; then
      for member in 1 2 3; do
        echo "[[initial_members]]"
        echo "node_id = $member"
        echo "side = \"$(side_of $member)\""
        echo "raft_addr = \"127.0.0.1:$(raft_port $member)\""
        echo "api_url = \"http://127.0.0.1:$(api_port $member)\""
      done
    fi
  } > "$dir/node.toml"
}

start() {
  local id=$1 dir="$run/n$1"
  [ -f "$dir/node.toml" ] || die "node $id has no configuration; run 'up' or 'join $id SIDE' first"
  if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
    echo "node $id already running (pid $(cat "$dir/pid"))"
    return
  fi
  nohup "$bin" run --config "$dir/node.toml" >>"$dir/node.log" 2>&1 &
  echo $! > "$dir/pid"
  echo "node $id ($(side_of "$id")): pid $!, API http://127.0.0.1:$(api_port "$id"), data $dir/data, log $dir/node.log"
}

stop() { # id signal
  local dir="$run/n$1"
  if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
    kill "-$2" "$(cat "$dir/pid")"
    echo "node $1: sent SIG$2"
  fi
  rm -f "$dir/pid"
}

cli() { "$bin" cluster "$@" --node "http://127.0.0.1:$(api_port "${NODE:-1}")" --token "$(token)"; }

any_up_node() {
  for id in $(ls "$run" 2>/dev/null | sed -n 's/^n\([0-9]*\)$/\1/p' | sort -n); do
    if [ -f "$run/n$id/pid" ] && kill -0 "$(cat "$run/n$id/pid")" 2>/dev/null && [ "$(side_of "$id")" != witness ]; then
      echo "$id"; return
    fi
  done
  echo 1
}

case "${1:-}" in
  up)
    for id in 1 2 3; do [ -f "$run/n$id/node.toml" ] || write_config "$id" "$(side_of $id)"; done
    for id in 1 2 3; do start "$id"; done
    echo "admin token: $token_file"
    echo "watch it: $0 status; fail over: $0 kill <leader id>"
    ;;
  status) NODE=$(any_up_node) cli status ;;
  kill) [ -n "${2:-}" ] || die "usage: kill N"; stop "$2" KILL ;;
  start) [ -n "${2:-}" ] || die "usage: start N"; start "$2" ;;
  join)
    [ -n "${2:-}" ] && [ -n "${3:-}" ] || die "usage: join N SIDE"
    write_config "$2" "$3" no
    start "$2"
    NODE=$(any_up_node) cli add-node --id "$2" --side "$3" --raft-addr "127.0.0.1:$(raft_port "$2")" \
      --api-url "http://127.0.0.1:$(api_port "$2")"
    ;;
  promote) NODE=$(any_up_node) cli promote --id "$2" ;;
  remove) NODE=$(any_up_node) cli remove-node --id "$2" ;;
  down) for dir in "$run"/n*; do [ -d "$dir" ] && stop "${dir##*/n}" TERM; done; true ;;
  clean) "$0" down || true; rm -rf "$run"; echo "removed $run" ;;
  *) sed -n '2,17p' "$0"; exit 2 ;;
esac
