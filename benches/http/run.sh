#!/usr/bin/env bash
# HTTP load benchmark of the task service (axum binary), on SQLite and — when psql reaches
# the local server — PostgreSQL. Prints the measurements and PASS/FAIL lines for the targets
# of the benchmark issue, and writes them to docs/benchmarks/http.md.
#
#   benches/http/run.sh            # DURATION=10 seconds per phase by default; ROUNDS=3
#                                  # rounds of /auth/me, the ceiling and the bare handler
#                                  # (one access token serves them all: keep
#                                  # 3 x ROUNDS x DURATION well under its 15 minutes)
#   BASELINE_BIN=/path/to/older/task-service BASELINE_LABEL="commit abc1234" benches/http/run.sh
#                                  # also measures GET /auth/me of that older build, in
#                                  # turns with this one, on SQLite (a change's cost)
#
# Needs wrk (installed from Debian's packages when missing). Runs only against 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
DURATION=${DURATION:-10}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PASSWORD="load test passphrase for wrk"

if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian package)"
  (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null || { echo "wrk is required" >&2; exit 1; }
fi

echo "== building (release)"
cargo build --release -q -p task-service --bin task-service -p auth-benches --bin ceiling --bin verify-time
BIN=$ROOT/target/release
CPUS=$(nproc)
MODEL=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
RSS_LIMIT_MIB=$(awk -v c="$CPUS" 'BEGIN { printf "%d", 64 + c * 19 }')
echo "machine: $CPUS CPUs, $MODEL"

WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_up() { # url
  for _ in $(seq 100); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "server at $1 did not come up" >&2; return 1
}

start_service() { # database_url [binary, this build's by default] -> sets SVC_PID, SVC_URL
  local port bin=${2:-$BIN/task-service}; port=$(free_port)
  # Rate limits off: this measures hashing and serving, and every request comes from one
  # address (the service logs the setting as insecure).
  (cd "$WORK" && SECRET_KEY="load-benchmark secret key of 32+ bytes!" DATABASE_URL="$1" \
    RATE_LIMIT_LOGIN_PER_IP_PER_MINUTE=0 RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT=0 \
    BIND_ADDR="127.0.0.1:$port" RUST_LOG=warn LOG_FORMAT=json exec "$bin" >>"$WORK/service.log" 2>&1) &
  SVC_PID=$!; PIDS+=("$SVC_PID"); SVC_URL="http://127.0.0.1:$port"
  wait_up "$SVC_URL/health"
}

stop_service() { kill "$SVC_PID" 2>/dev/null || true; wait "$SVC_PID" 2>/dev/null || true; }

# wrk output -> "rps p50_ms p99_ms non2xx"
parse_wrk() {
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec:/ { rps = $2 }
    /^ +50%/ { p50 = ms($2) }
    /^ +99%/ { p99 = ms($2) }
    /Non-2xx or 3xx responses:/ { bad = $5 }
    END { printf "%s %.3f %.3f %d\n", rps, p50, p99, bad + 0 }' "$1"
}

token() {
  curl -fs -X POST "$SVC_URL/auth/register" -H 'content-type: application/json' \
    -d "{\"username\":\"loaduser\",\"password\":\"$PASSWORD\"}" >/dev/null || true
  curl -fs -X POST "$SVC_URL/auth/login" --data-urlencode username=loaduser --data-urlencode "password=$PASSWORD" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

RESULTS=()
ROUND_LINES=()
ROUNDS=${ROUNDS:-3}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "ROUNDS must be a positive whole number" >&2; exit 1; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
check() { # name, ok(0/1), detail
  local verdict=FAIL; [ "$2" = 1 ] && verdict=PASS
  RESULTS+=("$verdict $1: $3"); echo "$verdict $1: $3"
}

run_backend() { # label, database_url
  local label=$1 url=$2
  echo "== $label"
  start_service "$url"
  local t; t=$(token)
  local cport sport; cport=$(free_port); sport=$(free_port)
  "$BIN/ceiling" "127.0.0.1:$cport" "127.0.0.1:$sport" >/dev/null & local cpid=$!; PIDS+=("$cpid")
  wait_up "http://127.0.0.1:$cport/bare"
  wait_up "http://127.0.0.1:$sport/ceiling"
  local me_url="$SVC_URL/auth/me" c_url="http://127.0.0.1:$sport/ceiling" b_url="http://127.0.0.1:$cport/bare"
  # Warm-up (not measured): caches, connections, allocator arenas.
  wrk -t2 -c64 -d2s -H "Authorization: Bearer $t" "$me_url" >/dev/null
  wrk -t2 -c64 -d2s "$c_url" >/dev/null
  wrk -t2 -c64 -d2s "$b_url" >/dev/null
  # $ROUNDS rounds in turns, so that all three see the same machine (a shared 2-CPU machine
  # drifts by a third within minutes); each figure is the median over the rounds, and the
  # ratios the medians of each round's ratio.
  local round line me_rps me_p50 me_p99 me_bad c_rps b_rps ratio bare_ratio
  local me_all=() c_all=() b_all=() r_all=() rc_all=()
  for round in $(seq "$ROUNDS"); do
    wrk -t2 -c64 -d"${DURATION}s" --latency -H "Authorization: Bearer $t" "$me_url" >"$WORK/me.txt"
    wrk -t2 -c64 -d"${DURATION}s" --latency "$c_url" >"$WORK/ceiling.txt"
    wrk -t2 -c64 -d"${DURATION}s" --latency "$b_url" >"$WORK/bare.txt"
    read -r me_rps me_p50 me_p99 me_bad < <(parse_wrk "$WORK/me.txt")
    read -r c_rps _ _ _ < <(parse_wrk "$WORK/ceiling.txt")
    read -r b_rps _ _ _ < <(parse_wrk "$WORK/bare.txt")
    [ "$me_bad" = 0 ] || { echo "GET /auth/me answered $me_bad non-2xx" >&2; exit 1; }
    me_all+=("$me_rps"); c_all+=("$c_rps"); b_all+=("$b_rps")
    r_all+=("$(awk -v a="$me_rps" -v b="$b_rps" 'BEGIN { printf "%.3f", a / b }')")
    rc_all+=("$(awk -v a="$me_rps" -v b="$c_rps" 'BEGIN { printf "%.3f", a / b }')")
    line="$label round $round: /auth/me $me_rps req/s (p50 $me_p50 ms, p99 $me_p99 ms), ceiling $c_rps, bare axum $b_rps; me/bare ${r_all[-1]}, me/ceiling ${rc_all[-1]}"
    echo "$line"; ROUND_LINES+=("$line")
  done
  kill "$cpid"; wait "$cpid" 2>/dev/null || true
  me_rps=$(median "${me_all[@]}"); c_rps=$(median "${c_all[@]}"); b_rps=$(median "${b_all[@]}")
  ratio=$(median "${rc_all[@]}"); bare_ratio=$(median "${r_all[@]}")
  ratio=$(printf '%.2f' "$ratio"); bare_ratio=$(printf '%.2f' "$bare_ratio")
  echo "GET /auth/me: $me_rps req/s; ceiling (no auth, the service's middleware): $c_rps req/s; bare axum handler (no middleware): $b_rps req/s (medians of $ROUNDS rounds)"

  # The ideal login rate is CPUs ÷ the time of one verification while one runs on every
  # CPU (Argon2 is memory-bound: all cores at once are slower per verification than one),
  # measured just before and just after the login phase, so that both see the same machine.
  local v_before v_after verify_ms ideal
  # Warm-up (not measured): the blocking pool's threads and their allocator arenas.
  wrk -t1 -c"$CPUS" -d2s -s benches/http/login.lua "$SVC_URL/auth/login" >/dev/null
  v_before=$("$BIN/verify-time" "$CPUS")
  wrk -t2 -c$((CPUS * 4)) -d"${DURATION}s" --latency -s benches/http/login.lua "$SVC_URL/auth/login" >"$WORK/login.txt"
  v_after=$("$BIN/verify-time" "$CPUS")
  verify_ms=$(awk -v a="$v_before" -v b="$v_after" 'BEGIN { printf "%.3f", (a + b) / 2 }')
  ideal=$(awk -v c="$CPUS" -v v="$verify_ms" 'BEGIN { printf "%.1f", c * 1000 / v }')
  echo "one verification with $CPUS at once: $v_before ms before the login phase, $v_after ms after; ideal login rate $CPUS x 1000 / $verify_ms = $ideal/s"
  read -r l_rps _ l_p99 l_bad < <(parse_wrk "$WORK/login.txt")
  local l_ok; l_ok=$(awk -v r="$l_rps" -v bad="$l_bad" -v d="$DURATION" 'BEGIN { printf "%.1f", r - bad / d }')
  local l_ratio; l_ratio=$(awk -v a="$l_ok" -v b="$ideal" 'BEGIN { printf "%.2f", a / b }')
  echo "POST /auth/login: $l_ok successful/s (ideal $ideal/s), p99 $l_p99 ms, non-2xx $l_bad"
  stop_service

  # A fresh process for the flood, so that its peak RSS is the flood's.
  start_service "$url"
  token >/dev/null
  wrk -t1 -c256 -d"$((DURATION + 4))s" -s benches/http/login.lua "$SVC_URL/auth/login" >"$WORK/flood.txt" &
  local flood=$!
  sleep 2
  wrk -t1 -c4 -d"${DURATION}s" --latency "$SVC_URL/health" >"$WORK/health.txt"
  wait "$flood"
  read -r h_rps _ h_p99 h_bad < <(parse_wrk "$WORK/health.txt")
  read -r f_rps _ _ f_bad < <(parse_wrk "$WORK/flood.txt")
  local rss_kib; rss_kib=$(awk '/VmHWM/ { print $2 }' "/proc/$SVC_PID/status")
  local rss_mib=$((rss_kib / 1024))
  echo "GET /health under a 256-connection login flood: p99 $h_p99 ms ($h_rps req/s, non-2xx $h_bad); flood $f_rps req/s with $f_bad non-2xx (503 overloaded is by design)"
  echo "peak RSS during the flood: $rss_mib MiB (limit $RSS_LIMIT_MIB MiB = 64 + $CPUS permits x 19 MiB)"
  stop_service

  if [ "$label" = sqlite ]; then
    check "sqlite /auth/me >= 65% of a bare axum handler" "$(awk -v r="$bare_ratio" 'BEGIN { print (r >= 0.65) }')" "$bare_ratio ($me_rps vs $b_rps req/s; median of $ROUNDS rounds' ratios)"
    check "sqlite /auth/me >= 50% of the ceiling" "$(awk -v r="$ratio" 'BEGIN { print (r >= 0.5) }')" "$ratio ($me_rps vs $c_rps req/s; median of $ROUNDS rounds' ratios)"
  else
    RESULTS+=("info $label /auth/me vs a bare axum handler: $bare_ratio ($me_rps vs $b_rps req/s); vs the ceiling: $ratio (medians of $ROUNDS rounds' ratios)")
  fi
  check "$label login >= 85% of the ideal" "$(awk -v r="$l_ratio" 'BEGIN { print (r >= 0.85) }')" "$l_ratio ($l_ok vs $ideal/s; one verification $verify_ms ms with $CPUS at once)"
  check "$label /health p99 under the flood <= 20 ms" "$(awk -v p="$h_p99" 'BEGIN { print (p <= 20) }')" "$h_p99 ms"
  check "$label peak RSS <= $RSS_LIMIT_MIB MiB" "$([ "$rss_mib" -le "$RSS_LIMIT_MIB" ] && echo 1 || echo 0)" "$rss_mib MiB"
  ROWS+=("| $label | $me_rps | $c_rps | $ratio | $b_rps | $bare_ratio | $l_ok (ideal $ideal) | $h_p99 | $rss_mib |")
}

# GET /auth/me of this build and of $BASELINE_BIN, each on a fresh SQLite database, three
# rounds in turns (so that both see the same machine), the best round of each compared.
compare_baseline() {
  echo "== /auth/me against the baseline $BASELINE_BIN"
  local best_new=0 best_old=0 round bin rps
  for round in 1 2 3; do
    for bin in "$BIN/task-service" "$BASELINE_BIN"; do
      rm -f "$WORK/compare.db"
      start_service "sqlite://$WORK/compare.db?mode=rwc" "$bin"
      local t; t=$(token)
      wrk -t2 -c64 -d"${DURATION}s" --latency -H "Authorization: Bearer $t" "$SVC_URL/auth/me" >"$WORK/compare.txt"
      read -r rps _ _ bad < <(parse_wrk "$WORK/compare.txt")
      stop_service
      [ "$bad" = 0 ] || { echo "$bin answered $bad non-2xx" >&2; exit 1; }
      echo "round $round $bin: $rps req/s"
      if [ "$bin" = "$BASELINE_BIN" ]; then
        best_old=$(awk -v a="$best_old" -v b="$rps" 'BEGIN { print (b > a) ? b : a }')
      else
        best_new=$(awk -v a="$best_new" -v b="$rps" 'BEGIN { print (b > a) ? b : a }')
      fi
    done
  done
  local ratio; ratio=$(awk -v a="$best_new" -v b="$best_old" 'BEGIN { printf "%.2f", a / b }')
  check "sqlite /auth/me >= 90% of the baseline build" "$(awk -v r="$ratio" 'BEGIN { print (r >= 0.9) }')" "$ratio ($best_new vs $best_old req/s, best of 3 rounds each; baseline: ${BASELINE_LABEL:-$BASELINE_BIN})"
}

ROWS=()
if [ -n "${BASELINE_BIN:-}" ]; then
  compare_baseline
fi
run_backend sqlite "sqlite://$WORK/load.db?mode=rwc"
if command -v psql >/dev/null && psql "$PG_ADMIN_URL" -Atc 'select 1' >/dev/null 2>&1; then
  DB="auth_load_$(date +%s)"
  psql "$PG_ADMIN_URL" -qc "CREATE DATABASE $DB" >/dev/null
  run_backend postgres "${PG_ADMIN_URL%/*}/$DB"
  psql "$PG_ADMIN_URL" -qc "DROP DATABASE $DB WITH (FORCE)" >/dev/null
else
  echo "PostgreSQL not reachable at $PG_ADMIN_URL: skipped"
fi

mkdir -p docs/benchmarks
{
  echo "# HTTP load results"
  echo
  echo "Machine: $CPUS CPUs, $MODEL; $(rustc --version). $(date -u +%Y-%m-%d)."
  echo "Command: \`benches/http/run.sh\` (wrk -t2, ${DURATION} s per phase, 64 connections for /auth/me and the ceilings, $((CPUS * 4)) for login, 256 for the flood)."
  echo "The ceiling is a handler with no auth behind the service's own middleware stack (request id, span, timeout, error rewriting, body limit, nosniff); \"bare axum\" is the same handler without it, on \`axum::serve\`. /auth/me, the ceiling and the bare handler are measured in $ROUNDS rounds in turns after a 2 s warm-up of each; the table gives the medians (req/s, and each round's ratio). Rate limits are off for the run (one client address)."
  echo "The ideal login rate is $CPUS ÷ the time of one verification at the default parameters while $CPUS run at once (\`verify-time $CPUS\`, measured just before and just after each login phase; the mean is used)."
  echo
  echo "| database | /auth/me req/s | ceiling req/s | me/ceiling | bare axum req/s | me/bare | login/s | /health p99 ms under flood | peak RSS MiB |"
  echo "|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "Rounds:"
  echo
  printf -- '- %s\n' "${ROUND_LINES[@]}"
  echo
  echo "Targets:"
  echo
  printf -- '- %s\n' "${RESULTS[@]}"
} >docs/benchmarks/http.md
echo "== written docs/benchmarks/http.md"
printf '%s\n' "${RESULTS[@]}"
