#!/usr/bin/env bash
# Runs every fuzz target in the module for FUZZTIME (default 5s), as `make fuzz`; with package
# directories as arguments (./kube), only theirs.
#
# `go test -fuzz` builds and links its package's test binary on every call, which cost more
# than the fuzzing itself. Here each package's binary is built once, instrumented for coverage
# guidance as `go test -fuzz` builds it, and runs each target in turn from the package's
# directory, with go test's corpus cache ($GOCACHE/fuzz/IMPORTPATH): new inputs seed later
# runs and a failing input lands in testdata/fuzz/FuzzX, as with go test. The binaries stay in
# bin/fuzz (`make clean` removes them): go build relinks one only when its build ID says it is
# out of date, so a package unchanged since the last run costs no link. -ldflags=-w leaves out
# the DWARF tables (a third of a link; panics and stacks do not use them).
#
# Every target runs even after one fails; the run then fails naming each failed target.
# Go 1.26's coordinator can end a run that found nothing with "context deadline exceeded"
# (golang/go#75804, fixed in 1.27): that, and only when no failing input was written, is
# reported and passed over.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime="${FUZZTIME:-5s}"
module=$(awk '$1 == "module" { print $2; exit }' go.mod)
cache="$(go env GOCACHE)/fuzz"
bins="$PWD/bin/fuzz"
mkdir -p "$bins"

# fuzzed says how much a target fuzzed, from the coordinator's last progress line. A target
# whose corpus (the seeds and $GOCACHE/fuzz) takes the whole FUZZTIME to replay fuzzes nothing
# new: that is said, so a growing cache that eats the budget shows.
fuzzed() {
  local last
  last=$(grep '^fuzz: elapsed' <<<"$1" | tail -1 || true)
  if [[ $last =~ execs:\ ([0-9]+).*new\ interesting:\ ([0-9]+)\ \(total:\ ([0-9]+)\) ]]; then
    echo "${BASH_REMATCH[1]} execs (the corpus replay included), ${BASH_REMATCH[2]} new interesting (corpus ${BASH_REMATCH[3]})"
  elif [[ $last =~ (gathering\ baseline\ coverage|testing\ seed\ corpus):\ ([0-9]+/[0-9]+) ]]; then
    echo "still replaying its corpus (${BASH_REMATCH[1]} ${BASH_REMATCH[2]}) when time was up: nothing new fuzzed"
  else
    echo "no progress line${last:+: $last}"
  fi
}

if [ $# -gt 0 ]; then
  packages="$*"
else
  packages=$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u)
fi
binary() { local dir=${1#./}; echo "$bins/${dir//\//_}.test"; }

# build builds a package's fuzz binary; its output goes to BINARY.log, and BINARY.failed marks
# a failure. -fuzz=. instruments the package and its dependencies; it selects nothing here.
build() {
  local bin
  bin=$(binary "$1")
  rm -f "$bin.failed"
  go test -c -fuzz=. -ldflags=-w -o "$bin" "$1" >"$bin.log" 2>&1 || touch "$bin.failed"
}

# The builds run one per core at a time: a link is mostly one thread, and while fuzzing each
# target has the whole machine.
running=0
for pkg in $packages; do
  build "$pkg" &
  if (( ++running >= $(nproc) )); then
    wait -n
    running=$((running - 1))
  fi
done
wait

failed=()
for pkg in $packages; do
  dir=${pkg#./}
  importpath="$module/$dir"
  [ "$pkg" = "." ] && importpath=$module
  bin=$(binary "$pkg")
  if [ -e "$bin.failed" ]; then
    cat "$bin.log"
    echo "FAIL fuzz $pkg: the test binary does not build"
    failed+=("$pkg")
    continue
  fi
  targets=$(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go | sed 's/^func //' | sort)
  for fn in $targets; do
    corpus="$dir/testdata/fuzz/$fn"
    before=$({ ls "$corpus" 2>/dev/null || true; } | wc -l)
    status=0
    out=$(cd "$dir" && "$bin" -test.run '^$' -test.fuzz "^$fn\$" -test.fuzztime "$fuzztime" \
      -test.fuzzcachedir "$cache/$importpath" -test.paniconexit0 -test.timeout 10m 2>&1) || status=$?
    progress=$(fuzzed "$out")
    if grep -q 'no fuzz tests to fuzz' <<<"$out"; then
      # A Func named like a fuzzer that the binary does not hold (a build tag, a helper):
      # it fuzzed nothing, which is no pass.
      echo "FAIL fuzz $pkg $fn: the test binary holds no such fuzz test"
      failed+=("$pkg $fn")
      continue
    fi
    if [ "$status" = 0 ]; then
      echo "fuzz $pkg $fn ($fuzztime): $progress"
      continue
    fi
    after=$({ ls "$corpus" 2>/dev/null || true; } | wc -l)
    if [ "$after" = "$before" ] && grep -q '^    context deadline exceeded$' <<<"$out" &&
       ! grep -q 'Failing input written' <<<"$out"; then
      echo "fuzz $pkg $fn ($fuzztime): $progress; stopped on Go's fuzztime race (golang/go#75804, fixed in Go 1.27): no failing input was written"
      continue
    fi
    echo "$out" | tail -60
    echo "FAIL fuzz $pkg $fn"
    failed+=("$pkg $fn")
  done
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzing failed:"
  printf '  %s\n' "${failed[@]}"
  exit 1
fi
