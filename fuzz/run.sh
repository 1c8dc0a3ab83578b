#!/usr/bin/env bash
# Fuzzes the parsers of untrusted bytes with SharpFuzz + AFL++, one target at a time, for a bounded time each.
#
#   fuzz/run.sh                 every target, 180 s each
#   fuzz/run.sh TARGET [SECS]   one target ("all" for every one)
#
# Steps: install afl++ (Debian) and the sharpfuzz tool (.config/dotnet-tools.json) when missing; build the runner
# into fuzz/out/plain (seeding fuzz/fixture and fuzz/corpus first when there is no fixture); copy it to
# fuzz/out/instrumented and instrument the Backchannel assemblies there; run afl-fuzz -V SECS per target;
# then minimise the queue into fuzz/corpus/TARGET (afl-cmin, at most 200 files; seed-* files are kept) and copy
# crashes and hangs to fuzz/crashes/TARGET. Stats go to fuzz/out/stats.tsv. Everything but corpus/ and crashes/
# stays in fuzz/out/ (ignored by git). Runs under `nice -n 10`: the machines have two shared cores.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
target=${1:-all}
seconds=${2:-180}
out=fuzz/out
max_corpus=200

if ! command -v afl-fuzz >/dev/null; then
  echo "== installing afl++" >&2
  apt-get update -qq && apt-get install -y -qq afl++ >/dev/null
fi
dotnet tool restore >/dev/null

build() {
  rm -rf "$out/plain"
  dotnet build fuzz/Backchannel.Fuzz/Backchannel.Fuzz.csproj -c Release -nologo -v q -clp:ErrorsOnly -o "$out/plain" >&2
}
echo "== build" >&2
build
if [ ! -f fuzz/fixture/receiver.json ]; then
  echo "== seed (new fixture)" >&2
  dotnet "$out/plain/Backchannel.Fuzz.dll" seed fuzz
  build
fi

echo "== instrument" >&2
rm -rf "$out/instrumented"
cp -r "$out/plain" "$out/instrumented"
for dll in Backchannel.Protocol Backchannel.Client Backchannel.Relay; do
  dotnet tool run sharpfuzz "$out/instrumented/$dll.dll"
done

if [ "$target" = all ]; then
  targets=$(dotnet "$out/plain/Backchannel.Fuzz.dll" list | awk '{print $1}')
else
  targets=$target
fi

# SharpFuzz runs the target under `dotnet`, which is not instrumented itself.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
[ -f "$out/stats.tsv" ] || printf 'target\tseconds\texecs_done\texecs_per_sec\tsaved_crashes\tsaved_hangs\tqueue\tcommitted\n' >"$out/stats.tsv"
# afl-cmin wants a path to the program, not a bare name.
runner=("$(command -v dotnet)" "$out/instrumented/Backchannel.Fuzz.dll")

for t in $targets; do
  echo "== $t ($seconds s)" >&2
  corpus=fuzz/corpus/$t
  findings=$out/findings/$t
  rm -rf "$findings"
  mkdir -p "$corpus" "$findings"
  nice -n 10 afl-fuzz -V "$seconds" -i "$corpus" -o "$findings" -t 5000 -m none -- "${runner[@]}" "$t" >"$findings.log" 2>&1 || {
    echo "afl-fuzz failed for $t; see $findings.log" >&2
    tail -n 20 "$findings.log" >&2
    continue
  }
  stats=$findings/default/fuzzer_stats
  statval() { awk -F': *' -v k="$1" '$1 ~ "^"k" *$" {print $2}' "$stats"; }

  # Crashes and hangs, named by content so that reruns do not duplicate them.
  for kind in crashes hangs; do
    for f in "$findings"/default/$kind/id*; do
      [ -f "$f" ] || continue
      mkdir -p "fuzz/crashes/$t"
      cp "$f" "fuzz/crashes/$t/${kind%es}-$(sha1sum "$f" | cut -c1-16)"
    done
  done

  # The new corpus: the queue minimised by coverage, seeds always kept, at most $max_corpus files.
  cmin=$out/cmin/$t
  rm -rf "$cmin"
  if ! nice -n 10 afl-cmin -i "$findings/default/queue" -o "$cmin" -t 5000 -m none -- "${runner[@]}" "$t" >"$findings.cmin.log" 2>&1; then
    echo "afl-cmin failed for $t; keeping the queue's smallest files" >&2
    mkdir -p "$cmin"
    ls -S -r "$findings"/default/queue/id* | head -n "$max_corpus" | xargs -r cp -t "$cmin"
  fi
  find "$corpus" -type f ! -name 'seed-*' -delete
  ls -S -r "$cmin" | head -n "$max_corpus" | while read -r f; do
    cp "$cmin/$f" "$corpus/cmin-$(sha1sum "$cmin/$f" | cut -c1-16)"
  done
  # A queue entry identical to a seed is the seed.
  for s in "$corpus"/seed-*; do
    h=$(sha1sum "$s" | cut -c1-16)
    rm -f "$corpus/cmin-$h"
  done

  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$seconds" "$(statval execs_done)" "$(statval execs_per_sec)" \
    "$(statval saved_crashes)" "$(statval saved_hangs)" "$(statval corpus_count)" "$(ls "$corpus" | wc -l)" >>"$out/stats.tsv"
  tail -n 1 "$out/stats.tsv" >&2
done

# Replay what was found with the plain build: the regression tests run the same check.
if [ -d fuzz/crashes ]; then
  for d in fuzz/crashes/*/; do
    [ -d "$d" ] || continue
    dotnet "$out/plain/Backchannel.Fuzz.dll" replay "$(basename "$d")" "$d" || true
  done
fi
column -t "$out/stats.tsv" >&2
