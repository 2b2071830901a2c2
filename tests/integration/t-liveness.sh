# Keepalive and idle timeout: a frozen, killed or idle client ends its
# sessions, and nothing of them remains (no process, zombie, cgroup or
# mount). ClientAliveInterval 1 x ClientAliveCountMax 2 gives a frozen
# client 2 seconds; IdleTimeout is 4 seconds of no session data.

rx_setup_file() {
	rx_start "ClientAliveInterval 1" "ClientAliveCountMax 2" "IdleTimeout 4" || return 1
	rx_user alice
}

# Starts "sleep 60" under a marker name and waits until it runs; with
# -tt it runs on a PTY.
lv_start_session() {
	local marker=$1
	shift
	rx_ssh_bg alice "$@" "exec -a $marker sleep 60"
	rx_wait_for 10 bash -c "ps -eo args | grep -q '^$marker'"
}

# Fails, saying what is left, unless the user's sandbox is gone entirely.
lv_assert_nothing_left() {
	local zombies
	[ -z "$(rx_sandbox_pids)" ] || {
		echo "# sandbox processes left: $(rx_sandbox_pids)" >&2
		return 1
	}
	[ -z "$(rx_cgroup_dirs)" ] || {
		echo "# cgroups left: $(rx_cgroup_dirs)" >&2
		return 1
	}
	if grep -qF "$RX_DIR" /proc/self/mountinfo; then
		echo "# mounts left under $RX_DIR" >&2
		return 1
	fi
	# Zombies among rexecd's own children (the network process and the
	# sandbox inits are its children).
	zombies=$(ps -eo stat=,ppid=,pid= | awk -v p="$RX_PID" '$1 ~ /^Z/ && $2 == p')
	[ -z "$zombies" ] || {
		echo "# zombies of rexecd: $zombies" >&2
		return 1
	}
}

lv_sandbox_gone() {
	[ -z "$(rx_sandbox_pids)" ] && [ -z "$(rx_cgroup_dirs)" ]
}
export -f lv_sandbox_gone

# Waits until the sandbox is gone and prints the milliseconds since START
# (from date +%s%N), or fails after SECONDS: lv_time_until_gone START SECONDS
lv_time_until_gone() {
	local start=$1
	rx_wait_for "$2" lv_sandbox_gone || return 1
	echo $((($(date +%s%N) - start) / 1000000))
}

test_stopped_client_is_dropped_in_time() {
	local start ms
	lv_start_session rexec-frozen
	start=$(date +%s%N)
	kill -STOP "$(pgrep -P "$RX_BG_PID" ssh)"
	ms=$(lv_time_until_gone "$start" 10) || {
		echo "# the frozen client's sandbox still runs after 10 s" >&2
		return 1
	}
	kill -CONT "$(pgrep -P "$RX_BG_PID" ssh)" 2> /dev/null || true
	wait "$RX_BG_PID" 2> /dev/null || true
	# 2 s of silence plus the time to reap the sandbox.
	[ "$ms" -le 3000 ] || {
		echo "# frozen client dropped after $ms ms, limit 2000 ms plus reaping" >&2
		return 1
	}
	lv_assert_nothing_left
	assert_contains "$(rx_audit client_timeout)" '"reason":"client not responding"'
}

test_stopped_pty_client_is_dropped() {
	lv_start_session rexec-frozen-pty -tt
	kill -STOP "$(pgrep -P "$RX_BG_PID" ssh)"
	rx_wait_for 10 lv_sandbox_gone
	kill -CONT "$(pgrep -P "$RX_BG_PID" ssh)" 2> /dev/null || true
	wait "$RX_BG_PID" 2> /dev/null || true
	lv_assert_nothing_left
}

test_killed_client_is_reaped_at_once() {
	local start ms
	lv_start_session rexec-killed
	start=$(date +%s%N)
	kill -KILL "$(pgrep -P "$RX_BG_PID" ssh)"
	wait "$RX_BG_PID" 2> /dev/null || true
	# The kernel closes the socket, so no keepalive is needed.
	ms=$(lv_time_until_gone "$start" 10)
	[ "$ms" -lt 1500 ] || {
		echo "# killed client's sandbox lasted $ms ms" >&2
		return 1
	}
	lv_assert_nothing_left
}

test_quiet_live_client_stays_connected() {
	local out
	# Three seconds without data: longer than ClientAliveInterval x
	# ClientAliveCountMax, shorter than IdleTimeout. The client replies
	# to the keepalive requests, which it logs at -v.
	out=$(rx_ssh alice -v 'sleep 3; echo still-here' 2> "$RX_DIR/quiet.log")
	assert_eq "$out" "still-here"
	assert_contains "$(cat "$RX_DIR/quiet.log")" "client_input_global_request: rtype keepalive@openssh.com want_reply 1"
}

test_idle_session_ends_after_idle_timeout() {
	local start ms status=0
	start=$(date +%s%N)
	rx_ssh alice 'sleep 30' 2> "$RX_DIR/idle.err" || status=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	assert_eq "$status" 255
	[ "$ms" -ge 3900 ] && [ "$ms" -lt 6000 ] || {
		echo "# idle session ended after $ms ms, expected about 4000" >&2
		return 1
	}
	assert_contains "$(rx_audit client_timeout)" '"reason":"idle timeout"'
	rx_wait_for 5 lv_sandbox_gone
	lv_assert_nothing_left
}

test_session_data_resets_idle_timeout() {
	local out
	# Six seconds in all, one line every second: never 4 s without data.
	out=$(rx_ssh alice 'for i in 1 2 3 4 5 6; do echo $i; sleep 1; done')
	assert_eq "$(echo $out)" "1 2 3 4 5 6"
}

test_client_input_resets_idle_timeout() {
	local out
	out=$( (for i in 1 2 3 4 5 6; do echo "$i"; sleep 1; done) | rx_ssh alice 'cat > /dev/null; echo done')
	assert_eq "$out" "done"
}

test_empty_channels_do_not_reset_idle_timeout() {
	local out
	# Opening and closing a channel every second starts no session, so
	# the connection must still end after IdleTimeout (4 s here).
	out=$(timeout 20 /usr/bin/python3 - "$RX_PORT" "$RX_DIR/keys/alice" <<'PY'
import sys, time, warnings
warnings.simplefilter("ignore")
import paramiko
port, key = int(sys.argv[1]), sys.argv[2]
t = paramiko.Transport(("127.0.0.1", port))
t.connect(username="alice", pkey=paramiko.Ed25519Key.from_private_key_file(key))
start = time.monotonic()
try:
    while t.is_active() and time.monotonic() - start < 12:
        t.open_session().close()
        time.sleep(1)
except Exception:
    pass
print("active" if t.is_active() else "dropped after %.0f s" % (time.monotonic() - start))
PY
)
	assert_contains "$out" "dropped after"
	local seconds=${out##* after }
	seconds=${seconds% s}
	[ "$seconds" -ge 3 ] && [ "$seconds" -le 7 ] || {
		echo "# dropped after $seconds s, expected about 4" >&2
		return 1
	}
}
