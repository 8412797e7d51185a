#!/usr/bin/env bash
# bench/run.sh: how fast box starts a container, compared in a single run with
# podman, crun on a plain OCI bundle, and a bare unshare+chroot (the floor).
# Called by `make bench` (from the repo root, as root). See bench/README.md.
#
# Writes bench/RESULTS.md, keeps the raw hyperfine JSON in bench/out/, and
# prints the results table to stdout. Progress and hyperfine output go to stderr.
#
# Knobs (environment): BOX=path/to/box, FAST_RUNS (default 100), FAST_WARMUP (10),
# PODMAN_RUNS (20), PODMAN_WARMUP (3), RSS_RUNS (10).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BOX=${BOX:-$REPO/.build-static/release/box}
DOCKER_TAR=$REPO/Fixtures/out/box-demo.docker.tar
OCI_TAR=$REPO/Fixtures/out/box-demo.oci.tar
IMAGE_REF=box-demo:latest
OUT=$REPO/bench/out
RESULTS=$REPO/bench/RESULTS.md

FAST_RUNS=${FAST_RUNS:-100}
FAST_WARMUP=${FAST_WARMUP:-10}
PODMAN_RUNS=${PODMAN_RUNS:-20}
PODMAN_WARMUP=${PODMAN_WARMUP:-3}
RSS_RUNS=${RSS_RUNS:-10}

BENCH=bench
. "$REPO/bench/lib.sh"
# First non-empty line of a file, squeezed onto one line for a table cell.
one_line() { grep -m1 -v '^[[:space:]]*$' "$1" 2>/dev/null | tr -d '\r|`' | cut -c1-160 || true; }

require_box fixtures

# ---------------------------------------------------------------- tools
install_missing podman:podman crun:crun hyperfine:hyperfine /usr/bin/time:time jq:jq unshare:util-linux
for t in hyperfine jq unshare; do command -v "$t" >/dev/null 2>&1 || die "$t is required"; done
[ -x /usr/bin/time ] || die "/usr/bin/time (package time) is required"

# ---------------------------------------------------------------- scratch + cleanup
mkdir -p "$OUT"
rm -f "$OUT"/*.json "$OUT"/*.err "$OUT"/*.rss
scratch box-bench
CRUN_G=(--root "$WORK/crun-state")
BUNDLE=$WORK/bundle
ROOTFS=$BUNDLE/rootfs
bench_cleanup_hook() {
	local id
	if command -v crun >/dev/null 2>&1 && [ -d "$WORK/crun-state" ]; then
		for id in $(crun "${CRUN_G[@]}" list -q 2>/dev/null); do crun "${CRUN_G[@]}" delete -f "$id" >/dev/null 2>&1; done
	fi
}

# ---------------------------------------------------------------- cgroup v1/v2 hybrid fix for crun/podman
# On a hybrid host crun refuses to run while any controller is available on the v2
# hierarchy ("cgroups in hybrid mode not supported, drop all controllers from cgroupv2").
# Binding those controllers to v1 hierarchies fixes it; the mounts are left in place.
CGROUP_NOTE="not needed (no cgroup v1/v2 hybrid)"
if [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = tmpfs ]; then
	unified=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
	if [ -n "$unified" ] && [ -r "$unified/cgroup.controllers" ]; then
		ctrls=$(cat "$unified/cgroup.controllers")
		if [ -z "$ctrls" ]; then
			CGROUP_NOTE="hybrid cgroups; no controller left on cgroup v2 (e.g. hugetlb already mounted as v1), nothing to do"
		else
			done_=() failed_=()
			for c in $ctrls; do
				if mkdir -p "/sys/fs/cgroup/$c" && mount -t cgroup -o "$c" cgroup "/sys/fs/cgroup/$c"; then
					done_+=("$c")
				else
					failed_+=("$c")
				fi
			done
			CGROUP_NOTE="hybrid cgroups: this run mounted v1 hierarchies for [${done_[*]:-}] at /sys/fs/cgroup/<name> so crun works (left mounted)"
			((${#failed_[@]} == 0)) || CGROUP_NOTE+="; failed to mount [${failed_[*]}]"
		fi
	fi
fi
log "cgroups: $CGROUP_NOTE"

# ---------------------------------------------------------------- setup
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
log "box: loading $OCI_TAR into $WORK/box"
"$BOX" "${BOX_G[@]}" load -i "$OCI_TAR" >&2
"$BOX" "${BOX_G[@]}" run --rm box-demo true || die "box run --rm box-demo true failed"

# Rootfs for crun and unshare: the docker archive's layers, applied in order with tar
# (whiteouts and opaque dirs handled the simple way; nothing box-specific involved).
log "extracting rootfs of $IMAGE_REF from $DOCKER_TAR"
mkdir -p "$WORK/image" "$ROOTFS"
tar -xf "$DOCKER_TAR" -C "$WORK/image"
mapfile -t layers < <(jq -r --arg t "$IMAGE_REF" '.[] | select((.RepoTags // []) | index($t)) | .Layers[]' "$WORK/image/manifest.json")
((${#layers[@]})) || die "image $IMAGE_REF not found in $DOCKER_TAR"
for layer in "${layers[@]}"; do
	while IFS= read -r p; do
		p=${p#./}
		case "/$p/" in */../*) continue ;; esac
		base=${p##*/} dir=.
		[[ $p == */* ]] && dir=${p%/*}
		if [ "$base" = .wh..wh..opq ]; then
			[ -d "$ROOTFS/$dir" ] && find "$ROOTFS/$dir" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
		else
			rm -rf "${ROOTFS:?}/$dir/${base#.wh.}"
		fi
	done < <(tar -tf "$WORK/image/$layer" | grep -E '(^|/)\.wh\.' || true)
	tar -xf "$WORK/image/$layer" -C "$ROOTFS" --exclude='.wh.*'
done
[ -x "$ROOTFS/bin/true" ] || [ -L "$ROOTFS/bin/true" ] || die "rootfs has no /bin/true"
rm -rf "$WORK/image"

declare -A FAIL=()

# crun: bundle from `crun spec` (its default has pid/net/ipc/uts/mount namespaces).
CRUN_VERSION="not available"
if command -v crun >/dev/null 2>&1; then
	CRUN_VERSION=$(crun --version | head -1)
	if (cd "$BUNDLE" && crun spec) 2>"$OUT/crun.err" &&
		jq '.process.args = ["true"] | .process.terminal = false' "$BUNDLE/config.json" >"$BUNDLE/config.json.new" 2>>"$OUT/crun.err" &&
		mv "$BUNDLE/config.json.new" "$BUNDLE/config.json" &&
		crun "${CRUN_G[@]}" run --bundle "$BUNDLE" "bench-smoke-$$" </dev/null >/dev/null 2>>"$OUT/crun.err"; then
		:
	else
		FAIL[crun]="failed: $(one_line "$OUT/crun.err")"
	fi
else
	FAIL[crun]="failed: crun not installed"
fi

# podman: private store under $WORK, image loaded from the docker archive.
PODMAN_VERSION="not available"
PODMAN_RUN=(run --rm --network none --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 box-demo true)
if command -v podman >/dev/null 2>&1; then
	PODMAN_VERSION=$(podman --version)
	log "podman: loading $DOCKER_TAR into $WORK/podman"
	if podman "${PODMAN_G[@]}" load -q -i "$DOCKER_TAR" >&2 2>"$OUT/podman.err" &&
		podman "${PODMAN_G[@]}" "${PODMAN_RUN[@]}" </dev/null >/dev/null 2>>"$OUT/podman.err"; then
		:
	else
		FAIL[podman]="failed: $(one_line "$OUT/podman.err")"
	fi
else
	FAIL[podman]="failed: podman not installed"
fi

# ---------------------------------------------------------------- measure
# All rows use hyperfine's default shell mode (sh -c, with the shell's spawn time
# measured and subtracted), so the crun row can use a fresh container id per run ($$).
q() { printf '%q ' "$@"; }
declare -A CMD=(
	[box]="$(q "$BOX" "${BOX_G[@]}" run --rm box-demo true)"
	[podman]="$(q podman "${PODMAN_G[@]}" "${PODMAN_RUN[@]}")"
	[crun]="$(q crun "${CRUN_G[@]}" run --bundle "$BUNDLE")bench-\$\$"
	[unshare]="$(q unshare --fork --pid --mount --uts --ipc --net chroot "$ROOTFS" /bin/true)"
	[version]="$(q "$BOX" version)"
	[box_limits]="$(q "$BOX" "${BOX_G[@]}" run --rm --memory 64m --pids-limit 100 box-demo true)"
	[box_unconfined]="$(q "$BOX" "${BOX_G[@]}" run --rm --security-opt seccomp=unconfined box-demo true)"
	[podman_limits]="$(q podman "${PODMAN_G[@]}" "${PODMAN_RUN[@]:0:${#PODMAN_RUN[@]}-2}" --memory 64m --pids-limit 100 box-demo true)"
	[podman_unconfined]="$(q podman "${PODMAN_G[@]}" "${PODMAN_RUN[@]:0:${#PODMAN_RUN[@]}-2}" --security-opt seccomp=unconfined box-demo true)"
)
declare -A LABEL=(
	[box]='`box run --rm box-demo true`'
	[podman]='`podman run --rm --network none box-demo true`'
	[crun]='`crun run --bundle B ID` (args `true`)'
	[unshare]='`unshare --fork --pid --mount --uts --ipc --net chroot ROOTFS /bin/true`'
	[version]='`box version`'
	[box_limits]='`box run --rm --memory 64m --pids-limit 100 box-demo true`'
	[box_unconfined]='`box run --rm --security-opt seccomp=unconfined box-demo true`'
	[podman_limits]='`podman run --rm --network none --memory 64m --pids-limit 100 box-demo true`'
	[podman_unconfined]='`podman run --rm --network none --security-opt seccomp=unconfined box-demo true`'
)
declare -A MED=() MIN=() MEAN=() SD=() NRUNS=()
ORDER=(box podman crun unshare version)

bench() { # name warmup runs
	local n=$1 w=$2 r=$3
	[ -z "${FAIL[$n]:-}" ] || { log "skipping $n: ${FAIL[$n]}"; return 0; }
	log "measuring $n (warmup $w, runs $r)"
	if hyperfine --style basic --warmup "$w" --runs "$r" --export-json "$OUT/$n.json" \
		-n "$n" "${CMD[$n]}" >&2 2>"$OUT/$n.hyperfine.err"; then
		MED[$n]=$(jq '.results[0].median * 1000' "$OUT/$n.json")
		MIN[$n]=$(jq '.results[0].min * 1000' "$OUT/$n.json")
		MEAN[$n]=$(jq '.results[0].mean * 1000' "$OUT/$n.json")
		SD[$n]=$(jq '.results[0].stddev * 1000' "$OUT/$n.json")
		NRUNS[$n]=$r
	else
		cat "$OUT/$n.hyperfine.err" >&2
		FAIL[$n]="failed: $(grep -m1 -i 'error\|fail' "$OUT/$n.hyperfine.err" | tr -d '|`' | cut -c1-160 || echo "hyperfine exited non-zero")"
		[ "$n" != box ] && [ "$n" != version ] || die "box row failed: ${FAIL[$n]}"
	fi
}

bench version "$FAST_WARMUP" "$FAST_RUNS"
bench box "$FAST_WARMUP" "$FAST_RUNS"
bench crun "$FAST_WARMUP" "$FAST_RUNS"
bench unshare "$FAST_WARMUP" "$FAST_RUNS"
bench podman "$PODMAN_WARMUP" "$PODMAN_RUNS"
# the cost of cgroup limits and of the seccomp filter: the same run with limits, and without the filter
for n in box_limits box_unconfined; do bench "$n" "$FAST_WARMUP" "$FAST_RUNS"; done
for n in podman_limits podman_unconfined; do
	if [ -n "${FAIL[podman]:-}" ]; then FAIL[$n]=${FAIL[podman]}; else bench "$n" "$PODMAN_WARMUP" "$PODMAN_RUNS"; fi
done

# Peak RSS (GNU time %M, KiB): median over RSS_RUNS runs.
rss() { # name cmd...
	local n=$1 i
	shift
	: >"$OUT/$n.rss"
	for ((i = 0; i < RSS_RUNS; i++)); do
		/usr/bin/time -f %M -a -o "$OUT/$n.rss" "$@" >/dev/null 2>&1 </dev/null || die "$* failed under /usr/bin/time"
	done
	sort -n "$OUT/$n.rss" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
log "measuring peak RSS ($RSS_RUNS runs each)"
RSS_VERSION=$(rss version "$BOX" version)
RSS_RUN=$(rss run "$BOX" "${BOX_G[@]}" run --rm box-demo true)

# ---------------------------------------------------------------- report
f2() { awk -v x="$1" 'BEGIN { printf "%.2f", x }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB (%d KiB)", k / 1024, k }'; }

table() {
	echo "| command | median ms | min ms | mean ± σ ms | runs | ratio vs box |"
	echo "|---|---:|---:|---:|---:|---:|"
	local n
	for n in box podman crun unshare version; do
		if [ -n "${FAIL[$n]:-}" ]; then
			echo "| ${LABEL[$n]} | ${FAIL[$n]} | | | | |"
		else
			echo "| ${LABEL[$n]} | $(f2 "${MED[$n]}") | $(f2 "${MIN[$n]}") | $(f2 "${MEAN[$n]}") ± $(f2 "${SD[$n]}") | ${NRUNS[$n]} | $(ratio "${MED[$n]}" "${MED[box]}")× |"
		fi
	done
}

BOXMED=${MED[box]}
summary=() aims=()
if [ -n "${MED[podman]:-}" ]; then
	R_PODMAN=$(ratio "${MED[podman]}" "$BOXMED")
	summary+=("podman/box = ${R_PODMAN}× (median)")
	if awk -v a="${MED[podman]}" -v b="$BOXMED" 'BEGIN { exit !(a / b >= 10) }'; then
		aims+=("box ≥ 10× faster than podman: **met** (${R_PODMAN}×)")
	else
		aims+=("box ≥ 10× faster than podman: **not met** (${R_PODMAN}×)")
	fi
else
	summary+=("podman/box = n/a (${FAIL[podman]})")
	aims+=("box ≥ 10× faster than podman: **not evaluated** (podman ${FAIL[podman]})")
fi
if [ -n "${MED[crun]:-}" ]; then
	R_CRUN=$(awk -v a="${MED[crun]}" -v b="$BOXMED" 'BEGIN { printf "%.2f", a / b }')
	summary+=("crun/box = ${R_CRUN}× (median)")
	if awk -v a="$BOXMED" -v b="${MED[crun]}" 'BEGIN { exit !(a <= b) }'; then
		aims+=("box no slower than crun alone: **met** (box $(f2 "$BOXMED") ms vs crun $(f2 "${MED[crun]}") ms)")
	else
		aims+=("box no slower than crun alone: **not met** (box $(f2 "$BOXMED") ms vs crun $(f2 "${MED[crun]}") ms, +$(f2 "$(awk -v a="$BOXMED" -v b="${MED[crun]}" 'BEGIN { print a - b }')") ms)")
	fi
else
	summary+=("crun/box = n/a (${FAIL[crun]})")
	aims+=("box no slower than crun alone: **not evaluated** (crun ${FAIL[crun]})")
fi
if [ -n "${MED[unshare]:-}" ]; then
	summary+=("box/unshare = $(ratio "$BOXMED" "${MED[unshare]}")× (box over the bare-namespaces floor, +$(f2 "$(awk -v a="$BOXMED" -v b="${MED[unshare]}" 'BEGIN { print a - b }')") ms)")
else
	summary+=("box/unshare = n/a (${FAIL[unshare]})")
fi
if awk -v a="${MED[version]}" 'BEGIN { exit !(a <= 5) }'; then
	aims+=("\`box version\` ≤ 5 ms: **met** ($(f2 "${MED[version]}") ms median)")
else
	aims+=("\`box version\` ≤ 5 ms: **not met** ($(f2 "${MED[version]}") ms median)")
fi

# what limits and seccomp add: each variant against its tool's plain run, in ms and as a share of it
cost_row() { # label variant plain
	local v=$2 p=$3
	if [ -n "${FAIL[$v]:-}" ] || [ -z "${MED[$p]:-}" ]; then
		echo "| $1 | ${FAIL[$v]:-${FAIL[$p]:-n/a}} | | |"
	else
		echo "| $1 | $(f2 "${MED[$v]}") | $(f2 "$(awk -v a="${MED[$v]}" -v b="${MED[$p]}" 'BEGIN { print a - b }')") | $(awk -v a="${MED[$v]}" -v b="${MED[$p]}" 'BEGIN { printf "%+.1f%%", (a - b) * 100 / b }') |"
	fi
}
cost_table() {
	echo "| command | median ms | ms vs plain run | change |"
	echo "|---|---:|---:|---:|"
	cost_row "${LABEL[box_limits]}" box_limits box
	cost_row "${LABEL[podman_limits]}" podman_limits podman
	echo "| seccomp filter (box): plain run minus \`--security-opt seccomp=unconfined\` | $( [ -n "${MED[box_unconfined]:-}" ] && f2 "$(awk -v a="${MED[box]}" -v b="${MED[box_unconfined]}" 'BEGIN { print a - b }')" || echo "${FAIL[box_unconfined]:-n/a}") | | |"
	echo "| seccomp filter (podman): plain run minus \`--security-opt seccomp=unconfined\` | $( [ -n "${MED[podman_unconfined]:-}" ] && [ -n "${MED[podman]:-}" ] && f2 "$(awk -v a="${MED[podman]}" -v b="${MED[podman_unconfined]}" 'BEGIN { print a - b }')" || echo "${FAIL[podman_unconfined]:-n/a}") | | |"
	cost_row "${LABEL[box_unconfined]}" box_unconfined box
	cost_row "${LABEL[podman_unconfined]}" podman_unconfined podman
}
COST_TABLE=$(cost_table)
TABLE=$(table)
BOX_VERSION_OUT=$("$BOX" version 2>&1)
CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
MEM=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)

{
	echo "# box start-up benchmark results"
	echo
	echo "Produced by \`make bench\` (bench/run.sh); see bench/README.md for what each row means."
	echo "Raw hyperfine JSON of the latest run is in bench/out/ (not committed)."
	echo
	echo "- Date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "- Machine: $(nproc) CPUs ($CPU), $MEM RAM, kernel $(uname -r), $(. /etc/os-release && echo "$PRETTY_NAME")"
	echo "- podman: $PODMAN_VERSION; crun: $CRUN_VERSION; $(hyperfine --version)"
	echo "- Load average when the run started: $LOADAVG (the machine may be shared; see the σ column)"
	echo "- cgroups: $CGROUP_NOTE"
	echo "- Method: hyperfine, shell mode with spawn-time correction; warmup $FAST_WARMUP + $FAST_RUNS runs (podman: warmup $PODMAN_WARMUP + $PODMAN_RUNS runs). All rows measured in the same run, under the same conditions."
	echo
	echo "\`box version\`:"
	echo
	echo '```'
	echo "$BOX_VERSION_OUT"
	echo '```'
	echo
	echo "## Start-up time: run \`true\` in a fresh container"
	echo
	echo "$TABLE"
	echo
	for s in "${summary[@]}"; do echo "- $s"; done
	echo
	echo "## Limits and seccomp: what \`--memory 64m --pids-limit 100\` and the seccomp filter cost"
	echo
	echo "Same run as above. Each variant is compared with its own tool's plain row (box: box's default run, which"
	echo "has Docker's default seccomp filter; podman: the same). The seccomp cost is the plain run minus the"
	echo "unconfined one."
	echo
	echo "$COST_TABLE"
	echo
	echo "## box footprint"
	echo
	echo "- \`box version\`: median $(f2 "${MED[version]}") ms (min $(f2 "${MIN[version]}") ms), peak RSS $(mib "$RSS_VERSION")"
	echo "- \`box run --rm box-demo true\`: median $(f2 "$BOXMED") ms (min $(f2 "${MIN[box]}") ms), peak RSS $(mib "$RSS_RUN")"
	echo "  (GNU time \`%M\`, median of $RSS_RUNS runs; covers box and the children it waits for)"
	echo
	echo "## Aims"
	echo
	echo "The issue asks that \`box run --rm true\` be no slower than crun alone (a bare OCI runtime on a"
	echo "ready-made bundle; box does that runtime work itself, plus image and container bookkeeping), at"
	echo "least 10× faster than podman, and that \`box version\`, the floor of every box command, take at"
	echo "most 5 ms. In this run:"
	echo
	for a in "${aims[@]}"; do echo "- $a"; done
	# the sections other benchmarks (bench/pull.sh, bench/exec.sh, bench/monitor.sh, bench/cp.sh, bench/build.sh) wrote stay as they were
	if [ -f "$RESULTS" ]; then
		awk '/^## (Pull|Exec|Detached|Copy|Build)/{keep=1} /^## /&&!/^## (Pull|Exec|Detached|Copy|Build)/{keep=0} keep' "$RESULTS" | sed '1s/^/\n/'
	fi
} >"$RESULTS.new"
mv "$RESULTS.new" "$RESULTS"

echo "$TABLE"
echo
echo "$COST_TABLE"
echo
for s in "${summary[@]}"; do echo "- $s"; done
echo "- box version: $(f2 "${MED[version]}") ms median, peak RSS $(mib "$RSS_VERSION"); box run peak RSS $(mib "$RSS_RUN")"
for a in "${aims[@]}"; do echo "- $a"; done
log "wrote $RESULTS"
