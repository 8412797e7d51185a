#!/usr/bin/env bash
# bench/cp.sh: how fast `box cp` copies into and out of a running container, side by side with `podman cp`.
# Run it as root from anywhere: bash bench/cp.sh.
#
# Two workloads, each both ways:
#   tree   a directory of TREE_FILES small files (100 directories of TREE_FILES/100 files of 1000 bytes)
#   big    one file of BIG_MB MB (random bytes)
# "in" copies from the host into a new path in the container (`cp SRC ID:/in-x`), "out" copies a copy of
# the same data that was put in the container beforehand to a new path on the host (`cp ID:/src-x DEST`).
# Before every timed run (untimed, through hyperfine --prepare) the destination is removed and `sync` runs, so
# each copy starts with nothing to replace and no dirty pages of the previous one.
#
# Each tool gets one long-running container (`sleep`) of the box-demo image from Fixtures/out/, in a private
# store under a temp dir. podman as root runs here only with --cgroups disabled and raised ulimits (see
# bench/exec.sh). Times come from hyperfine without a shell (-N); each row's runs are split into ROUNDS
# blocks that alternate with the other rows' (rotating order), so load from other processes on a shared
# machine hits all rows alike.
#
# Writes bench/out/cp.md (also printed on stdout, a Markdown section "## Copy") and leaves bench/RESULTS.md
# alone. Raw hyperfine JSON goes to bench/out/cp/. Progress goes to stderr.
#
# Knobs (environment): BOX=path/to/box, RUNS (6 per row), ROUNDS (3), WARMUP (0), TREE_FILES (10000),
# BIG_MB (500).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BOX=${BOX:-$REPO/.build-static/release/box}
DOCKER_TAR=$REPO/Fixtures/out/box-demo.docker.tar
OCI_TAR=$REPO/Fixtures/out/box-demo.oci.tar
OUT=$REPO/bench/out
COUT=$OUT/cp
REPORT=$OUT/cp.md
RUNS=${RUNS:-6}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-0}
TREE_FILES=${TREE_FILES:-10000}
BIG_MB=${BIG_MB:-500}

BENCH=bench-cp
. "$REPO/bench/lib.sh"

require_box fixtures
require_positive RUNS ROUNDS TREE_FILES BIG_MB
[[ $WARMUP =~ ^[0-9]+$ ]] || die "WARMUP must be a non-negative integer"
((TREE_FILES % 100 == 0)) || die "TREE_FILES must be a multiple of 100"

# ---------------------------------------------------------------- tools
install_missing podman:podman hyperfine:hyperfine jq:jq
for t in hyperfine jq; do command -v "$t" >/dev/null 2>&1 || die "$t is required"; done

# ---------------------------------------------------------------- scratch + cleanup
mkdir -p "$COUT"
rm -f "$COUT"/*.json "$COUT"/*.err "$COUT"/*.out
scratch box-bench-cp "${TMPDIR:-/var/tmp}"

# ---------------------------------------------------------------- data
DATA=$WORK/data
mkdir -p "$DATA/tree" "$WORK/out" "$WORK/prep"
per=$((TREE_FILES / 100))
log "data: $TREE_FILES files of 1000 bytes, one file of $BIG_MB MB"
for i in $(seq -w 0 99); do
	mkdir "$DATA/tree/d$i"
	head -c $((per * 1000)) /dev/urandom | split -b 1000 -a 4 -d - "$DATA/tree/d$i/f"
done
head -c "$((BIG_MB * 1000 * 1000))" /dev/urandom >"$DATA/big"
[ "$(find "$DATA/tree" -type f | wc -l)" = "$TREE_FILES" ] || die "the tree has the wrong number of files"

# ---------------------------------------------------------------- containers
declare -A FAIL=() CMD=() PREP=()
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)

log "box: loading $OCI_TAR and starting a container"
"$BOX" "${BOX_G[@]}" load -i "$OCI_TAR" >&2
BOX_ID=$("$BOX" "${BOX_G[@]}" run -d --name bench-cp box-demo sleep 100000) || die "box run -d failed"
"$BOX" "${BOX_G[@]}" exec "$BOX_ID" true || die "box exec $BOX_ID true failed"
BOXC="$BOX ${BOX_G[*]}"

PODMAN_VERSION="not available"
PODC=
if command -v podman >/dev/null 2>&1; then
	PODMAN_VERSION=$(podman --version)
	log "podman: loading $DOCKER_TAR and starting a container"
	if podman "${PODMAN_G[@]}" load -q -i "$DOCKER_TAR" >&2 2>"$COUT/podman.err" &&
		POD_ID=$(podman "${PODMAN_G[@]}" run -d --name bench-cp --network none --cgroups disabled \
			--ulimit nofile=20000:20000 --ulimit nproc=32768:32768 box-demo sleep 100000 2>>"$COUT/podman.err"); then
		PODC="podman ${PODMAN_G[*]}"
	else
		FAIL[podman]="podman cannot run here: $(why "$COUT/podman.err")"
	fi
else
	FAIL[podman]="podman cannot run here: not installed"
fi

# the sources of the "out" rows, put in each container once, by its own tool
log "putting the sources of the out rows in the containers"
$BOXC cp "$DATA/tree" "$BOX_ID:/src-tree" && $BOXC cp "$DATA/big" "$BOX_ID:/src-big" || die "box cp of the sources failed"
if [ -n "$PODC" ]; then
	$PODC cp "$DATA/tree" "$POD_ID:/src-tree" 2>>"$COUT/podman.err" && $PODC cp "$DATA/big" "$POD_ID:/src-big" 2>>"$COUT/podman.err" ||
		FAIL[podman]="podman cp failed: $(why "$COUT/podman.err")"
fi

# rows: TOOL-DIRECTION-WORKLOAD
ROWS=()
for tool in box podman; do
	for w in tree big; do
		for dir in in out; do
			n=$tool-$dir-$w
			ROWS+=("$n")
			if [ "$tool" = box ]; then c=$BOXC id=$BOX_ID; else c=$PODC id=${POD_ID:-}; fi
			if [ "$dir" = in ]; then
				CMD[$n]="$c cp $DATA/$w $id:/in-$w"
				printf '%s exec %s rm -rf /in-%s\nsync\n' "$c" "$id" "$w" >"$WORK/prep/$n.sh"
			else
				CMD[$n]="$c cp $id:/src-$w $WORK/out/$n"
				printf 'rm -rf %s\nsync\n' "$WORK/out/$n" >"$WORK/prep/$n.sh"
			fi
			PREP[$n]="sh $WORK/prep/$n.sh"
			[ "$tool" = box ] || [ -z "${FAIL[podman]:-}" ] || FAIL[$n]=${FAIL[podman]}
		done
	done
done

# ---------------------------------------------------------------- measure
for ((round = 0; round < ROUNDS; round++)); do
	for ((k = 0; k < ${#ROWS[@]}; k++)); do
		n=${ROWS[$(((k + round) % ${#ROWS[@]}))]}
		[ -z "${FAIL[$n]:-}" ] || continue
		runs=$((RUNS / ROUNDS))
		((runs >= 1)) || runs=1
		log "round $((round + 1))/$ROUNDS: $n ($runs runs)"
		if ! hyperfine -N --style basic --warmup "$WARMUP" --runs "$runs" --prepare "${PREP[$n]}" \
			--export-json "$COUT/$n.$round.json" -n "$n" "${CMD[$n]}" >"$COUT/$n.$round.out" 2>"$COUT/$n.$round.err"; then
			FAIL[$n]="failed: $(why "$COUT/$n.$round.err")"
			[[ $n != box-* ]] || die "box row failed: ${FAIL[$n]}"
		fi
	done
done

# a last check that the copies are whole: the out rows' results against the data
cmp -s "$DATA/big" "$WORK/out/box-out-big" || die "box cp out of the container: the big file differs"
diff -rq "$DATA/tree" "$WORK/out/box-out-tree" >/dev/null || die "box cp out of the container: the tree differs"

# ---------------------------------------------------------------- report
declare -A MED=() MIN=() MEAN=() SD=() NRUNS=()
for n in "${ROWS[@]}"; do
	[ -z "${FAIL[$n]:-}" ] || continue
	read -r MED[$n] MIN[$n] MEAN[$n] SD[$n] NRUNS[$n] < <(jq -rs '
		[.[].results[0].times[]] | sort | length as $n
		| (if $n % 2 == 1 then .[($n - 1) / 2] else (.[$n / 2 - 1] + .[$n / 2]) / 2 end) as $med
		| (add / $n) as $mean
		| ((map(. - $mean | . * .) | add) / ([$n - 1, 1] | max) | sqrt) as $sd
		| "\($med * 1000) \(.[0] * 1000) \($mean * 1000) \($sd * 1000) \($n)"' "$COUT/$n".*.json)
done
f0() { awk -v x="$1" 'BEGIN { printf "%.0f", x }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
cell() { # median ± σ (min) of a row, or why it has none
	if [ -n "${FAIL[$1]:-}" ]; then echo "${FAIL[$1]}"; else echo "$(f0 "${MED[$1]}") ± $(f0 "${SD[$1]}") (min $(f0 "${MIN[$1]}"))"; fi
}

declare -A WHAT=([in-tree]="$TREE_FILES files × 1000 B, host → container" [out-tree]="$TREE_FILES files × 1000 B, container → host"
	[in-big]="one $BIG_MB MB file, host → container" [out-big]="one $BIG_MB MB file, container → host")
CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
{
	echo "## Copy"
	echo
	echo "Produced by \`bash bench/cp.sh\`; raw hyperfine JSON in bench/out/cp/."
	echo
	echo "- Date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); $(nproc) CPUs ($CPU), kernel $(uname -r); scratch on $(df -P "$WORK" | awk 'NR == 2 { print $1 }') ($(stat -f -c %T "$WORK"))"
	echo "- $PODMAN_VERSION; $(hyperfine --version)"
	echo "- Load average when the run started: $LOADAVG (the machine may be shared; see σ)"
	echo "- Method: hyperfine -N, $RUNS runs per row in $ROUNDS alternating blocks, warmup $WARMUP; before each run (untimed) the destination is removed and \`sync\` runs"
	echo "- Both containers are running \`sleep\`; podman's with \`--cgroups disabled\` and raised ulimits (podman as root runs only so here)"
	echo
	echo "| workload | box cp, ms (median ± σ) | podman cp, ms (median ± σ) | podman / box |"
	echo "|---|---:|---:|---:|"
	for w in in-tree out-tree in-big out-big; do
		b=box-${w%%-*}-${w#*-} p=podman-${w%%-*}-${w#*-}
		r=n/a
		[ -z "${MED[$b]:-}" ] || [ -z "${MED[$p]:-}" ] || r="$(ratio "${MED[$p]}" "${MED[$b]}")×"
		echo "| ${WHAT[$w]} | $(cell "$b") | $(cell "$p") | $r |"
	done
} >"$REPORT"
cat "$REPORT"
log "wrote $REPORT"
