#!/usr/bin/env bash
# bench/exec.sh: how fast box runs a command in a running container, compared in a single run with
# `podman exec` and with `nsenter -a` (the floor: joining the namespaces, nothing else).
# Run it as root from anywhere: bash bench/exec.sh.
#
# Each tool gets one long-running container (`sleep`) of the box-demo image from Fixtures/out/, in a
# private store under a temp dir; then `true` is run in it, EXEC_RUNS times for box and nsenter and
# PODMAN_RUNS times for podman. Times come from hyperfine without a shell (-N). The runs are split into
# ROUNDS blocks and the blocks of the rows alternate (in a rotating order), so load from other processes
# on a shared machine hits all rows alike; the statistics pool every run of a row.
#
# What each row does:
#   box exec ID true      box's whole path: read the record, join the container's cgroup (v1: every
#                         hierarchy box uses) and all its namespaces, take its user, capabilities,
#                         environment and working directory, exec, wait, exit with the code.
#   podman exec ID true   the same through podman, conmon and crun. On this kind of machine podman as
#                         root runs only with --cgroups disabled, so its container has no cgroup to join.
#   nsenter -t PID -a true   util-linux: setns into every namespace of the container's init and exec;
#                         no cgroup, no identity or capability changes, no state to read.
#
# Writes bench/out/exec.md (also printed on stdout) and leaves bench/RESULTS.md alone. Raw hyperfine
# JSON goes to bench/out/exec/. Progress goes to stderr.
#
# Knobs (environment): BOX=path/to/box, EXEC_RUNS (200), PODMAN_RUNS (30), ROUNDS (5), WARMUP (5).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BOX=${BOX:-$REPO/.build-static/release/box}
DOCKER_TAR=$REPO/Fixtures/out/box-demo.docker.tar
OCI_TAR=$REPO/Fixtures/out/box-demo.oci.tar
OUT=$REPO/bench/out
EOUT=$OUT/exec
REPORT=$OUT/exec.md
EXEC_RUNS=${EXEC_RUNS:-200}
PODMAN_RUNS=${PODMAN_RUNS:-30}
ROUNDS=${ROUNDS:-5}
WARMUP=${WARMUP:-5}

BENCH=bench-exec
. "$REPO/bench/lib.sh"

require_box fixtures
require_positive EXEC_RUNS PODMAN_RUNS ROUNDS
[[ $WARMUP =~ ^[0-9]+$ ]] || die "WARMUP must be a non-negative integer"

# ---------------------------------------------------------------- tools
install_missing podman:podman hyperfine:hyperfine jq:jq nsenter:util-linux
for t in hyperfine jq nsenter; do command -v "$t" >/dev/null 2>&1 || die "$t is required"; done

# ---------------------------------------------------------------- scratch + cleanup
mkdir -p "$EOUT"
rm -f "$EOUT"/*.json "$EOUT"/*.err
scratch box-bench-exec

# ---------------------------------------------------------------- containers
declare -A FAIL=() CMD=() LABEL=() RUNS=()
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)

log "box: loading $OCI_TAR and starting a container"
"$BOX" "${BOX_G[@]}" load -i "$OCI_TAR" >&2
BOX_ID=$("$BOX" "${BOX_G[@]}" run -d --name bench-exec box-demo sleep 100000) || die "box run -d failed"
for _ in $(seq 100); do
	[ "$("$BOX" "${BOX_G[@]}" inspect -f '{{.State.Status}}' "$BOX_ID")" = running ] && break
	sleep 0.05
done
BOX_PID=$("$BOX" "${BOX_G[@]}" inspect -f '{{.State.Pid}}' "$BOX_ID")
[ -n "$BOX_PID" ] && [ "$BOX_PID" != 0 ] || die "box container is not running"
"$BOX" "${BOX_G[@]}" exec "$BOX_ID" true || die "box exec $BOX_ID true failed"
CMD[box]="$BOX ${BOX_G[*]} exec $BOX_ID true"
LABEL[box]='`box exec ID true`'
RUNS[box]=$EXEC_RUNS
# nsenter joins the namespaces of the same container
CMD[nsenter]="nsenter -t $BOX_PID -a true"
LABEL[nsenter]='`nsenter -t PID -a true`'
RUNS[nsenter]=$EXEC_RUNS
nsenter -t "$BOX_PID" -a true || FAIL[nsenter]="failed: nsenter -t $BOX_PID -a true"

PODMAN_VERSION="not available"
LABEL[podman]='`podman exec ID true`'
RUNS[podman]=$PODMAN_RUNS
if command -v podman >/dev/null 2>&1; then
	PODMAN_VERSION=$(podman --version)
	log "podman: loading $DOCKER_TAR and starting a container"
	if podman "${PODMAN_G[@]}" load -q -i "$DOCKER_TAR" >&2 2>"$EOUT/podman.err" &&
		POD_ID=$(podman "${PODMAN_G[@]}" run -d --name bench-exec --network none --cgroups disabled \
			--ulimit nofile=20000:20000 --ulimit nproc=32768:32768 box-demo sleep 100000 2>>"$EOUT/podman.err") &&
		podman "${PODMAN_G[@]}" exec "$POD_ID" true </dev/null >/dev/null 2>>"$EOUT/podman.err"; then
		CMD[podman]="podman ${PODMAN_G[*]} exec $POD_ID true"
	else
		FAIL[podman]="podman cannot run here: $(why "$EOUT/podman.err")"
	fi
else
	FAIL[podman]="podman cannot run here: not installed"
fi

# ---------------------------------------------------------------- measure
ORDER=(box nsenter podman)
for ((round = 0; round < ROUNDS; round++)); do
	for ((k = 0; k < ${#ORDER[@]}; k++)); do
		n=${ORDER[$(((k + round) % ${#ORDER[@]}))]}
		[ -z "${FAIL[$n]:-}" ] || continue
		runs=$((${RUNS[$n]} / ROUNDS))
		((runs >= 2)) || runs=2
		log "round $((round + 1))/$ROUNDS: $n ($runs runs)"
		if ! hyperfine -N --style basic --warmup "$WARMUP" --runs "$runs" --export-json "$EOUT/$n.$round.json" \
			-n "$n" "${CMD[$n]}" >"$EOUT/$n.$round.out" 2>"$EOUT/$n.$round.err"; then
			FAIL[$n]="failed: $(why "$EOUT/$n.$round.err")"
			[ "$n" != box ] || die "box row failed: ${FAIL[$n]}"
		fi
	done
done

# ---------------------------------------------------------------- report
declare -A MED=() MIN=() MEAN=() SD=() NRUNS=()
for n in "${ORDER[@]}"; do
	[ -z "${FAIL[$n]:-}" ] || continue
	read -r MED[$n] MIN[$n] MEAN[$n] SD[$n] NRUNS[$n] < <(jq -rs '
		[.[].results[0].times[]] | sort | length as $n
		| (if $n % 2 == 1 then .[($n - 1) / 2] else (.[$n / 2 - 1] + .[$n / 2]) / 2 end) as $med
		| (add / $n) as $mean
		| ((map(. - $mean | . * .) | add) / ([$n - 1, 1] | max) | sqrt) as $sd
		| "\($med * 1000) \(.[0] * 1000) \($mean * 1000) \($sd * 1000) \($n)"' "$EOUT/$n".*.json)
done
f2() { awk -v x="$1" 'BEGIN { printf "%.2f", x }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

table() {
	echo "| command | median ms | min ms | mean ± σ ms | runs | ratio vs nsenter |"
	echo "|---|---:|---:|---:|---:|---:|"
	local n r
	for n in "${ORDER[@]}"; do
		if [ -n "${FAIL[$n]:-}" ]; then
			echo "| ${LABEL[$n]} | ${FAIL[$n]} | | | | |"
			continue
		fi
		r=n/a
		[ -z "${MED[nsenter]:-}" ] || r="$(ratio "${MED[$n]}" "${MED[nsenter]}")×"
		echo "| ${LABEL[$n]} | $(f2 "${MED[$n]}") | $(f2 "${MIN[$n]}") | $(f2 "${MEAN[$n]}") ± $(f2 "${SD[$n]}") | ${NRUNS[$n]} | $r |"
	done
}

summary=()
if [ -n "${MED[nsenter]:-}" ]; then
	R=$(ratio "${MED[box]}" "${MED[nsenter]}")
	if awk -v r="$R" 'BEGIN { exit !(r <= 2) }'; then verdict=met; else verdict="not met"; fi
	summary+=("box exec / nsenter = ${R}× (median; aim ≤ 2×: **$verdict**)")
else
	summary+=("box exec / nsenter = n/a (${FAIL[nsenter]})")
fi
if [ -n "${MED[podman]:-}" ]; then
	summary+=("podman exec / box exec = $(ratio "${MED[podman]}" "${MED[box]}")× (median)")
else
	summary+=("podman exec / box exec = n/a (${FAIL[podman]})")
fi

CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
{
	echo "## Exec: run \`true\` in a running container"
	echo
	echo "Produced by \`bash bench/exec.sh\`; raw hyperfine JSON in bench/out/exec/."
	echo
	echo "- Date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); $(nproc) CPUs ($CPU), kernel $(uname -r)"
	echo "- $PODMAN_VERSION; $(hyperfine --version); $(nsenter --version 2>&1 | head -1)"
	echo "- Load average when the run started: $LOADAVG (the machine may be shared; see the σ column)"
	echo "- Method: hyperfine -N (no shell), warmup $WARMUP per block; each row's runs in $ROUNDS blocks, alternating with the other rows'"
	echo "- podman's container runs with \`--cgroups disabled\` (podman as root cannot run otherwise here), so its exec joins no cgroup; box's joins the container's cgroup in every v1 hierarchy box uses"
	echo
	table
	echo
	for s in "${summary[@]}"; do echo "- $s"; done
} >"$REPORT"
cat "$REPORT"
log "wrote $REPORT"
