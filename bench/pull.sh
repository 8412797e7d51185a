#!/usr/bin/env bash
# bench/pull.sh: how fast box pulls (fetches and unpacks) a ~160 MB, 4-layer Debian image from a
# registry on 127.0.0.1, compared in a single run with `podman pull` and with two floors: fetching
# the blobs alone (skopeo copy to a dir:) and unpacking them alone (GNU tar -xzf, from local disk).
# Run it as root from anywhere: bash bench/pull.sh. See bench/README.md.
#
# The image is built once by bench/make-pull-image.sh and cached in bench/out/pull-image/.
# Every run, box's and podman's alike, pulls into a new, empty store (--root/--runroot in a new
# directory), and `sync` runs before the clock starts. Nothing is deleted until all runs are done.
# The stores live on a fresh ext4 filesystem with a journal, on a loop device backed by a sparse
# file under ${TMPDIR:-/tmp} (PULL_FS=loop, the default), not on the host's filesystem as it is
# (PULL_FS=host). Reason: this project's VMs have a journal-less ext4 root, where creating a file
# costs up to ~1 ms instead of ~20 us for minutes after many files were deleted (the allocator
# skips recently deleted inodes, ext4's recently_deleted()) -- by this script's previous run or by
# anyone else's build on the machine -- so pull times there depend on what else happened lately.
# Either way this needs about (PULL_RUNS + 1) x 0.6 GB of free space.
# Runs are interleaved (round i times every row once, in a rotating order), so load from other
# processes on a shared machine hits all rows alike.
#
# Writes bench/out/pull.md (also printed on stdout) and replaces the "## Pull" section of
# bench/RESULTS.md, keeping the rest. Raw per-run times and logs go to bench/out/pull/.
# Progress goes to stderr.
#
# Knobs (environment): BOX=path/to/box, PULL_RUNS (5), PULL_FS (loop|host), PULL_PORT (a free
# port), TMPDIR (/tmp: scratch, the registry, the loop file or, with PULL_FS=host, the stores),
# PULL_IMAGE_DIR (bench/out/pull-image), and those of bench/make-pull-image.sh (DEBIAN_MIRROR,
# PULL_SUITE, PULL_SMALL_FILES, PULL_BIG_MB, PULL_GZIP_LEVEL).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BOX=${BOX:-$REPO/.build-static/release/box}
OUT=$REPO/bench/out
POUT=$OUT/pull
RESULTS=$REPO/bench/RESULTS.md
PULL_RUNS=${PULL_RUNS:-5}
PULL_PORT=${PULL_PORT:-}
PULL_FS=${PULL_FS:-loop}
PULL_IMAGE_DIR=${PULL_IMAGE_DIR:-$OUT/pull-image}
export PULL_IMAGE_DIR

BENCH=bench-pull
. "$REPO/bench/lib.sh"
unmount_under() { # dir: unmount whatever is mounted below it, deepest first
	awk -v w="$1" '$5 == w || index($5, w "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while IFS= read -r m; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "warning: could not unmount $m"; done
}

[ "$(id -u)" = 0 ] || die "must run as root"
require_positive PULL_RUNS
case $PULL_FS in loop | host) ;; *) die "PULL_FS must be loop or host" ;; esac

# ---------------------------------------------------------------- tools
need=()
command -v podman >/dev/null 2>&1 || need+=(podman)
command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
command -v jq >/dev/null 2>&1 || need+=(jq)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v python3 >/dev/null 2>&1 || need+=(python3)
[ -x /usr/bin/time ] || need+=(time)
if ((${#need[@]})); then
	log "installing: ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2 || log "warning: apt-get update failed"
	apt-get install -y -qq "${need[@]}" >&2 || log "warning: apt-get install ${need[*]} failed"
fi
for t in skopeo docker-registry jq curl python3; do command -v "$t" >/dev/null 2>&1 || die "$t is required"; done
[ -x /usr/bin/time ] || die "/usr/bin/time (package time) is required"

# ---------------------------------------------------------------- image (built once, cached)
LAYOUT=$(bash "$REPO/bench/make-pull-image.sh" "$PULL_IMAGE_DIR") || die "could not build the image"
LAYERS_JSON=$PULL_IMAGE_DIR/layers.json
mapfile -t LAYER_BLOBS < <(jq -r '.layers[].digest | sub("sha256:"; "")' "$LAYERS_JSON")

# ---------------------------------------------------------------- scratch + cleanup
mkdir -p "$POUT"
rm -f "$POUT"/*
WORK=$(mktemp -d "${TMPDIR:-/tmp}/box-bench-pull.XXXXXX")
REG_PID=

cleanup() {
	local rc=$? m
	set +e
	trap - EXIT INT TERM
	if [ -n "$REG_PID" ]; then
		kill "$REG_PID" 2>/dev/null
		wait "$REG_PID" 2>/dev/null
	fi
	# Anything still mounted under the scratch dir (podman's overlay, box's), deepest first.
	unmount_under "$WORK"
	if grep -qF "$WORK" /proc/self/mountinfo; then
		log "warning: mounts left under $WORK; not removing it"
	else
		rm -rf "$WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- filesystem for the stores
RUNS=$WORK/runs
mkdir -p "$RUNS"
fs_desc() { # dir: "ext4 on /dev/vda, with a journal"
	local src base j=without
	src=$(findmnt -no SOURCE -T "$1" 2>/dev/null || echo '?')
	base=${src##*/}
	ls /proc/fs/jbd2/ 2>/dev/null | grep -q "^$base-" && j=with
	echo "$(findmnt -no FSTYPE -T "$1" 2>/dev/null || echo '?') on $src, $j a journal"
}
FS_NOTE=
if [ "$PULL_FS" = loop ]; then
	size_gib=$((PULL_RUNS + 3))
	log "creating a ${size_gib} GiB ext4 on a loop device for the stores"
	if truncate -s "${size_gib}G" "$WORK/fs.img" &&
		mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$WORK/fs.img" >&2 &&
		mount -o loop "$WORK/fs.img" "$RUNS"; then
		FS_NOTE="a new ext4 ($(fs_desc "$RUNS"); ${size_gib} GiB, sparse file under ${TMPDIR:-/tmp}), made for this run (PULL_FS=loop)"
	else
		log "warning: could not mount a loop filesystem; using the host's ($(fs_desc "$RUNS"))"
		FS_NOTE="the host's filesystem under ${TMPDIR:-/tmp} ($(fs_desc "$RUNS")), because a loop mount failed"
	fi
else
	FS_NOTE="the host's filesystem under ${TMPDIR:-/tmp} as it is ($(fs_desc "$RUNS"); PULL_FS=host)"
fi

# ---------------------------------------------------------------- registry
if [ -z "$PULL_PORT" ]; then
	PULL_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fi
mkdir -p "$WORK/registry/data"
cat >"$WORK/registry/config.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $WORK/registry/data
http:
  addr: 127.0.0.1:$PULL_PORT
EOF
log "starting docker-registry on 127.0.0.1:$PULL_PORT"
docker-registry serve "$WORK/registry/config.yml" >"$POUT/registry.log" 2>&1 &
REG_PID=$!
for ((i = 0; ; i++)); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PULL_PORT/v2/" || true)" = 200 ] && break
	kill -0 "$REG_PID" 2>/dev/null || { cat "$POUT/registry.log" >&2; die "docker-registry exited"; }
	((i < 100)) || die "docker-registry did not answer on 127.0.0.1:$PULL_PORT within 10 s"
	sleep 0.1
done
REF=127.0.0.1:$PULL_PORT/bench/debian:latest
log "pushing $LAYOUT to $REF"
skopeo copy -q --dest-tls-verify=false "oci:$LAYOUT:bench" "docker://$REF" >&2 || die "skopeo copy to the registry failed"

# ---------------------------------------------------------------- rows
declare -A FAIL=() LABEL=() RSS=() STORE=() CMDSTR=()
declare -a ROWS=(box podman fetch untar)
LABEL[box]='`box pull REF`'
LABEL[podman]='`podman pull --tls-verify=false REF`'
LABEL[fetch]='fetch floor: `skopeo copy docker://REF dir:D`'
LABEL[untar]='unpack floor: `tar -xzf` of each layer blob from local disk'

q() { local s; s=$(printf '%q ' "$@"); printf '%s' "${s% }"; }
BOX_EXTRA=() # becomes (--tls-verify=false) if box needs it for a plain-HTTP registry on 127.0.0.1
row_dir() { echo "$RUNS/$1-$2"; } # row tag: where that run's store goes (tag: smoke, 1, 2, ...)
row_cmd() { # row tag: set CMD to the row's command for that run
	local d b
	d=$(row_dir "$1" "$2")
	case $1 in
	box) CMD=("$BOX" --root "$d/root" --runroot "$d/run" pull "${BOX_EXTRA[@]}" "$REF") ;;
	podman) CMD=(podman --root "$d/root" --runroot "$d/run" --tmpdir "$d/tmp" --volumepath "$d/volumes"
		--network-config-dir "$d/networks" --cgroup-manager cgroupfs --events-backend none
		--storage-driver overlay pull --tls-verify=false "$REF") ;;
	fetch) CMD=(skopeo copy -q --src-tls-verify=false "docker://$REF" "dir:$d/blobs") ;;
	untar)
		CMD=(sh -c 'd=$1; shift; mkdir "$d" && for b; do tar -xzf "$b" -C "$d" || exit; done' untar "$d/rootfs")
		for b in "${LAYER_BLOBS[@]}"; do CMD+=("$LAYOUT/blobs/sha256/$b"); done
		;;
	esac
}
store_dir() { # row tag: what to measure with du after a run
	case $1 in box | podman) echo "$(row_dir "$1" "$2")/root" ;; fetch) echo "$(row_dir "$1" "$2")/blobs" ;; untar) echo "$(row_dir "$1" "$2")/rootfs" ;; esac
}
prepare() { # row tag: a new, empty directory for the run, and dirty pages written out
	mkdir -p "$(row_dir "$1" "$2")"
	sync
}

# box: does this build have `pull`? (an unknown subcommand prints the top-level help and exits 0)
BOX_VERSION="not available"
if [ ! -x "$BOX" ]; then
	FAIL[box]="not available ($BOX missing; run: make build)"
elif ! "$BOX" pull --help 2>&1 | grep -q '^USAGE: box pull'; then
	FAIL[box]="not available (this box has no pull command)"
	BOX_VERSION=$("$BOX" version 2>/dev/null | awk -F': *' '/^Version/ { print $2 }')
else
	BOX_VERSION=$("$BOX" version 2>/dev/null | awk -F': *' '/^Version/ { print $2 }')
fi
command -v podman >/dev/null 2>&1 || FAIL[podman]="failed: podman not installed"
PODMAN_VERSION=$(podman --version 2>/dev/null || echo "not available")

# One pull per row, untimed: checks that it works (box: falls back to --tls-verify=false), records
# peak RSS (GNU time %M) and the store's size on disk afterwards (du -sk), and warms caches.
smoke_row() { # row tag
	local r=$1 t=$2 CMD
	prepare "$r" "$t"
	row_cmd "$r" "$t"
	if /usr/bin/time -f %M -o "$POUT/$r.rss" "${CMD[@]}" >"$POUT/$r.smoke.out" 2>"$POUT/$r.smoke.err" </dev/null; then
		RSS[$r]=$(tail -n1 "$POUT/$r.rss")
		STORE[$r]=$(du -sk "$(store_dir "$r" "$t")" | cut -f1)
		return 0
	fi
	return 1
}

for r in "${ROWS[@]}"; do
	[ -z "${FAIL[$r]:-}" ] || { log "skipping $r: ${FAIL[$r]}"; continue; }
	log "checking $r (one untimed pull: peak RSS, store size)"
	if smoke_row "$r" smoke; then continue; fi
	if [ "$r" = box ] && "$BOX" pull --help 2>&1 | grep -q -- --tls-verify; then
		log "box pull failed ($(why "$POUT/box.smoke.err")); retrying with --tls-verify=false"
		BOX_EXTRA=(--tls-verify=false)
		smoke_row box smoke-tls && continue
	fi
	cat "$POUT/$r.smoke.err" >&2
	FAIL[$r]="failed: $(why "$POUT/$r.smoke.err")"
done
for r in "${ROWS[@]}"; do
	row_cmd "$r" N
	CMDSTR[$r]=$(q "${CMD[@]}")
done

# Is what box unpacked right? A quick look from inside a container (not fatal, not timed).
BOX_CHECK="not run"
if [ -z "${FAIL[box]:-}" ]; then
	d=$(row_dir box "smoke${BOX_EXTRA:+-tls}")
	if "$BOX" --root "$d/root" --runroot "$d/run" run --rm "$REF" sh -c \
		'test -f /etc/bench-release && test -x /bin/bash && test -f /opt/bench/data2.bin &&
		 test ! -e /usr/share/bench-small/d000/f00000.txt && test -f /usr/share/bench-small/d000/f00100.txt &&
		 test "$(ls /usr/share/bench-small/d001)" = replaced.txt' >"$POUT/box.check.err" 2>&1 </dev/null; then
		BOX_CHECK="ok (files of all layers present; whiteout and opaque directory applied)"
	else
		BOX_CHECK="**failed**: the pulled image's files are not what they should be, or \`box run\` failed ($(why "$POUT/box.check.err"))"
	fi
fi

# ---------------------------------------------------------------- measure (interleaved)
# Room for PULL_RUNS more stores of each row, plus 1 GiB?
need=0
for r in "${ROWS[@]}"; do need=$((need + ${STORE[$r]:-0} * PULL_RUNS)); done
avail=$(df -Pk "$RUNS" | awk 'NR == 2 { print $4 }')
((need + 262144 < avail)) || die "not enough space in $RUNS for $PULL_RUNS runs: need $((need / 1024)) MiB + 256 MiB, have $((avail / 1024)) MiB (lower PULL_RUNS or set TMPDIR)"
if [ "$PULL_FS" = loop ]; then
	host_avail=$(df -Pk "$WORK" | awk 'NR == 2 { print $4 }')
	((need + 1048576 < host_avail)) || die "not enough space under $WORK for the loop file: need $((need / 1024)) MiB + 1 GiB, have $((host_avail / 1024)) MiB"
fi
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
T_START=$(date +%s)
active=()
for r in "${ROWS[@]}"; do [ -n "${FAIL[$r]:-}" ] || active+=("$r"); done
log "timing ${active[*]}: $PULL_RUNS runs each, interleaved"
for ((i = 0; i < PULL_RUNS; i++)); do
	n=${#active[@]}
	for ((k = 0; k < n; k++)); do
		r=${active[$(((i + k) % n))]}
		[ -z "${FAIL[$r]:-}" ] || continue
		prepare "$r" "$((i + 1))"
		row_cmd "$r" "$((i + 1))"
		t0=$(date +%s%N)
		if "${CMD[@]}" >/dev/null 2>"$POUT/$r.run.err" </dev/null; then
			t1=$(date +%s%N)
			echo $(((t1 - t0) / 1000)) >>"$POUT/$r.us"
			log "  round $((i + 1))/$PULL_RUNS $r: $(awk -v u=$(((t1 - t0) / 1000)) 'BEGIN { printf "%.2f s", u / 1e6 }')"
		else
			cat "$POUT/$r.run.err" >&2
			FAIL[$r]="failed in round $((i + 1)): $(why "$POUT/$r.run.err")"
		fi
	done
done
T_TOTAL=$(($(date +%s) - T_START))
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- stats
declare -A MED=() MIN=() MAX=() MEAN=() NRUNS=()
for r in "${ROWS[@]}"; do
	[ -z "${FAIL[$r]:-}" ] && [ -s "$POUT/$r.us" ] || continue
	read -r MED[$r] MIN[$r] MAX[$r] MEAN[$r] NRUNS[$r] < <(sort -n "$POUT/$r.us" | awk '
		{ v[NR] = $1 / 1e6; s += v[NR] }
		END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m, v[1], v[NR], s / NR, NR }')
	jq -n --arg row "$r" --arg command "${CMDSTR[$r]}" --slurpfile us "$POUT/$r.us" \
		--argjson median "${MED[$r]}" --argjson min "${MIN[$r]}" --argjson max "${MAX[$r]}" --argjson mean "${MEAN[$r]}" \
		--argjson rss "${RSS[$r]:-null}" --argjson store_kib "${STORE[$r]:-null}" \
		'{row: $row, command: $command, times_s: [$us[] / 1e6], median: $median, min: $min, max: $max, mean: $mean,
		  peak_rss_kib: $rss, store_kib: $store_kib}' >"$POUT/$r.json"
done

# ---------------------------------------------------------------- report
f2() { awk -v x="$1" 'BEGIN { printf "%.2f", x }'; }
mibk() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }

table() {
	echo "| command | median s | min s | max s | runs | ratio to podman |"
	echo "|---|---:|---:|---:|---:|---:|"
	local r ratio
	for r in "${ROWS[@]}"; do
		if [ -n "${FAIL[$r]:-}" ] || [ -z "${MED[$r]:-}" ]; then
			echo "| ${LABEL[$r]} | ${FAIL[$r]:-no result} | | | | |"
		else
			ratio="n/a"
			[ -z "${MED[podman]:-}" ] || ratio="$(awk -v a="${MED[$r]}" -v b="${MED[podman]}" 'BEGIN { printf "%.2f", a / b }')×"
			echo "| ${LABEL[$r]} | $(f2 "${MED[$r]}") | $(f2 "${MIN[$r]}") | $(f2 "${MAX[$r]}") | ${NRUNS[$r]} | $ratio |"
		fi
	done
}
footprint() {
	echo "| | peak RSS of one pull | size on disk after one pull (\`du -sk\`) |"
	echo "|---|---:|---:|"
	local r what
	for r in "${ROWS[@]}"; do
		case $r in
		box) what="box (its --root)" ;; podman) what="podman (its --root, overlay driver)" ;;
		fetch) what="fetch floor (the compressed blobs, dir: layout)" ;; untar) what="unpack floor (the layers unpacked on top of each other; whiteouts not applied)" ;;
		esac
		if [ -n "${STORE[$r]:-}" ]; then
			echo "| $what | $(mibk "${RSS[$r]}") | $(mibk "${STORE[$r]}") |"
		else
			echo "| $what | ${FAIL[$r]:-n/a} | |"
		fi
	done
}
layers_table() {
	echo "| layer | content | gzip size | unpacked size | tar entries |"
	echo "|---:|---|---:|---:|---:|"
	jq -r '.layers | to_entries[] | "| \(.key + 1) | \(.value.what) | \(.value.compressed) | \(.value.uncompressed) | \(.value.entries) |"' "$LAYERS_JSON" |
		awk -F' [|] ' '{ printf "%s | %s | %.1f MB | %.1f MB | %s\n", $1, $2, $3 / 1e6, $4 / 1e6, $5 }'
	jq -r '"| | total | \([.layers[].compressed] | add) | \([.layers[].uncompressed] | add) | \([.layers[].entries] | add) |"' "$LAYERS_JSON" |
		awk -F' [|] ' '{ printf "%s | %s | %.1f MB | %.1f MB | %s\n", $1, $2, $3 / 1e6, $4 / 1e6, $5 }'
}

summary=()
if [ -n "${MED[box]:-}" ] && [ -n "${MED[podman]:-}" ]; then
	R=$(awk -v a="${MED[box]}" -v b="${MED[podman]}" 'BEGIN { printf "%.2f", a / b }')
	if awk -v r="$R" 'BEGIN { exit !(r <= 0.5) }'; then
		summary+=("Aim (box takes at most half of podman's time): **met**, box/podman = ${R}× (medians $(f2 "${MED[box]}") s vs $(f2 "${MED[podman]}") s)")
	else
		summary+=("Aim (box takes at most half of podman's time): **not met**, box/podman = ${R}× (medians $(f2 "${MED[box]}") s vs $(f2 "${MED[podman]}") s)")
	fi
else
	summary+=("Aim (box takes at most half of podman's time): **not evaluated** (box: ${FAIL[box]:-ok}; podman: ${FAIL[podman]:-ok})")
fi
if [ -n "${MED[podman]:-}" ] && [ -n "${MED[fetch]:-}" ]; then
	summary+=("Fetching the blobs alone takes $(f2 "${MED[fetch]}") s, $(awk -v a="${MED[fetch]}" -v b="${MED[podman]}" 'BEGIN { printf "%.0f", 100 * a / b }')% of podman's pull; the rest is unpacking and bookkeeping.")
fi
if [ -n "${MED[untar]:-}" ] && [ -n "${MED[fetch]:-}" ]; then
	summary+=("Fetch floor + unpack floor = $(f2 "$(awk -v a="${MED[fetch]}" -v b="${MED[untar]}" 'BEGIN { print a + b }')") s: roughly what a pull costs when it fetches, then gunzips and untars with single-threaded gzip and nothing else.")
fi
[ -z "${FAIL[box]:-}" ] && summary+=("Check of box's result (\`box run --rm REF sh -c 'test ...'\`): $BOX_CHECK")

CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
MEM=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
SECTION=$(
	echo "## Pull: a ~$(jq '[.layers[].uncompressed] | add / 1e6 | floor' "$LAYERS_JSON") MB, $(jq '.layers | length' "$LAYERS_JSON")-layer image from a local registry"
	echo
	echo "Produced by \`bash bench/pull.sh\`; see bench/README.md. Raw times are in bench/out/pull/ (not committed)."
	echo
	echo "- Date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "- Machine: $(nproc) CPUs ($CPU), $MEM RAM, kernel $(uname -r), $(. /etc/os-release && echo "$PRETTY_NAME")"
	echo "- Stores on: $FS_NOTE"
	echo "- box: ${BOX_VERSION:-?} ($BOX); $PODMAN_VERSION; $(skopeo --version); registry: $(dpkg-query -W -f='docker-registry ${Version}' docker-registry 2>/dev/null || echo docker-registry)"
	echo "- Load average: $LOAD_START at the start of the timed runs, $LOAD_END at the end (the machine may be shared)"
	echo "- Method: REF = \`$REF\` (docker-registry on loopback, plain HTTP, blobs in the page cache). $PULL_RUNS runs per row, interleaved; every run pulls into a new, empty store (box and podman: a new --root and --runroot), nothing is deleted until all runs are done, and \`sync\` runs before each run. Times are wall clock, from start to exit, without a final sync. The timed runs took ${T_TOTAL} s."
	echo
	echo "$(table)"
	echo
	for s in "${summary[@]}"; do echo "- $s"; done
	echo
	echo "### Footprint"
	echo
	echo "$(footprint)"
	echo
	echo "Peak RSS: GNU \`/usr/bin/time -f %M\` of one untimed pull (the largest of the process and the children it waited for)."
	echo
	echo "### The image"
	echo
	echo "Built by bench/make-pull-image.sh (debootstrap $(sed 's/ .*//; s/suite=//' "$PULL_IMAGE_DIR/params"), gzip level $(sed 's/.*gzip=\([0-9]*\).*/\1/' "$PULL_IMAGE_DIR/params")); OCI manifest, config Cmd [\"/bin/bash\"], linux/amd64."
	echo
	echo "$(layers_table)"
	echo
	echo "Commands, as run:"
	echo
	echo '```'
	for r in "${ROWS[@]}"; do echo "$r: ${CMDSTR[$r]}"; done
	echo '```'
)
printf '%s\n' "$SECTION" >"$OUT/pull.md"

# Replace the "## Pull" section of RESULTS.md (from its heading to the next "## " heading), or append one.
if [ -f "$RESULTS" ]; then
	awk '/^## Pull([: ]|$)/ { skip = 1; next } /^## / { skip = 0 } !skip' "$RESULTS" >"$RESULTS.tmp"
	# no more than one blank line before the new section
	sed -i -e :a -e '/^\n*$/{$d;N;ba' -e '}' "$RESULTS.tmp"
else
	printf '# box benchmark results\n' >"$RESULTS.tmp"
fi
printf '\n%s\n' "$SECTION" >>"$RESULTS.tmp"
mv "$RESULTS.tmp" "$RESULTS"

printf '%s\n' "$SECTION"
log "wrote $OUT/pull.md and the Pull section of $RESULTS"
