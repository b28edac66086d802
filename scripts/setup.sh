#!/usr/bin/env bash
# Installs what building (and, with `test`, testing) swipeset needs on a fresh Debian
# machine, and nothing that is already there:
#   scripts/setup.sh run    the wasm target, Node.js + npm, binaryen's wasm-opt (npm)
#   scripts/setup.sh test   the above, plus Chromium, PostgreSQL, podman and debootstrap,
#                           Playwright (npm), and a Python virtual environment with
#                           Hugging Face `datasets` (PyPI)
# Debian packages come from apt (after `apt-get update`), JavaScript tools from npm; no
# step downloads a prebuilt binary from anywhere else.
set -euo pipefail
mode=${1:-run}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

say() { printf 'setup: %s\n' "$*" >&2; }

apt_packages=()
command -v node >/dev/null 2>&1 || apt_packages+=(nodejs)
command -v npm >/dev/null 2>&1 || apt_packages+=(npm)
command -v python3 >/dev/null 2>&1 || apt_packages+=(python3)
if [[ $mode == test ]]; then
  [[ -x /usr/bin/chromium ]] || apt_packages+=(chromium)
  # Without a colour emoji font, 👍 and 👎 render as empty boxes in test screenshots.
  [[ -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ]] || apt_packages+=(fonts-noto-color-emoji)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || apt_packages+=(postgresql)
  # Debian ships venv (with pip) apart from python3.
  python3 -c 'import ensurepip' >/dev/null 2>&1 || apt_packages+=(python3-venv)
  # The container check: podman builds the image, debootstrap makes its base.
  command -v podman >/dev/null 2>&1 || apt_packages+=(podman)
  command -v debootstrap >/dev/null 2>&1 || apt_packages+=(debootstrap)
fi
if [[ ${#apt_packages[@]} -gt 0 ]]; then
  sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  say "installing Debian packages: ${apt_packages[*]}"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# npm ci is skipped when node_modules already matches the lockfile.
npm_install() {
  local dir=$1
  if [[ ! -f $dir/node_modules/.package-lock.json ]] || ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.package-lock.json.src" 2>/dev/null; then
    say "npm ci in ${dir#"$root"/}"
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
    cp "$dir/package-lock.json" "$dir/node_modules/.package-lock.json.src"
  fi
}
npm_install "$root"
if [[ $mode == test ]]; then
  npm_install "$root/end2end"
fi
if [[ $mode == test ]]; then
  # The export test loads every export with Hugging Face `datasets`, as users will.
  venv=${SWIPESET_VENV:-$HOME/.cache/swipeset/venv}
  if ! cmp -s scripts/requirements-test.txt "$venv/.requirements.src" 2>/dev/null; then
    say "installing Python test packages into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
    cp scripts/requirements-test.txt "$venv/.requirements.src"
  fi
fi
say "ready ($mode)"
