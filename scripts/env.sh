# Shared environment for the scripts: repo root, tool paths, quiet Trunk. Sourced, not run.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
export PATH="$TOOLS/binaryen/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export TRUNK_SKIP_VERSION_CHECK=true
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# Versions the project is built with; wasm-bindgen's comes from Cargo.lock so the CLI cannot drift.
TRUNK_VERSION="0.21.14"
BINARYEN_VERSION="132.0.0"
AXE_VERSION="4.14.1"
KEYCLOAK_VERSION="26.7.3"
# The splitter of the browser build (scripts/split-wasm): wasm_split_cli_support's wasm-split-cli.
WASM_SPLIT_VERSION="0.2.4"
# The WebAssembly features wasm-opt may use: what Trunk's own wasm-opt step enables (the browsers
# the app supports have them all).
export WASM_OPT_FEATURES="--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
--enable-mutable-globals --enable-reference-types --enable-multivalue"
# The Keycloak server distribution, unpacked once by scripts/bootstrap.
KEYCLOAK_HOME="$TOOLS/keycloak-$KEYCLOAK_VERSION"

step() { printf '\n==> %s  [%s]\n' "$*" "$(date -u +%T)"; } # the clock time: where a long run's minutes went
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

free_port() { # a loopback port that was free a moment ago
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

postgres_bindir() { # the newest installed PostgreSQL's programs (Debian keeps them off PATH)
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -x "$dir/postgres" ] && echo "$dir"
}

ensure_wrk() { # wrk from Debian for the load benchmarks, installed when missing
  command -v wrk >/dev/null 2>&1 && return 0
  step "installing wrk from Debian"
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk
  else sudo apt-get update -qq && sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; fi
}

# For scripts that run several servers at once (dev, cluster): each `start`ed child leads its own
# session, its pid kept in the caller's `pids` array; `stop_children` ends them all.
start() { # start NAME CMD... : runs CMD in its own session, output prefixed with NAME
  setsid bash -c 'exec "$@" 2>&1 | sed -u "s/^/['"$1"'] /"' _ "${@:2}" &
  pids+=($!)
}

wait_for() { # wait_for URL WHAT SECONDS
  for _ in $(seq "$3"); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 1; done
  die "$2 did not answer at $1 within $3 s"
}

stop_children() { # stop_children SIGNAL WHAT : SIGNAL to every child's group, KILL after 5 s
  trap - INT TERM EXIT
  # Ctrl-C on `./scripts/dev | tee log` ends tee too: writing to the closed pipe must not kill the
  # script before it has stopped the children, so SIGPIPE is ignored and messages go last.
  trap '' PIPE
  # Each child leads its own process group: signal the whole group (node, trunk's cargo, ...).
  for pid in "${pids[@]}"; do kill "-$1" -- "-$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  printf '\n==> stopped %s\n' "$2" 2>/dev/null || true
}
