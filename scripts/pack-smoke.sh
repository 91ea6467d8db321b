#!/usr/bin/env bash
# Packaging smoke test (CI step, .ci/run): `npm pack` this checkout, install the tarball into an
# empty folder the way a user would (`npm install <tgz>`, dependencies from the registry), and run
# the installed `swirl` bin on the bundled hello sample: the output must be the sample's greeting.
# Bounded by the caller (`timeout`); about 30–60 s with a warm npm cache.
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d "${TMPDIR:-/tmp}/swirl-pack-XXXXXX")"
trap 'rm -rf "$work"' EXIT
name="$(node -p 'require("./package.json").name')"
# `npm pack` runs `prepare` (the build), so the tarball carries dist/.
tgz="$(npm pack --silent --pack-destination "$work" | tail -n 1)"
echo "== pack: $tgz ($(du -k "$work/$tgz" | cut -f1) KiB)"
mkdir "$work/app"
cd "$work/app"
# npm 11 runs install scripts only for approved packages: the native SQLite addon needs its own.
cat > package.json <<JSON
{ "name": "pack-smoke", "private": true, "allowScripts": { "better-sqlite3": true } }
JSON
npm install --no-audit --no-fund --silent "$work/$tgz"
node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()"
# `npx <package name>` runs the package's only bin, `swirl` (as `npx swirl-workflow …` does for a user).
out="$(npx --no-install "$name" run "node_modules/$name/samples/hello/hello.yaml" --input "@node_modules/$name/samples/hello/input.json" --store memory)"
echo "== npx $name run samples/hello/hello.yaml: $out"
expected='{"message":"Hello, Swirl!"}'
if [ "$out" != "$expected" ]; then echo "== pack smoke FAILED: expected $expected" >&2; exit 1; fi
# The dashboard's built files ship in the package, and the installed swirl serve answers /ui/ with them
# (the bin itself, not npx, so that the kill below stops the server).
for f in index.html app.js style.css; do
  if [ ! -s "node_modules/$name/dist/ui/$f" ]; then echo "== pack smoke FAILED: dist/ui/$f is not in the package" >&2; exit 1; fi
done
node_modules/.bin/swirl serve --port 0 --grpc-port 0 --store memory --workflows "node_modules/$name/samples/hello" > serve.log 2>&1 &
serve_pid=$!
port=""
for _ in $(seq 1 300); do
  port="$(sed -n 's#.*listening on http://127\.0\.0\.1:\([0-9]*\).*#\1#p' serve.log | head -n 1)"
  if [ -n "$port" ] || ! kill -0 "$serve_pid" 2>/dev/null; then break; fi
  sleep 0.2
done
if [ -z "$port" ]; then kill "$serve_pid" 2>/dev/null || true; echo "== pack smoke FAILED: swirl serve did not start:" >&2; cat serve.log >&2; exit 1; fi
ui="$(node -e "fetch('http://127.0.0.1:$port/ui/').then(async (r) => console.log(r.status, (await r.text()).includes('app.js')))")"
kill "$serve_pid" 2>/dev/null || true
echo "== GET /ui/ of the installed swirl serve: $ui"
if [ "$ui" != "200 true" ]; then echo "== pack smoke FAILED: expected 200 and the dashboard page" >&2; exit 1; fi
echo "== pack smoke: ok"
