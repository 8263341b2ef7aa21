#!/usr/bin/env bash
# Answer quality against compiler-grade ground truth: builds a SCIP index of
# each corpus with a compiler-backed indexer (scip-typescript, scip-python),
# then asks a real `code-index mcp` find_references / find_definition /
# find_callers for a seeded sample of the indexed symbols and scores the
# answers at (file, line). Markdown table on stdout, JSON and the worst
# symbols on stderr.
#
#   bench/quality.sh [CORPUS...] [-- BENCH-OPTION...]
#       default corpora: ts-rxjs ts-mobx python-pytest python-django
#       e.g. bench/quality.sh ts-rxjs -- --quality-sample 300
#
# Nothing is written into the repository or the corpus trees: the indexers go
# to $CODE_INDEX_QUALITY/node_modules, the SCIP indexes (cached, delete one to
# rebuild it) to $CODE_INDEX_QUALITY/indexes/<corpus>/index.scip, made from a
# scratch copy of the corpus (scip-typescript --infer-tsconfig writes a
# tsconfig.json into the tree it indexes). Paths in the SCIP documents are
# relative to the corpus root, as code-index prints them.
#
# CODE_INDEX_QUALITY sets the cache (default ~/.cache/code-index-quality);
# CODE_INDEX_CORPORA the corpora (see bench/fetch-corpora.sh).
set -euo pipefail

cd "$(dirname "$0")/.."
Q=${CODE_INDEX_QUALITY:-$HOME/.cache/code-index-quality}
CORPORA=${CODE_INDEX_CORPORA:-$HOME/.cache/code-index-corpora}
SCIP_TYPESCRIPT=@sourcegraph/scip-typescript@0.4.0
SCIP_PYTHON=@sourcegraph/scip-python@0.6.6
NODE="node --max-old-space-size=6144"

corpora=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do corpora+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
[ ${#corpora[@]} -gt 0 ] || corpora=(ts-rxjs ts-mobx python-pytest python-django)

# The project name and version scip-python puts in its symbols.
python_project() {
  case $1 in
    python-django) echo "django 5.1.4" ;;
    python-pytest) echo "pytest 8.3.4" ;;
    python-rich) echo "rich 13.9.4" ;;
    *) echo "${1#python-} 0" ;;
  esac
}

# Files the indexer cannot index (removed from the scratch copy only; hits
# code-index returns in them are not scored, having no SCIP document).
skipped_files() {
  case $1 in
    # scip-python 0.6.6 (pyright) aborts the whole run with "Debug Failure.
    # False expression." while emitting this file.
    python-django) echo "tests/model_enums/tests.py" ;;
  esac
}

# A pyright configuration for the scratch copy, where the tree needs one for
# imports to resolve: pytest's tests import `_pytest` from its src/ layout.
pyright_config() {
  case $1 in
    python-pytest) echo '{"extraPaths": ["src"]}' ;;
  esac
}

install_indexers() {
  mkdir -p "$Q"
  [ -f "$Q/package.json" ] || echo '{"private": true}' > "$Q/package.json"
  local want have
  for want in "$SCIP_TYPESCRIPT" "$SCIP_PYTHON"; do
    have=$(cd "$Q" && node -p "require('${want%@*}/package.json').version" 2>/dev/null || true)
    if [ "$have" != "${want##*@}" ]; then
      echo "installing $want into $Q" >&2
      (cd "$Q" && npm install --no-audit --no-fund --silent "$want")
    fi
  done
  echo '[]' > "$Q/empty-environment.json"
}

build_scip() { # $1 = corpus
  local name=$1 out="$Q/indexes/$1" work="$Q/work/$1" started
  [ -f "$out/index.scip" ] && { echo "$name: SCIP index cached in $out" >&2; return; }
  mkdir -p "$out" "$Q/work"
  rm -rf "$work" "$out/index.scip.partial"
  cp -r "$CORPORA/$name" "$work"
  rm -rf "$work/.code-index"
  local f
  for f in $(skipped_files "$name"); do rm -f "$work/$f"; done
  echo "$name: indexing with $(case $name in ts-*) echo scip-typescript ;; *) echo scip-python ;; esac) (log in $out/log.txt)" >&2
  started=$(date +%s)
  case $name in
    ts-*)
      local infer=()
      [ -f "$work/tsconfig.json" ] || infer=(--infer-tsconfig)
      (cd "$work" && $NODE "$Q/node_modules/.bin/scip-typescript" index "${infer[@]}" \
        --no-progress-bar --output "$out/index.scip.partial") > "$out/log.txt" 2>&1
      ;;
    python-*)
      local config; config=$(pyright_config "$name")
      [ -z "$config" ] || echo "$config" > "$work/scip-pyrightconfig.json"
      read -r project version <<< "$(python_project "$name")"
      (cd "$work" && $NODE "$Q/node_modules/.bin/scip-python" index \
        --project-name "$project" --project-version "$version" \
        --environment "$Q/empty-environment.json" --show-progress-rate-limit 30 \
        --output "$out/index.scip.partial") > "$out/log.txt" 2>&1
      ;;
    *) echo "no SCIP indexer for $name (ts-* and python-* only)" >&2; exit 2 ;;
  esac
  mv "$out/index.scip.partial" "$out/index.scip"
  rm -rf "$work"
  echo "$name: SCIP index in $(( $(date +%s) - started )) s" >&2
}

install_indexers
bench/fetch-corpora.sh "${corpora[@]}" >&2
for name in "${corpora[@]}"; do build_scip "$name"; done
cargo build --release -p code-index -p code-index-bench >&2
exec target/release/code-index-bench --quality --corpora-dir "$CORPORA" \
  --scip-dir "$Q/indexes" "$@" "${corpora[@]}"
