#!/usr/bin/env bash
# Runs the steps of deploy/docker/Dockerfile outside Docker (there is no Docker engine on the
# development and CI machines), so that the image's recipe is exercised by test/deploy.test.ts:
#
#   build stage       copy the build context, `pnpm install --frozen-lockfile`, `tsc -b`
#   prod-deps stage   manifests + lockfile only, `pnpm install --prod --frozen-lockfile`
#   runtime stage     prod node_modules + each package's dist/ (and bin/, public/) under
#                     <root>/usr/local/lib/node_modules/slabcache, slabcached linked into
#                     <root>/usr/local/bin; no sources, no devDependencies
#
# then starts that slabcached on ephemeral ports, checks the HEALTHCHECK command, stores and
# reads a key over TCP, checks it runs dist/ (not the TypeScript sources) and stops it.
# Installs use --prefer-offline: packages come from the pnpm store when it has them (it does
# after the repository's own install) and from the npm registry otherwise. (--offline failed
# in a clean clone, whose store lay on another filesystem.) DOCKER_STEPS_PNPM_FLAGS overrides.
#
# Usage: scripts/docker-steps.sh [--keep]   (--keep leaves the temporary folder and prints it)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
node="$repo/node_modules/.bin/node"
pnpm=(npx -y pnpm@12.4.2)
flags=${DOCKER_STEPS_PNPM_FLAGS---prefer-offline}
keep=0
[ "${1:-}" = --keep ] && keep=1

work=$(mktemp -d "${TMPDIR:-/tmp}/slabcache-docker-steps.XXXXXX")
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  if [ "$keep" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
step() { echo "== $*"; }

# The Dockerfile's COPY lines (and .dockerignore: no node_modules, dist, build info).
context=(package.json pnpm-lock.yaml pnpm-workspace.yaml .npmrc tsconfig.base.json tsconfig.json packages)
manifests=(package.json pnpm-lock.yaml pnpm-workspace.yaml .npmrc packages/store/package.json
  packages/protocol/package.json packages/admin/package.json packages/server/package.json
  packages/client/package.json)
runtime_pkgs=(store protocol admin server)

step "build stage: install and tsc -b in $work/build"
mkdir -p "$work/build" "$work/deps"
(cd "$repo" && tar -c --exclude=node_modules --exclude=dist --exclude='*.tsbuildinfo' \
  --exclude=test --exclude=coverage "${context[@]}") | tar -x -C "$work/build"
(cd "$work/build" && "${pnpm[@]}" install --frozen-lockfile $flags --filter '@slabcache/server...' >/dev/null)
(cd "$work/build" && packages/server/node_modules/.bin/tsc -b packages/server)

step "prod-deps stage: production install in $work/deps"
(cd "$repo" && tar -c "${manifests[@]}") | tar -x -C "$work/deps"
(cd "$work/deps" && "${pnpm[@]}" install --prod --frozen-lockfile $flags --filter '@slabcache/server...' >/dev/null)

step "runtime stage: assemble $work/root"
app="$work/root/usr/local/lib/node_modules/slabcache"
mkdir -p "$app" "$work/root/usr/local/bin"
cp -a "$work/deps/." "$app/"
for p in "${runtime_pkgs[@]}"; do
  for d in dist bin public; do
    if [ -d "$work/build/packages/$p/$d" ]; then cp -a "$work/build/packages/$p/$d" "$app/packages/$p/"; fi
  done
done
rm -rf "$app/packages/client"
find "$app/packages" -name '*.map' -delete
ln -s ../lib/node_modules/slabcache/packages/server/bin/slabcached "$work/root/usr/local/bin/slabcached"
if find "$app/packages" -name '*.ts' ! -name '*.d.ts' | grep -q .; then
  echo "runtime stage holds TypeScript sources" >&2
  exit 1
fi
echo "runtime size: $(du -sh "$app" | cut -f1)"

step "run: slabcached from the runtime folder on ephemeral ports"
log="$work/slabcached.log"
: >"$log"
# The image's node is on PATH; here the workspace's Node 24 stands in for it.
PATH="$(dirname "$(readlink -f "$node")"):$PATH" \
  "$work/root/usr/local/bin/slabcached" -l 127.0.0.1 -p 0 -U 0 --admin-port 0 -m 16 -t 2 -v \
  2>"$log" &
pid=$!
for _ in $(seq 1 100); do
  grep -q 'admin .* on http' "$log" && break
  kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.1
done
port=$(sed -nE 's/.*listening on [^,]*:([0-9]+).*/\1/p' "$log" | head -1)
admin=$(sed -nE 's/.*admin .* on (http[^ ]*).*/\1/p' "$log" | head -1)
[ -n "$port" ] && [ -n "$admin" ] || { cat "$log" >&2; exit 1; }
echo "tcp port $port, admin $admin"
grep -q 'dist/main.js' "/proc/$pid/cmdline" || { echo "not running dist/main.js" >&2; exit 1; }

# The Dockerfile's own HEALTHCHECK one-liner, pointed at this admin port.
check=$(sed -nE 's/.*CMD \["node", "-e", "(.*)"\]$/\1/p' "$repo/deploy/docker/Dockerfile")
[ -n "$check" ] || { echo "no HEALTHCHECK in the Dockerfile" >&2; exit 1; }
check=${check//http:\/\/127.0.0.1:11311\//$admin}
case "$check" in *"${admin}healthz"*) ;; *) echo "HEALTHCHECK does not fetch :11311/healthz" >&2; exit 1 ;; esac
"$node" -e "$check"
echo "healthcheck ok"

"$node" -e '
const net = require("node:net");
const s = net.connect(Number(process.argv[1]), "127.0.0.1");
let got = "";
s.on("data", (d) => {
  got += d;
  if (got.endsWith("END\r\n")) {
    s.end();
    if (got !== "STORED\r\nVALUE docker-steps 0 5\r\nhello\r\nEND\r\n") { console.error(JSON.stringify(got)); process.exit(1); }
    console.log("set/get ok");
  }
});
s.write("set docker-steps 0 0 5\r\nhello\r\nget docker-steps\r\n");
setTimeout(() => { console.error("timeout", JSON.stringify(got)); process.exit(1); }, 5000).unref();
' "$port"

kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=""
[ "$status" = 0 ] || { echo "slabcached exited $status" >&2; cat "$log" >&2; exit 1; }
echo "stopped (exit 0)"
echo "docker-steps: ok"
