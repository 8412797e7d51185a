# bench/lib.sh: what the benchmarks share. Source it after setting BENCH, the prefix of their log lines.

log() { printf '%s: %s\n' "$BENCH" "$*" >&2; }
die() { printf '%s: error: %s\n' "$BENCH" "$*" >&2; exit 1; }
# The line of a log that best says why a command failed (its last line mentioning an error, else its last
# non-empty line), squeezed onto one line for a table cell.
why() {
	{ grep -i 'error\|fail\|denied\|refused' "$1" || grep -v '^[[:space:]]*$' "$1"; } 2>/dev/null | tail -n1 |
		tr -d '\r|`' | cut -c1-160 || true
}

# require_box [fixtures]: the checks every benchmark starts with: root, the built $BOX, and with `fixtures` the
# demo image archives $DOCKER_TAR and $OCI_TAR.
require_box() {
	[ "$(id -u)" = 0 ] || die "must run as root"
	[ -x "$BOX" ] || die "missing $BOX (run: make build)"
	[ "${1:-}" != fixtures ] || { [ -f "$DOCKER_TAR" ] && [ -f "$OCI_TAR" ]; } || die "missing fixtures in Fixtures/out (run: make fixtures)"
}

# require_positive VAR…: each named knob must be a positive integer.
require_positive() {
	local n
	for n in "$@"; do [[ ${!n} =~ ^[1-9][0-9]*$ ]] || die "$n must be a positive integer"; done
}

# install_missing CMD:PACKAGE…: apt-get installs the packages whose command is missing (a CMD starting with
# / is a path that must be executable).
install_missing() {
	local need=() spec cmd
	for spec in "$@"; do
		cmd=${spec%%:*}
		if [[ $cmd == /* ]]; then [ -x "$cmd" ] && continue; else command -v "$cmd" >/dev/null 2>&1 && continue; fi
		need+=("${spec#*:}")
	done
	((${#need[@]})) || return 0
	log "installing: ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2 || log "warning: apt-get update failed"
	apt-get install -y -qq "${need[@]}" >&2 || log "warning: apt-get install ${need[*]} failed"
}

# scratch NAME [DIR]: a scratch directory WORK (under DIR, default $TMPDIR or /tmp), the global flags BOX_G and
# PODMAN_G for private stores in it, and a cleanup on exit that removes the containers, whatever is mounted
# under WORK, WORK itself and the libpod cgroups this run made. A script may define bench_cleanup_hook to run
# first (for its own tools).
scratch() {
	WORK=$(mktemp -d "${2:-${TMPDIR:-/tmp}}/$1.XXXXXX")
	BOX_G=(--root "$WORK/box/root" --runroot "$WORK/box/run")
	PODMAN_G=(--root "$WORK/podman/root" --runroot "$WORK/podman/run" --tmpdir "$WORK/podman/tmp"
		--volumepath "$WORK/podman/volumes" --network-config-dir "$WORK/podman/networks"
		--cgroup-manager cgroupfs --events-backend none)
	# podman (cgroupfs manager) creates <controller>/libpod_parent; remove the ones this run created
	PRE_LIBPOD=$(ls -d /sys/fs/cgroup/*/libpod_parent /sys/fs/cgroup/libpod_parent 2>/dev/null || true)
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

cleanup() {
	local rc=$? m d
	set +e
	trap - EXIT INT TERM
	declare -F bench_cleanup_hook >/dev/null && bench_cleanup_hook
	if command -v podman >/dev/null 2>&1 && [ -d "$WORK/podman/root" ]; then
		podman "${PODMAN_G[@]}" rm -af -t 0 >/dev/null 2>&1
	fi
	if [ -d "$WORK/box/root" ]; then
		"$BOX" "${BOX_G[@]}" rm -f $("$BOX" "${BOX_G[@]}" ps -aq 2>/dev/null) >/dev/null 2>&1
	fi
	# anything still mounted under the scratch dir (overlay mounts, shm, …), deepest first
	awk -v w="$WORK" '$5 == w || index($5, w "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while IFS= read -r m; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "warning: could not unmount $m"; done
	if grep -qF "$WORK" /proc/self/mountinfo; then
		log "warning: mounts left under $WORK; not removing it"
	else
		# podman's cleanup processes may still write in its store for a moment
		rm -rf "$WORK" 2>/dev/null || { sleep 1; rm -rf "$WORK"; }
	fi
	for d in /sys/fs/cgroup/*/libpod_parent /sys/fs/cgroup/libpod_parent; do
		[ -d "$d" ] || continue
		grep -qxF "$d" <<<"$PRE_LIBPOD" && continue
		find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	exit "$rc"
}
