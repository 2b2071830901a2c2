# Tier limits: pids, memory and home size, each hit on purpose inside a
# sandbox with small limits, while the gateway and other users go on.

rx_setup_file() {
	rx_start "Tier tiny memory=64M cpu=50 pids=64 home=64M" \
		"Tier grown memory=64M pids=64 home=128M" || return 1
	rx_user calm
	rx_user bomber tiny
	rx_user bomber256
	rx_user hog tiny
	rx_user filler tiny
	rx_user grower tiny
}

# Forks sleepers until fork fails, at most 500, and prints how many ran.
# The sleepers end with the sandbox when the session ends.
FORK_BOMB='import os, sys, time
n = 0
try:
    while n < 500:
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        n += 1
except OSError as e:
    print("fork failed after %d: errno %d" % (n, e.errno), flush=True)
time.sleep(4)
print("bomb done", flush=True)'

# Runs the bomb as USER, whose tier TIER allows LIMIT pids, and checks
# that fork fails just below LIMIT (init and the shell use a few), that
# another user logs in meanwhile, and that the hit is audited.
check_fork_bomb() {
	local user=$1 tier=$2 limit=$3 out=$RX_DIR/bomb.$1.out
	rx_ssh_bg "$user" "timeout 30 python3 -c '$FORK_BOMB'" > "$out" 2>&1
	rx_wait_for 20 grep -q "fork failed" "$out"
	# While the bomb keeps its sandbox at the limit, other users log in.
	assert_eq "$(rx_ssh calm 'echo still here')" "still here"
	wait "$RX_BG_PID" || true
	local n
	n=$(sed -n 's/^fork failed after \([0-9]*\): errno 11$/\1/p' "$out")
	[ -n "$n" ] && [ "$n" -lt "$limit" ] && [ "$n" -gt $((limit - 24)) ] || {
		echo "# expected fork to fail with EAGAIN after $((limit - 23))-$((limit - 1)) forks: $(cat "$out")" >&2
		return 1
	}
	assert_contains "$(cat "$out")" "bomb done"
	rx_wait_for 5 bash -c "grep -q '\"event\":\"pids_limit\".*\"user\":\"$user\"' '$RX_DIR/audit.jsonl'"
	assert_contains "$(rx_audit pids_limit | grep "\"user\":\"$user\"")" "\"tier\":\"$tier\""
	assert_eq "$(rx_ssh "$user" 'echo again')" "again"
}

test_fork_bomb_stops_at_pids_limit() {
	check_fork_bomb bomber tiny 64
}

test_fork_bomb_stops_at_default_256() {
	check_fork_bomb bomber256 default 256
}

test_memory_hog_is_oom_killed_and_audited() {
	local out=$RX_DIR/hog.out survivor=$RX_DIR/survivor.out status
	# A second session of the same user must outlive the OOM kill.
	rx_ssh_bg hog 'sleep 6; echo survivor alive' > "$survivor" 2>&1
	local survivor_pid=$RX_BG_PID
	sleep 1
	# tail keeps its one endless line in memory: 200M against a 64M limit.
	rx_ssh hog 'head -c 200M /dev/zero | tail > /dev/null; echo "tail status $?"' > "$out" 2>&1 || true
	assert_contains "$(cat "$out")" "tail status 137"
	wait "$survivor_pid"
	assert_contains "$(cat "$survivor")" "survivor alive"
	rx_wait_for 5 bash -c "grep -q '\"event\":\"oom_kill\".*\"user\":\"hog\"' '$RX_DIR/audit.jsonl'"
	assert_contains "$(rx_audit oom_kill)" '"tier":"tiny"'
	assert_eq "$(rx_ssh calm 'echo gateway ok')" "gateway ok"
}

# Prints the size of /home/user in MiB, as df reports it inside the sandbox.
home_size_mib() {
	rx_ssh "$1" 'df -m --output=size /home/user | tail -n 1' | tr -d ' '
}

test_home_fills_to_quota_and_keeps_data() {
	local out sum
	rx_ssh filler 'head -c 1M /dev/urandom > keep && sha256sum keep' > "$RX_DIR/sum"
	sum=$(cut -d' ' -f1 "$RX_DIR/sum")
	out=$(rx_ssh filler 'dd if=/dev/zero of=big bs=1M count=100 2>&1; echo "dd status $?"')
	assert_contains "$out" "No space left on device"
	assert_not_contains "$out" "dd status 0"
	# The next login reads the file written before, unchanged.
	assert_eq "$(rx_ssh filler 'sha256sum keep' | cut -d' ' -f1)" "$sum"
	local size
	size=$(home_size_mib filler)
	[ "$size" -ge 40 ] && [ "$size" -le 64 ] || {
		echo "# home of a 64M tier is ${size}M" >&2
		return 1
	}
	# Only the user's own image is full: other homes still have room.
	assert_eq "$(rx_ssh calm 'echo ok > f && cat f')" "ok"
}

test_set_tier_grows_home_at_next_login() {
	local before after
	rx_ssh grower 'echo precious > data'
	before=$(home_size_mib grower)
	"$REXECCTL" -f "$RX_CONF" user set-tier grower grown > /dev/null
	assert_contains "$("$REXECCTL" -f "$RX_CONF" user list)" "grower "
	assert_contains "$("$REXECCTL" -f "$RX_CONF" user list | grep '^grower ')" " grown"
	after=$(home_size_mib grower)
	[ "$before" -le 64 ] && [ "$after" -ge 100 ] || {
		echo "# home grew from ${before}M to ${after}M, expected 64M to 128M" >&2
		return 1
	}
	assert_eq "$(rx_ssh grower 'cat data')" "precious"
	assert_contains "$(cat "$RX_DIR/rexecd.log")" "grew home image"
}

test_set_tier_rejects_unknown_tier() {
	local out status=0
	out=$("$REXECCTL" -f "$RX_CONF" user set-tier calm huge 2>&1) || status=$?
	assert_eq "$status" 1
	assert_contains "$out" 'tier "huge" is not defined'
	assert_not_contains "$("$REXECCTL" -f "$RX_CONF" user list | grep '^calm ')" "huge"
}

test_home_image_leaves_no_host_mount() {
	rx_ssh calm true
	# The sandbox ended with the session (SandboxLinger 0).
	rx_wait_for 5 bash -c "[ -z \"\$(losetup -l -n -O BACK-FILE | grep -F '$RX_DIR/')\" ]"
	assert_eq "$(grep -cF "$RX_DIR" /proc/self/mountinfo)" 0
	[ -f "$RX_DIR/state/homes/calm.img" ]
	[ ! -e "$RX_DIR/state/homes/calm" ]
}

test_plain_directory_home_is_kept() {
	rx_user legacy
	local uid
	uid=$(("$("$REXECCTL" -f "$RX_CONF" user list | sed -n 's/^legacy \([0-9]*\)-.*/\1/p')" + 1000))
	install -d -m 700 -o "$uid" -g "$uid" "$RX_DIR/state/homes/legacy"
	echo old > "$RX_DIR/state/homes/legacy/old-file"
	assert_eq "$(rx_ssh legacy 'cat old-file')" "old"
	assert_contains "$(cat "$RX_DIR/rexecd.log")" "plain directory $RX_DIR/state/homes/legacy"
	[ ! -e "$RX_DIR/state/homes/legacy.img" ]
}
