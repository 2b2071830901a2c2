# Shared helpers for integration tests: start a real rexecd on 127.0.0.1
# in a temporary directory, provision users with real keys, drive the real
# OpenSSH client, and remove everything again, also on failure.
#
# Sourced by run; a test file defines functions named test_*.

: "${REXEC_BUILD:?REXEC_BUILD must point at a build directory}"
REXECD=$REXEC_BUILD/rexecd
REXECCTL=$REXEC_BUILD/rexecctl
RX_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# The profile from the source tree, because the test build is not installed.
# A test file may set another before rx_start.
RX_SECCOMP_PROFILE=${RX_SECCOMP_PROFILE:-$RX_TOP/etc/seccomp.json}

# Each test file gets its own uid ranges (64 users' worth, away from the
# demo's default) and its own parent cgroup, so that test runs started at
# the same time cannot see or clean up each other's sandboxes.
RX_UID_BASE=${RX_UID_BASE:-$((10000000 + (RANDOM % 900) * 64 * 65536))}
RX_CGROUP_NAME=${RX_CGROUP_NAME:-rexec-test-$$-$RANDOM}

# With RX_NETNS set (rx_netns_create), rexecd, its sandboxes' slirp4netns
# and the ssh client run in that network namespace instead of the host's.
RX_NETNS=${RX_NETNS:-}
RX_IN_NETNS=

# Creates a network namespace for this test file, with lo up, and makes
# rx_start run rexecd in it: rx_netns_create
rx_netns_create() {
	RX_NETNS=rexec-test-$$-$RANDOM
	ip netns add "$RX_NETNS" || return 1
	RX_IN_NETNS="nsenter --net=/run/netns/$RX_NETNS --"
	ip -n "$RX_NETNS" link set lo up
}

rx_free_port() {
	local port
	for _ in $(seq 50); do
		port=$((20000 + RANDOM % 20000))
		if ! $RX_IN_NETNS ss -Htln "sport = :$port" | grep -q .; then
			echo "$port"
			return 0
		fi
	done
	return 1
}

# Starts rexecd; extra config lines may be passed as arguments.
rx_start() {
	RX_DIR=$(mktemp -d /tmp/rexec-it.XXXXXX)
	chmod 755 "$RX_DIR"
	RX_PORT=$(rx_free_port)
	RX_CONF=$RX_DIR/rexecd.conf
	mkdir -p "$RX_DIR/keys"
	{
		echo "ListenAddress 127.0.0.1:$RX_PORT"
		echo "StateDirectory $RX_DIR/state"
		echo "AuditLog $RX_DIR/audit.jsonl"
		echo "LogLevel debug"
		echo "UidBase $RX_UID_BASE"
		echo "CgroupName $RX_CGROUP_NAME"
		echo "SeccompProfile $RX_SECCOMP_PROFILE"
		for line in "$@"; do echo "$line"; done
	} > "$RX_CONF"
	rx_launch || return 1
	for _ in $(seq 100); do
		if $RX_IN_NETNS ss -Htln "sport = :$RX_PORT" | grep -q .; then
			return 0
		fi
		if ! kill -0 "$RX_PID" 2>/dev/null; then
			break
		fi
		sleep 0.05
	done
	echo "# rexecd did not start:" >&2
	sed 's/^/#   /' "$RX_DIR/rexecd.log" >&2
	return 1
}

# Starts rexecd in the background with the current configuration. The
# pid goes to a file as well, because a test runs in a subshell and may
# restart the daemon; rx_stop reads it from there.
rx_launch() {
	$RX_IN_NETNS "$REXECD" -e -f "$RX_CONF" >> "$RX_DIR/rexecd.log" 2>&1 &
	RX_PID=$!
	echo "$RX_PID" > "$RX_DIR/rexecd.pid"
}

# Stops rexecd and removes the temporary directory. Safe to call twice.
rx_stop() {
	if [ -n "${RX_DIR:-}" ] && [ -f "$RX_DIR/rexecd.pid" ]; then
		RX_PID=$(cat "$RX_DIR/rexecd.pid")
	fi
	if [ -n "${RX_PID:-}" ]; then
		kill -TERM "$RX_PID" 2>/dev/null || true
		for _ in $(seq 100); do
			kill -0 "$RX_PID" 2>/dev/null || break
			sleep 0.05
		done
		if kill -0 "$RX_PID" 2>/dev/null; then
			echo "# rexecd did not stop on SIGTERM; killing it" >&2
			kill -KILL "$RX_PID" 2>/dev/null || true
		fi
		wait "$RX_PID" 2>/dev/null || true
		RX_PID=
	fi
	rx_kill_leftovers
	if [ -n "${RX_DIR:-}" ] && [ -f "$RX_DIR/helpers.pid" ]; then
		# shellcheck disable=SC2046
		kill $(cat "$RX_DIR/helpers.pid") 2>/dev/null || true
	fi
	if [ -n "$RX_NETNS" ]; then
		ip netns del "$RX_NETNS" 2>/dev/null || true
		RX_NETNS=
		RX_IN_NETNS=
	fi
	if [ -n "${RX_DIR:-}" ] && [ -d "$RX_DIR" ]; then
		rm -rf "$RX_DIR"
	fi
	RX_DIR=
}

# Records the pid of a helper process (a test service) that rx_stop kills.
rx_helper_started() {
	echo "$1" >> "$RX_DIR/helpers.pid"
}

# Last-resort cleanup: processes in this run's uid ranges and cgroups left
# by a crashed rexecd. A passing test never needs it; the leftover test
# checks the daemon's own cleanup before this runs.
rx_kill_leftovers() {
	local pids
	pids=$(rx_sandbox_pids)
	if [ -n "$pids" ]; then
		echo "# killing leftover sandbox processes: $pids" >&2
		# shellcheck disable=SC2086
		kill -KILL $pids 2>/dev/null || true
	fi
	rx_release_images
	local dir
	for dir in $(rx_cgroup_dirs); do
		rmdir "$dir" 2>/dev/null || true
	done
	for dir in $(rx_cgroup_dirs parents); do
		rmdir "$dir" 2>/dev/null || true
	done
}

# Prints the loop devices whose backing file lies under this run's RX_DIR.
rx_image_loops() {
	[ -n "${RX_DIR:-}" ] || return 0
	losetup -l -n -O NAME,BACK-FILE 2>/dev/null | awk -v dir="$RX_DIR/" \
		'index($2, dir) == 1 { print $1 }'
}

# Unmounts and detaches home images of this run that a crashed rexecd left
# attached. rexecd mounts them only inside sandboxes, so a host mount of
# one would itself be a leftover.
rx_release_images() {
	local dev mnt
	for dev in $(rx_image_loops); do
		echo "# detaching leftover loop device $dev" >&2
		for mnt in $(findmnt -n -r -o TARGET -S "$dev" 2>/dev/null); do
			umount -l "$mnt" 2>/dev/null || true
		done
		losetup -d "$dev" 2>/dev/null || true
	done
}

# Prints the pids of processes whose host uid lies in this run's ranges.
# ps prints uids from 2^31 on as negative numbers.
rx_sandbox_pids() {
	ps -e -o pid=,uid= | awk -v lo="$RX_UID_BASE" -v hi="$((RX_UID_BASE + 64 * 65536))" \
		'{ uid = $2 < 0 ? $2 + 4294967296 : $2 } uid >= lo && uid < hi { print $1 }'
}

# Prints "uid FIELD" for each process whose host uid lies in this run's
# ranges: rx_sandbox_ps FIELD (a ps output field such as comm).
rx_sandbox_ps() {
	ps -e -o uid=,"$1"= | awk -v lo="$RX_UID_BASE" -v hi="$((RX_UID_BASE + 64 * 65536))" \
		'{ uid = $1 < 0 ? $1 + 4294967296 : $1 } uid >= lo && uid < hi { print uid, $2 }'
}

# Prints sandbox cgroup directories of this rexecd (beneath our own
# cgroup), or with "parents" the parent cgroup directories themselves.
rx_cgroup_dirs() {
	local line ctrl path depth=1
	[ "${1:-}" = parents ] && depth=0
	while IFS= read -r line; do
		ctrl=${line#*:}
		path=${ctrl#*:}
		ctrl=${ctrl%%:*}
		case $ctrl in
		memory | pids | cpu | cpu,cpuacct)
			find "/sys/fs/cgroup/$ctrl$path/$RX_CGROUP_NAME" -mindepth $depth -maxdepth $depth -type d 2>/dev/null || true
			;;
		"")
			find "/sys/fs/cgroup$path/$RX_CGROUP_NAME" -mindepth $depth -maxdepth $depth -type d 2>/dev/null || true
			;;
		esac
	done < /proc/self/cgroup | sort -u
}

# Creates a user with a fresh ed25519 key pair: rx_user NAME [TIER]
rx_user() {
	local name=$1 tier=${2:-}
	ssh-keygen -q -t ed25519 -N '' -C "$name@test" -f "$RX_DIR/keys/$name"
	"$REXECCTL" -f "$RX_CONF" user add "$name" ${tier:+--tier "$tier"} > /dev/null
	"$REXECCTL" -f "$RX_CONF" key add "$name" "$RX_DIR/keys/$name.pub" > /dev/null
}

rx_ssh_opts() {
	echo -p "$RX_PORT" -o StrictHostKeyChecking=no -o "UserKnownHostsFile=$RX_DIR/known_hosts" \
		-o BatchMode=yes -o LogLevel=ERROR -o ConnectTimeout=10 -o IdentitiesOnly=yes \
		-F /dev/null
}

# Runs ssh as NAME with NAME's key: rx_ssh NAME [ssh args...] [command]
rx_ssh() {
	local name=$1
	shift
	# shellcheck disable=SC2046
	timeout 60 $RX_IN_NETNS ssh $(rx_ssh_opts) -i "$RX_DIR/keys/$name" "$name@127.0.0.1" "$@"
}

# Starts ssh as NAME in the background and sets RX_BG_PID to the pid of
# its `timeout` wrapper, which passes a SIGTERM on to ssh:
# rx_ssh_bg NAME [ssh args...] [command]
rx_ssh_bg() {
	local name=$1
	shift
	# shellcheck disable=SC2046
	timeout 60 $RX_IN_NETNS ssh $(rx_ssh_opts) -i "$RX_DIR/keys/$name" "$name@127.0.0.1" "$@" &
	RX_BG_PID=$!
}

# Runs ssh as NAME with another key file: rx_ssh_key NAME KEYFILE [args...]
rx_ssh_key() {
	local name=$1 key=$2
	shift 2
	# shellcheck disable=SC2046
	timeout 60 $RX_IN_NETNS ssh $(rx_ssh_opts) -i "$key" "$name@127.0.0.1" "$@"
}

# Waits until the command succeeds, at most SECONDS: rx_wait_for SECONDS cmd...
rx_wait_for() {
	local seconds=$1
	shift
	local deadline=$((SECONDS + seconds))
	while [ $SECONDS -lt $deadline ]; do
		if "$@"; then
			return 0
		fi
		sleep 0.1
	done
	"$@"
}

# Assertions print what differed, so a failing test explains itself.
assert_eq() {
	if [ "$1" != "$2" ]; then
		echo "# expected: $2" >&2
		echo "# actual:   $1" >&2
		[ -n "${3:-}" ] && echo "# $3" >&2
		return 1
	fi
}

assert_contains() {
	if ! grep -qF -- "$2" <<< "$1"; then
		echo "# expected to contain: $2" >&2
		echo "# actual: $(head -c 2000 <<< "$1")" >&2
		return 1
	fi
}

assert_not_contains() {
	if grep -qF -- "$2" <<< "$1"; then
		echo "# expected not to contain: $2" >&2
		echo "# actual: $(head -c 2000 <<< "$1")" >&2
		return 1
	fi
}

# Prints the audit events of the given type as JSON lines.
rx_audit() {
	grep -F "\"event\":\"$1\"" "$RX_DIR/audit.jsonl" || true
}

# rx_wait_for runs its checks in a new bash; these must exist there.
export RX_UID_BASE RX_CGROUP_NAME
export -f rx_sandbox_pids rx_sandbox_ps rx_cgroup_dirs
