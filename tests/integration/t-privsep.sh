# Privilege separation: the network process runs as the NetworkUser in an
# empty chroot with no capabilities and a seccomp filter. No sandbox has
# the host key in memory. When the monitor or the network process dies,
# the other reacts as designed.

NET_CHROOT=/run/rexec/empty
NET_USER=rexec

rx_setup_file() {
	rx_start || return 1
	rx_user alice
}

# Prints the pid of the running network process: the child of rexecd
# whose title is "rexecd: network".
rx_net_pid() {
	local monitor pid
	monitor=$(cat "$RX_DIR/rexecd.pid")
	for pid in $(pgrep -P "$monitor"); do
		if tr '\0' ' ' < "/proc/$pid/cmdline" 2> /dev/null | grep -q '^rexecd: network'; then
			echo "$pid"
			return 0
		fi
	done
	return 1
}

# Prints one field of /proc/PID/status: rx_status PID FIELD
rx_status() {
	sed -n "s/^$2:\t*//p" "/proc/$1/status" | sed 's/ *$//'
}

# Prints the host uid of user's sandbox init (uid 0 inside): rx_uid_base USER
rx_uid_base() {
	sed -n 's/^uid_base=//p' "$RX_DIR/state/users/$1/user"
}

# Prints the pids of processes whose effective host uid is one of the
# arguments: rx_pids_of_uid UID... (from /proc: ps prints uids of 2^31 and
# above as negative)
rx_pids_of_uid() {
	{ grep -sH '^Uid:' /proc/[0-9]*/status || true; } | awk -v uids=" $* " \
		'index(uids, " " $3 " ") { split($1, path, "/"); print path[3] }'
}
export -f rx_pids_of_uid

rx_keyscan() {
	python3 "$(dirname "${BASH_SOURCE[0]}")/keyscan.py" \
		"$RX_DIR/state/hostkeys/ssh_host_ed25519_key" "$1" | awk '{ print $2 }'
}

test_network_process_runs_as_system_user() {
	local pid uid gid
	pid=$(rx_net_pid)
	uid=$(id -u "$NET_USER")
	gid=$(id -g "$NET_USER")
	[ "$uid" -ne 0 ]
	assert_eq "$(rx_status "$pid" Uid)" "$uid	$uid	$uid	$uid"
	assert_eq "$(rx_status "$pid" Gid)" "$gid	$gid	$gid	$gid"
	assert_eq "$(rx_status "$pid" Groups)" ""
}

test_network_process_has_no_capabilities() {
	local pid set
	pid=$(rx_net_pid)
	for set in CapInh CapPrm CapEff CapBnd CapAmb; do
		assert_eq "$(rx_status "$pid" "$set")" 0000000000000000 "$set"
	done
}

test_network_process_has_seccomp_and_no_new_privs() {
	local pid
	pid=$(rx_net_pid)
	assert_eq "$(rx_status "$pid" NoNewPrivs)" 1
	assert_eq "$(rx_status "$pid" Seccomp)" 2 "2 is filter mode"
}

test_network_process_root_is_empty_dir() {
	local pid
	pid=$(rx_net_pid)
	assert_eq "$(readlink "/proc/$pid/root")" "$NET_CHROOT"
	assert_eq "$(readlink "/proc/$pid/cwd")" "$NET_CHROOT"
	assert_eq "$(stat -c '%u %a' "$NET_CHROOT")" "0 755"
	assert_eq "$(ls -A "$NET_CHROOT")" ""
}

# A directory fd from before the chroot would lead back out of it.
test_network_process_holds_no_directory_fd() {
	local pid fd target
	pid=$(rx_net_pid)
	for fd in /proc/"$pid"/fd/*; do
		target=$(readlink "$fd")
		if [ -d "$fd" ]; then
			echo "# fd ${fd##*/} is a directory: $target" >&2
			return 1
		fi
		case $target in
		socket:* | pipe:* | anon_inode:* | /dev/null | "$RX_DIR"/*) ;;
		*)
			echo "# unexpected fd ${fd##*/}: $target" >&2
			return 1
			;;
		esac
	done
}

test_login_works_in_confined_process() {
	assert_eq "$(rx_ssh alice 'echo ok')" ok
	assert_eq "$(rx_ssh alice -tt 'echo pty' 2> /dev/null | tr -d '\r')" pty
	assert_contains "$(cat "$RX_DIR/rexecd.log")" "network process confined: chroot $NET_CHROOT"
	assert_not_contains "$(cat "$RX_DIR/rexecd.log")" "seccomp filter (SIGSYS)"
}

test_restarted_rexecd_rejects_non_empty_chroot() {
	local conf=$RX_DIR/nonempty.conf dir out status=0
	dir=$(mktemp -d /run/rexec-test-chroot.XXXXXX)
	chmod 755 "$dir"
	touch "$dir/file"
	sed "/^ListenAddress/d" "$RX_CONF" > "$conf"
	echo "ListenAddress 127.0.0.1:$(rx_free_port)" >> "$conf"
	echo "NetworkChroot $dir" >> "$conf"
	out=$(timeout 10 "$REXECD" -e -f "$conf" 2>&1) || status=$?
	rm -rf "$dir"
	assert_eq "$status" 1
	assert_contains "$out" "$dir must be empty"
}

test_sandbox_memory_holds_no_host_key() {
	local base init session net monitor
	rx_ssh_bg alice 'sleep 30' < /dev/null
	base=$(rx_uid_base alice)
	rx_wait_for 10 bash -c "[ -n \"\$(rx_pids_of_uid $((base + 1000)))\" ]"
	init=$(rx_pids_of_uid "$base")
	session=$(rx_pids_of_uid "$((base + 1000))")
	net=$(rx_net_pid)
	monitor=$(cat "$RX_DIR/rexecd.pid")
	[ -n "$init" ] && [ -n "$session" ]

	# The positive control: the scan finds the key where it is loaded.
	[ "$(rx_keyscan "$net")" -gt 0 ] || { echo "# the scan missed the key in the network process" >&2; return 1; }
	assert_eq "$(rx_keyscan "$monitor")" 0 "monitor"
	assert_eq "$(rx_keyscan "$init")" 0 "sandbox init"
	assert_eq "$(rx_keyscan "$session")" 0 "session process"
	kill "$RX_BG_PID"
	wait "$RX_BG_PID" 2> /dev/null || true
}

test_killed_network_process_is_replaced() {
	local old new base status=0
	base=$(rx_uid_base alice)
	rx_ssh_bg alice 'sleep 60' < /dev/null
	rx_wait_for 10 bash -c "[ -n \"\$(rx_pids_of_uid $((base + 1000)))\" ]"
	old=$(rx_net_pid)

	kill -KILL "$old"
	# The client loses its connection, and the monitor ends the sandbox.
	wait "$RX_BG_PID" || status=$?
	assert_eq "$status" 255 "ssh exit status after the connection was dropped"
	rx_wait_for 5 bash -c "[ -z \"\$(rx_pids_of_uid $base $((base + 1000)))\" ]"
	assert_contains "$(cat "$RX_DIR/rexecd.log")" "network process pid=$old killed by signal 9"

	rx_wait_for 5 bash -c "ss -Htln 'sport = :$RX_PORT' | grep -q . && pgrep -P $(cat "$RX_DIR/rexecd.pid") > /dev/null"
	new=$(rx_net_pid)
	[ -n "$new" ] && [ "$new" != "$old" ]
	assert_eq "$(rx_status "$new" Seccomp)" 2
	assert_eq "$(rx_ssh alice 'echo again')" again
}

# Last: it kills rexecd, so the file's rx_stop finds it gone.
test_network_process_exits_when_monitor_dies() {
	local monitor net base
	base=$(rx_uid_base alice)
	rx_ssh_bg alice 'sleep 60' < /dev/null
	rx_wait_for 10 bash -c "[ -n \"\$(rx_pids_of_uid $((base + 1000)))\" ]"
	monitor=$(cat "$RX_DIR/rexecd.pid")
	net=$(rx_net_pid)

	kill -KILL "$monitor"
	rx_wait_for 5 bash -c "! kill -0 $net 2> /dev/null" || {
		echo "# network process $net still runs 5 s after the monitor died" >&2
		return 1
	}
	# Each sandbox init ends its sandbox when its control link closes.
	rx_wait_for 5 bash -c "[ -z \"\$(rx_pids_of_uid $base $((base + 1000)))\" ]"
	wait "$RX_BG_PID" 2> /dev/null || true
	# What the dead monitor could not remove: its cgroups.
	rx_kill_leftovers
}
