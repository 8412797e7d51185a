#!/usr/bin/env bash
# bench/monitor.sh: detached containers. `run -d --init` of a shell container then `stop`, with box and
# with podman, side by side in one run; and the resident memory of box's per-container monitor next to
# podman's conmon. Run as root from anywhere; needs `make build fixtures`.
#
# Prints a Markdown section and replaces the "## Detached" section of bench/RESULTS.md, keeping the rest.
# Knobs: BOX=path/to/box, RUNS (default 20).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BOX=${BOX:-$REPO/.build-static/release/box}
RUNS=${RUNS:-20}
RESULTS=$REPO/bench/RESULTS.md
BENCH=bench-monitor
. "$REPO/bench/lib.sh"
require_box

scratch box-bench-monitor
B=("$BOX" "${BOX_G[@]}")
P=(podman "${PODMAN_G[@]}")
PFLAGS=(--network none --cgroups disabled --ulimit nofile=20000:20000 --ulimit nproc=32768:32768)

now_ms() { echo $(($(date +%s%N) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# RSS, PSS and private dirty memory (what no other process shares and the kernel cannot drop) of a pid, in KiB.
mem() { awk '/^Rss:/ {r=$2} /^Pss:/ {p=$2} /^Private_Dirty:/ {d=$2} END {print r, p, d}' "/proc/$1/smaps_rollup"; }
# The same, averaged over the pids given.
mem_avg() { for p in "$@"; do mem "$p"; done | awk '{r+=$1; p+=$2; d+=$3} END {printf "%d %d %d\n", r/NR, p/NR, d/NR}'; }
MONITORS=${MONITORS:-10}

"${B[@]}" load -i "$REPO/Fixtures/out/box-demo.oci.tar" >/dev/null
# tool, then the command line of `run -d` (its stdout is the ID)
cycle() {
	local tool=$1; shift
	local run_ms=() stop_ms=()
	for i in $(seq "$RUNS"); do
		t0=$(now_ms); id=$("$@" run -d --init "${EXTRA[@]}" box-demo sh -c 'sleep 60'); t1=$(now_ms)
		"$@" stop "$id" >/dev/null; t2=$(now_ms)
		"$@" rm "$id" >/dev/null
		run_ms+=($((t1 - t0))); stop_ms+=($((t2 - t1)))
	done
	echo "$tool $(printf '%s\n' "${run_ms[@]}" | median) $(printf '%s\n' "${stop_ms[@]}" | median)"
}
EXTRA=()
rows=("$(cycle box "${B[@]}")")
mons=()
for i in $(seq "$MONITORS"); do
	id=$("${B[@]}" run -d box-demo sleep 600)
	mons+=("$("${B[@]}" inspect -f '{{.State.MonitorPid}}' "$id")")
done
read -r box_rss box_pss box_dirty < <(mem_avg "${mons[@]}")
podman_note="podman not installed"
conmon_rss="" conmon_pss="" conmon_dirty=""
if command -v podman >/dev/null; then
	if "${P[@]}" load -q -i "$REPO/Fixtures/out/box-demo.docker.tar" >/dev/null 2>&1; then
		EXTRA=("${PFLAGS[@]}")
		if out=$(cycle podman "${P[@]}" 2>&1); then
			rows+=("$out")
			cpids=()
			for i in $(seq "$MONITORS"); do
				pid=$("${P[@]}" run -d "${PFLAGS[@]}" box-demo sleep 600)
				cpids+=("$("${P[@]}" inspect -f '{{.State.ConmonPid}}' "$pid")")
			done
			read -r conmon_rss conmon_pss conmon_dirty < <(mem_avg "${cpids[@]}")
			podman_note="$(podman --version)"
		else
			podman_note="podman failed: $(echo "$out" | tail -1)"
		fi
	else
		podman_note="podman could not load the image"
	fi
fi

SECTION=$(
	echo "## Detached: \`run -d --init\` of a shell container, then \`stop\` ($RUNS runs, medians)"
	echo
	echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r); $("$BOX" version 2>/dev/null | head -1); $podman_note."
	echo
	echo "| tool | run -d (ms) | stop (ms) |"
	echo "|---|---|---|"
	for r in "${rows[@]}"; do set -- $r; echo "| $1 | $2 | $3 |"; done
	echo
	echo "Memory of one monitor, averaged over $MONITORS detached containers running at once (KiB):"
	echo
	echo "| process | RSS | PSS | private dirty |"
	echo "|---|---|---|---|"
	echo "| box monitor | $box_rss | $box_pss | $box_dirty |"
	[ -n "$conmon_rss" ] && echo "| podman's conmon | $conmon_rss | $conmon_pss | $conmon_dirty |"
	echo
	echo "RSS counts the pages of the binary a process has touched, shared through the page cache with every"
	echo "process that runs the same binary; PSS divides those among the sharers; private dirty is what one"
	echo "monitor alone costs and the kernel cannot drop. The issue's aim: at most 2 MiB resident."
)
echo "$SECTION"
if [ -f "$RESULTS" ]; then
	awk '/^## Detached([: ]|$)/ { skip = 1; next } /^## / { skip = 0 } !skip' "$RESULTS" >"$RESULTS.tmp"
else
	printf '# box benchmark results\n' >"$RESULTS.tmp"
fi
printf '\n%s\n' "$SECTION" >>"$RESULTS.tmp"
mv "$RESULTS.tmp" "$RESULTS"
