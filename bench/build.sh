#!/usr/bin/env bash
# bench/build.sh: how fast `box build` builds, side by side with `podman build`, on the same Dockerfile and context
# (Fixtures/build/web: an apache-style image with LABEL, ENV, RUN, WORKDIR, ADD of a tar, COPY of a site, …).
# Run it as root from anywhere: bash bench/build.sh.
#
# Three workloads, each RUNS times per tool (medians):
#   cold     a build with an empty cache (--no-cache), from the base image already in the store
#   cached   the same build again: every step a cache hit
#   edited   one HTML file of the site changed before each build: the steps from the COPY down run again
# podman builds with --isolation chroot (its OCI runtime cannot start containers on this host's hybrid cgroups,
# see docs/machine.md) and --format docker (so HEALTHCHECK is kept, as box keeps it), in a private store.
#
# Writes bench/out/build.md (also printed, a Markdown section "## Build"); bench/run.sh copies it into
# bench/RESULTS.md. Progress goes to stderr. Knobs: BOX=path/to/box, RUNS (7).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BOX=${BOX:-$REPO/.build-static/release/box}
RUNS=${RUNS:-7}
OUT=$REPO/bench/out
REPORT=$OUT/build.md
BENCH=bench-build
. "$REPO/bench/lib.sh"

[ "$(id -u)" = 0 ] || die "run as root"
[ -x "$BOX" ] || die "no box binary at $BOX (make build, or BOX=…)"
[ -f "$REPO/Fixtures/out/box-demo.oci.tar" ] || die "no fixtures (make fixtures)"
mkdir -p "$OUT"
scratch bench-build
CTX=$WORK/ctx
cp -a "$REPO/Fixtures/build/web" "$CTX"

"$BOX" "${BOX_G[@]}" load -i "$REPO/Fixtures/out/box-demo.oci.tar" >/dev/null
HAVE_PODMAN=0
if command -v podman >/dev/null 2>&1; then
	PM=(podman "${PODMAN_G[@]}")
	if "${PM[@]}" load -q -i "$REPO/Fixtures/out/box-demo.docker.tar" >/dev/null 2>&1; then HAVE_PODMAN=1; fi
fi
PM_BUILD=(build --isolation chroot --pull=never --format docker --ulimit nofile=20000:20000 --ulimit nproc=32768:32768
	--build-arg BASE=localhost/box-demo -q -t web "$CTX")

# now: seconds since the epoch, with nanoseconds
now() { date +%s.%N; }
# time_one CMD…: the wall time of one run, in seconds; a failure ends the benchmark
time_one() {
	local t0 t1
	t0=$(now)
	"$@" >"$WORK/last.log" 2>&1 || { cat "$WORK/last.log" >&2; die "failed: $*"; }
	t1=$(now)
	echo "$t1 - $t0" | bc -l
}
median() { sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f\n", m}'; }
edit() { echo "<h1>edit $RANDOM$RANDOM</h1>" >"$CTX/site/index.html"; }

declare -A RES
run_tool() {
	local tool=$1 i
	shift
	local -a cold=() cached=() edited=()
	for ((i = 0; i < RUNS; i++)); do
		log "$tool run $((i + 1))/$RUNS"
		cold+=("$(time_one "$@" --no-cache)")
		cached+=("$(time_one "$@")")
		edit
		edited+=("$(time_one "$@")")
	done
	RES[$tool.cold]=$(printf '%s\n' "${cold[@]}" | median)
	RES[$tool.cached]=$(printf '%s\n' "${cached[@]}" | median)
	RES[$tool.edited]=$(printf '%s\n' "${edited[@]}" | median)
}

# box's cache and podman's are warmed by one build each first
"$BOX" "${BOX_G[@]}" build -q -t web "$CTX" >/dev/null
run_tool box "$BOX" "${BOX_G[@]}" build -q -t web "$CTX"
if ((HAVE_PODMAN)); then
	"${PM[@]}" "${PM_BUILD[@]}" >/dev/null 2>&1 || HAVE_PODMAN=0
fi
if ((HAVE_PODMAN)); then
	pm_build() { "${PM[@]}" "${PM_BUILD[@]}" "$@"; }
	run_tool podman pm_build
fi

{
	echo "## Build"
	echo
	echo "\`box build\` vs \`podman build\` of Fixtures/build/web (14 steps: one RUN, an ADD of a tar, a COPY of a site),"
	echo "medians of $RUNS runs each, wall time in seconds ($(date -u +%Y-%m-%d), $(nproc) cores; bench/build.sh)."
	echo "podman $(podman --version 2>/dev/null | awk '{print $3}') builds with \`--isolation chroot --format docker\`."
	echo
	echo "| workload | box | podman | podman / box |"
	echo "|---|---|---|---|"
	for w in cold cached edited; do
		b=${RES[box.$w]}
		if ((HAVE_PODMAN)); then
			p=${RES[podman.$w]}
			r=$(echo "$p / $b" | bc -l | xargs printf '%.1fx')
		else
			p="n/a (podman missing or failing)"
			r="-"
		fi
		case $w in
		cold) d="cold build (\`--no-cache\`)" ;;
		cached) d="fully cached rebuild" ;;
		edited) d="rebuild after one HTML file changed" ;;
		esac
		echo "| $d | $b | $p | $r |"
	done
	echo
	echo "Aim: a fully cached rebuild under 0.2 s, and faster than podman in all three."
} | tee "$REPORT"
