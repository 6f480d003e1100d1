# Keycloak for the load scripts (bench-load, load-soak): sourced, not run. Starts Keycloak in memory
# on a free port with a copy of the realm file in which tokens live an hour and the `mo` client
# also takes the password grant and issues plain bearer tokens (not DPoP-bound: wrk and curl make
# no proofs), so a benchmark can hold tokens of the dev users, and, given an app's origin (the
# second argument), sends a browser's sign-in back to the app there; a copy only these scripts
# import, never the realm file. Sets IDP_PORT, IDP_URL and TOKEN_URL; adds the process
# group to PIDS (the caller kills it).

start_bench_keycloak() { # start_bench_keycloak WORKDIR [APP_ORIGIN]
  local work="$1" origin="${2:-}"
  IDP_PORT="$(free_port)"
  IDP_URL="http://127.0.0.1:$IDP_PORT/"
  TOKEN_URL="${IDP_URL}realms/mo/protocol/openid-connect/token"
  python3 - "$ROOT/realm/mo-realm.json" "$work/mo-realm.json" "$origin" <<'PY'
import json, sys
realm = json.load(open(sys.argv[1]))
origin = sys.argv[3]
realm["accessTokenLifespan"] = 3600
for client in realm["clients"]:
    if client["clientId"] == "mo":
        client["directAccessGrantsEnabled"] = True
        client.setdefault("attributes", {})["dpop.bound.access.tokens"] = "false"
        if origin:  # a browser signs in to the app there (scripts/bench-scale)
            client["redirectUris"].append(f"{origin}/callback")
            client["webOrigins"].append(origin)
json.dump(realm, open(sys.argv[2], "w"))
PY
  step "starting Keycloak on port $IDP_PORT (about a minute)"
  setsid "$ROOT/scripts/keycloak" --memory --port "$IDP_PORT" --home "$work/keycloak" \
    --import "$work/mo-realm.json" >"$work/keycloak.log" 2>&1 </dev/null &
  PIDS+=("-$!")
  for _ in $(seq 300); do
    curl -fsS -o /dev/null "${IDP_URL}realms/mo" 2>/dev/null && return 0
    sleep 1
  done
  tail -n 40 "$work/keycloak.log" >&2
  die "Keycloak did not answer on port $IDP_PORT"
}
