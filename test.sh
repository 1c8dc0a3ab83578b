#!/usr/bin/env bash
# Runs every test of the repository, interop with libsignal included, on a machine that has only the
# .NET SDK, Node and npm. Test projects run one after another (2-core machines), and the last line is
# the total: "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

echo "== restore and build" >&2
if ! dotnet build Backchannel.slnx -c Release -nologo -v q -clp:ErrorsOnly >&2; then
  echo "build failed" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

passed=0; failed=0; skipped=0; status=0
results=$(mktemp -d)
for proj in $(ls tests/*/*.Tests.csproj tests/*/*/*.Tests.csproj 2>/dev/null | sort -u); do
  name=$(basename "$proj" .csproj)
  echo "== $name" >&2
  log="$results/$name.log"
  dotnet test "$proj" -c Release --no-build --nologo -v q 2>&1 | tee "$log" | grep -E "^(Passed!|Failed!)|\[FAIL\]|Error Message|^\s+at " | head -n 200 >&2
  rc=${PIPESTATUS[0]}
  line=$(grep -E "(Passed|Failed)! +- +Failed: +[0-9]+, +Passed: +[0-9]+, +Skipped: +[0-9]+" "$log" | tail -n 1)
  if [ -z "$line" ]; then
    echo "$name: no test summary (exit $rc)" >&2
    tail -n 40 "$log" >&2
    failed=$((failed + 1)); status=1; continue
  fi
  f=$(sed -E 's/.*Failed: +([0-9]+).*/\1/' <<<"$line")
  p=$(sed -E 's/.*Passed: +([0-9]+).*/\1/' <<<"$line")
  s=$(sed -E 's/.*Skipped: +([0-9]+).*/\1/' <<<"$line")
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  [ "$rc" = 0 ] || status=1
done
rm -rf "$results"
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
exit $status
