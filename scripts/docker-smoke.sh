#!/usr/bin/env bash
# Container smoke test (CI step in .ci/run, only where `docker info` answers): builds the image,
# checks it runs as a non-root user, runs the hello sample in it, then starts compose.yaml (Swirl +
# PostgreSQL), registers and runs a workflow over the HTTP API and checks its output. Bounded by
# the caller (`timeout`); cleans up its containers, volumes and image tag on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
image="swirl-workflow:smoke-$$"
project="swirl-smoke-$$"
cleanup() {
  docker compose -p "$project" -f compose.yaml down -v --remove-orphans >/dev/null 2>&1 || true
  docker image rm -f "$image" >/dev/null 2>&1 || true
}
trap cleanup EXIT

echo "== docker build"
docker build -q -t "$image" . >/dev/null
echo "== image size: $(docker image inspect -f '{{.Size}}' "$image" | awk '{ printf "%.0f MB", $1 / 1000000 }')"
user="$(docker run --rm --entrypoint id "$image" -u)"
[ "$user" != "0" ] || { echo "== docker smoke FAILED: the image runs as root" >&2; exit 1; }

out="$(docker run --rm "$image" run /app/samples/hello/hello.yaml --input @/app/samples/hello/input.json --store memory)"
echo "== docker run … run /app/samples/hello/hello.yaml: $out"
[ "$out" = '{"message":"Hello, Swirl!"}' ] || { echo "== docker smoke FAILED: unexpected output" >&2; exit 1; }

echo "== docker compose up (Swirl + PostgreSQL)"
# The compose file builds its own image; reuse the one just built under the tag it names.
docker tag "$image" swirl-workflow:local
# compose.yaml mounts ./workflows: create it when missing (and remove it again) rather than let
# the Docker daemon create it owned by root.
made_workflows=""
if [ ! -e workflows ]; then mkdir workflows; made_workflows=1; fi
docker compose -p "$project" -f compose.yaml up -d --no-build >/dev/null
ready=""
for _ in $(seq 1 60); do
  if curl -fsS http://127.0.0.1:3500/v1.0/healthz >/dev/null 2>&1; then ready=1; break; fi
  sleep 1
done
if [ -n "$made_workflows" ]; then rmdir workflows 2>/dev/null || true; fi
[ -n "$ready" ] || { docker compose -p "$project" -f compose.yaml logs swirl >&2; echo "== docker smoke FAILED: swirl did not answer on :3500" >&2; exit 1; }
curl -fsS -X POST -H 'content-type: application/yaml' --data-binary @samples/hello/hello.yaml http://127.0.0.1:3500/api/v1/workflows >/dev/null
id="$(curl -fsS -X POST -H 'content-type: application/json' -d '{"name":"Compose"}' http://127.0.0.1:3500/v1.0/workflows/dapr/hello/start | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).instanceID))')"
status=""
for _ in $(seq 1 50); do
  body="$(curl -fsS "http://127.0.0.1:3500/api/v1/instances/$id")"
  status="$(node -e 'const b=JSON.parse(process.argv[1]);console.log(b.runtimeStatus)' "$body")"
  [ "$status" = "COMPLETED" ] && break
  sleep 0.2
done
echo "== compose: instance $id $status: $body" | cut -c1-300
[ "$status" = "COMPLETED" ] || { echo "== docker smoke FAILED: the instance did not complete on PostgreSQL" >&2; exit 1; }
case "$body" in *'Hello, Compose!'*) ;; *) echo "== docker smoke FAILED: unexpected output" >&2; exit 1;; esac
docker image rm -f swirl-workflow:local >/dev/null 2>&1 || true
echo "== docker smoke: ok"
