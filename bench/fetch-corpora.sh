#!/usr/bin/env bash
# Downloads real source trees from the package registries for the benchmarks.
# Nothing fetched here is committed; trees are cached and reused.
#
#   bench/fetch-corpora.sh [CORPUS...]   fetch these (default: the four small ones)
#   bench/fetch-corpora.sh --list        show the corpora and which are cached
#
# CODE_INDEX_CORPORA sets the cache directory (default ~/.cache/code-index-corpora).
# Each corpus lands in $CODE_INDEX_CORPORA/<name>/ with a SOURCE file naming its origin.
set -euo pipefail

CACHE=${CODE_INDEX_CORPORA:-$HOME/.cache/code-index-corpora}
DEFAULT_SET="rust-crates python-django ts-rxjs go-etcd"
ALL_SET="$DEFAULT_SET java-jdk c-linux python-pytest ts-mobx python-rich ts-trpc"

describe() {
  case $1 in
    rust-crates) echo "Rust: syn, serde, regex, clap, hyper, rayon and their dependencies, vendored from crates.io" ;;
    python-django) echo "Python: Django 5.1.4 source distribution from PyPI" ;;
    ts-rxjs) echo "TypeScript: the src/ tree of rxjs 7.8.2 from npm" ;;
    go-etcd) echo "Go: etcd server sources, Debian package golang-etcd-server-dev" ;;
    java-jdk) echo "Java: OpenJDK 17 class library sources, Debian package openjdk-17-source" ;;
    c-linux) echo "C: Linux 6.1 kernel tree, Debian package linux-source-6.1" ;;
    python-pytest) echo "Python: pytest 8.3.4 source distribution from PyPI" ;;
    ts-mobx) echo "TypeScript: the src/ tree of mobx 6.13.5 from npm" ;;
    python-rich) echo "Python: rich 13.9.4 source distribution from PyPI" ;;
    ts-trpc) echo "TypeScript: the src/ tree of @trpc/server 10.45.2 from npm" ;;
    *) return 1 ;;
  esac
}

scratch() { mktemp -d "${TMPDIR:-/tmp}/code-index-corpus.XXXXXX"; }

get_rust_crates() { # $1 = destination
  local tmp; tmp=$(scratch)
  mkdir -p "$tmp/src"
  printf 'fn main() {}\n' > "$tmp/src/main.rs"
  cat > "$tmp/Cargo.toml" <<'TOML'
[package]
name = "corpus-holder"
version = "0.0.0"
edition = "2021"

[dependencies]
clap = { version = "4", features = ["derive"] }
hyper = { version = "1", features = ["full"] }
rayon = "1"
regex = "1"
serde = { version = "1", features = ["derive"] }
syn = { version = "2", features = ["full", "extra-traits", "fold", "visit", "visit-mut"] }
TOML
  (cd "$tmp" && cargo vendor --quiet "$1" > /dev/null)
  ls "$1" > "$1/SOURCE"
  rm -rf "$tmp"
}

pypi_sdist() { # $1 = destination, $2 = package==version, $3 = what SOURCE says
  local tmp; tmp=$(scratch)
  python3 -m pip download --quiet --no-deps --no-binary :all: --dest "$tmp" "$2"
  mkdir -p "$1"
  tar -xzf "$tmp"/*.tar.gz --strip-components=1 -C "$1"
  echo "$3" > "$1/SOURCE"
  rm -rf "$tmp"
}

get_python_django() { pypi_sdist "$1" "django==5.1.4" "Django 5.1.4 (PyPI sdist)"; }

get_ts_rxjs() {
  local tmp; tmp=$(scratch)
  (cd "$tmp" && npm pack --silent "rxjs@7.8.2" > /dev/null && tar -xzf rxjs-*.tgz)
  mkdir -p "$1"
  cp -r "$tmp/package/src" "$1/src"
  echo "rxjs 7.8.2 src/ (npm)" > "$1/SOURCE"
  rm -rf "$tmp"
}

get_python_pytest() { pypi_sdist "$1" "pytest==8.3.4" "pytest 8.3.4 (PyPI sdist)"; }

get_ts_mobx() {
  local tmp; tmp=$(scratch)
  (cd "$tmp" && npm pack --silent "mobx@6.13.5" > /dev/null && tar -xzf mobx-*.tgz)
  mkdir -p "$1"
  cp -r "$tmp/package/src" "$1/src"
  echo "mobx 6.13.5 src/ (npm)" > "$1/SOURCE"
  rm -rf "$tmp"
}

get_python_rich() { pypi_sdist "$1" "rich==13.9.4" "rich 13.9.4 (PyPI sdist)"; }

get_ts_trpc() {
  local tmp; tmp=$(scratch)
  (cd "$tmp" && npm pack --silent "@trpc/server@10.45.2" > /dev/null && tar -xzf trpc-server-*.tgz)
  mkdir -p "$1"
  cp -r "$tmp/package/src" "$1/src"
  echo "@trpc/server 10.45.2 src/ (npm)" > "$1/SOURCE"
  rm -rf "$tmp"
}

debian_package() { # $1 = package; prints the directory holding the unpacked .deb
  local tmp; tmp=$(scratch)
  if ! (cd "$tmp" && apt-get download "$1" > /dev/null 2>&1); then
    apt-get update > /dev/null
    (cd "$tmp" && apt-get download "$1" > /dev/null)
  fi
  dpkg-deb -x "$tmp"/*.deb "$tmp/unpacked"
  dpkg-deb --field "$tmp"/*.deb Package Version > "$tmp/SOURCE"
  echo "$tmp"
}

get_go_etcd() {
  local tmp; tmp=$(debian_package golang-etcd-server-dev)
  mkdir -p "$1"
  cp -r "$tmp/unpacked/usr/share/gocode/src/." "$1/"
  cp "$tmp/SOURCE" "$1/SOURCE"
  rm -rf "$tmp"
}

get_java_jdk() {
  local tmp; tmp=$(debian_package openjdk-17-source)
  mkdir -p "$1"
  (cd "$1" && unzip -q -o "$tmp"/unpacked/usr/lib/jvm/*/lib/src.zip)
  cp "$tmp/SOURCE" "$1/SOURCE"
  rm -rf "$tmp"
}

get_c_linux() {
  local tmp; tmp=$(debian_package linux-source-6.1)
  mkdir -p "$1"
  tar -xaf "$tmp"/unpacked/usr/src/linux-source-*.tar.* --strip-components=1 -C "$1"
  # Debian's packaging appends "/*" to the top-level .gitignore, which would
  # make a gitignore-aware indexer skip the whole tree: restore upstream's.
  sed -i '/^# Debian packaging/,$d' "$1/.gitignore"
  cp "$tmp/SOURCE" "$1/SOURCE"
  rm -rf "$tmp"
}

mkdir -p "$CACHE"
if [ "${1:-}" = "--list" ]; then
  for name in $ALL_SET; do
    state=missing; [ -f "$CACHE/$name/SOURCE" ] && state=cached
    printf '%-14s %-8s %s\n' "$name" "$state" "$(describe "$name")"
  done
  exit 0
fi

[ $# -gt 0 ] || set -- $DEFAULT_SET
for name in "$@"; do
  describe "$name" > /dev/null || { echo "unknown corpus '$name'; try --list" >&2; exit 2; }
  dest="$CACHE/$name"
  if [ -f "$dest/SOURCE" ]; then echo "$name: cached in $dest"; continue; fi
  rm -rf "$dest" "$dest.partial"
  echo "$name: fetching ($(describe "$name"))" >&2
  "get_${name//-/_}" "$dest.partial"
  mv "$dest.partial" "$dest"
  echo "$name: $(find "$dest" -type f | wc -l) files in $dest"
done
