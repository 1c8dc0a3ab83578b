#!/usr/bin/env python3
"""Summarises a dotnet-trace Speedscope file (BENCHMARKS.md, Relay load, Profile).

  speedscope-summary.py FILE.speedscope.json [--callers SUBSTRING]

Counts only samples whose leaf is CPU_TIME (threads not blocked in a native wait). Prints the top exclusive frames
(the frame under CPU_TIME; native SQLite shows as SqliteDataReader.NextResult or ?!?) and the top inclusive frames;
with --callers, the three frames above each frame matching SUBSTRING, by sampled time.
"""
import collections
import json
import sys


def walk(profile, frames):
    """Yields (stack of frame names, duration) for each CPU_TIME interval of one evented profile."""
    stack, last = [], None
    for event in profile["events"]:
        at = event["at"]
        if last is not None and stack and at > last and frames[stack[-1]] == "CPU_TIME" and len(stack) > 1:
            yield [frames[f] for f in stack], at - last
        last = at
        if event["type"] == "O":
            stack.append(event["frame"])
        elif stack:
            stack.pop()


def main(argv):
    data = json.load(open(argv[1]))
    frames = [f["name"] for f in data["shared"]["frames"]]
    callers = argv[3] if len(argv) > 3 and argv[2] == "--callers" else None
    exclusive, inclusive, chains = collections.Counter(), collections.Counter(), collections.Counter()
    total = 0.0
    for profile in data["profiles"]:
        for names, dt in walk(profile, frames):
            total += dt
            exclusive[names[-2]] += dt
            for name in set(names):
                inclusive[name] += dt
            if callers:
                hits = [i for i, n in enumerate(names) if callers in n]
                if hits:
                    i = hits[0]
                    chains[" <- ".join(n.split("!")[-1][:70] for n in reversed(names[max(0, i - 3):i]))] += dt
    print(f"CPU_TIME samples: {total:.0f} ms")
    if callers:
        for chain, ms in chains.most_common(10):
            print(f"{ms:8.0f} ms  {chain}")
        return
    print("--- top exclusive")
    for name, ms in exclusive.most_common(25):
        print(f"{100 * ms / total:5.1f}% {name[:150]}")
    print("--- top inclusive")
    for name, ms in inclusive.most_common(120):
        print(f"{100 * ms / total:5.1f}% {name[:150]}")


if __name__ == "__main__":
    main(sys.argv)
