#!/usr/bin/env bash
# Fetches the corpora, builds release binaries and runs the benchmark.
#
#   bench/run.sh                       the four small corpora
#   bench/run.sh c-linux java-jdk      named corpora
#   bench/run.sh --daemon c-linux      also measure a running daemon
#
# Needs universal-ctags (`apt-get install universal-ctags`) for the comparison.
# The Markdown table goes to stdout; details, as JSON, to bench/results.json.
set -euo pipefail
cd "$(dirname "$0")/.."

flags=()
while [ "${1:-}" = "--daemon" ]; do flags+=(--daemon); shift; done
[ $# -gt 0 ] || set -- rust-crates python-django ts-rxjs go-etcd
command -v ctags > /dev/null || { echo "ctags not found: apt-get install universal-ctags" >&2; exit 1; }

bench/fetch-corpora.sh "$@" >&2
cargo build --release --locked -p code-index -p code-index-bench >&2
target/release/code-index-bench --json bench/results.json "${flags[@]}" "$@"
