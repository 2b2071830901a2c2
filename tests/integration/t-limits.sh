# Per-sandbox limits on shared kernel resources, and mount isolation of
# the home directory when the host's mounts propagate.

rx_setup_file() {
	# A directory home: an image home is never mounted on the host, so
	# only a directory can propagate (t-resources checks images).
	rx_start "Tier plain home=0" || return 1
	rx_user alice plain
}

test_pty_count_is_capped_per_sandbox() {
	local out
	out=$(rx_ssh alice '/usr/bin/python3 -c "
import os
fds = []
try:
    while len(fds) < 2000:
        fds.append(os.open(\"/dev/ptmx\", os.O_RDWR | os.O_NOCTTY))
except OSError as e:
    print(len(fds), e.errno)
"')
	local count=${out% *} errno=${out#* }
	[ "$count" -le 256 ] || { echo "# opened $count PTYs, cap is 256" >&2; return 1; }
	[ "$count" -ge 200 ] || { echo "# opened only $count PTYs" >&2; return 1; }
	assert_eq "$errno" 28 "ENOSPC once the devpts instance is full"
}

test_open_file_limit_is_sandbox_own() {
	local out
	out=$(rx_ssh alice 'ulimit -Sn; ulimit -Hn')
	assert_eq "$out" $'4096\n4096'
}

test_home_mount_does_not_propagate() {
	# Global, because the EXIT trap runs after this function's locals are gone.
	PROPAGATION_STATE=$RX_DIR/state
	local state=$PROPAGATION_STATE marker
	# Make the store a shared mount, as on a host where / is shared.
	mount --bind "$state" "$state"
	trap 'umount "$PROPAGATION_STATE/homes/alice/probe" 2> /dev/null; umount "$PROPAGATION_STATE" 2> /dev/null' EXIT
	mount --make-shared "$state"

	rx_ssh_bg alice 'sleep 20'
	local bg=$RX_BG_PID
	rx_wait_for 10 test -d "$state/homes/alice"
	rx_wait_for 10 bash -c "[ -n \"\$(rx_sandbox_pids)\" ]"
	mkdir -p "$state/homes/alice/probe"
	mount -t tmpfs probe "$state/homes/alice/probe"
	marker=$state/homes/alice/probe/from-host
	touch "$marker"

	local inside
	inside=$(rx_ssh alice 'ls -A ~/probe; grep " /home/user " /proc/self/mountinfo')
	kill "$bg" 2> /dev/null || true
	wait "$bg" 2> /dev/null || true
	assert_not_contains "$inside" "from-host"
	assert_not_contains "$inside" "shared:"
}
