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
echo "== pack smoke: ok"
