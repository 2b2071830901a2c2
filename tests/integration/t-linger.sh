# SandboxLinger: a sandbox outlives its last session by the configured
# time, a new session within it joins the same sandbox, and afterwards
# nothing remains.

rx_setup_file() {
	rx_start "SandboxLinger 2" || return 1
	rx_user alice
}

lg_sandbox_gone() {
	[ -z "$(rx_sandbox_pids)" ] && [ -z "$(rx_cgroup_dirs)" ]
}
export -f lg_sandbox_gone

test_sandbox_lingers_then_ends() {
	local start ms
	# /tmp is a tmpfs of the sandbox, so the file shows which one runs.
	rx_ssh alice 'echo first > /tmp/linger-marker'
	start=$(date +%s%N)
	[ -n "$(rx_sandbox_pids)" ] || {
		echo "# the sandbox ended with its last session" >&2
		return 1
	}
	assert_eq "$(rx_ssh alice 'cat /tmp/linger-marker')" "first"
	rx_wait_for 10 lg_sandbox_gone
	ms=$((($(date +%s%N) - start) / 1000000))
	[ "$ms" -ge 1800 ] || {
		echo "# sandbox ended $ms ms after the last session, before SandboxLinger 2 s" >&2
		return 1
	}
	if grep -qF "$RX_DIR" /proc/self/mountinfo; then
		echo "# mounts left under $RX_DIR" >&2
		return 1
	fi
	assert_eq "$(rx_ssh alice 'cat /tmp/linger-marker 2>&1 || echo gone' | tail -1)" "gone"
}

test_session_within_linger_keeps_sandbox() {
	rx_ssh alice 'echo kept > /tmp/linger-marker'
	sleep 1
	# This session starts before the linger ends and runs past it.
	assert_eq "$(rx_ssh alice 'sleep 2; cat /tmp/linger-marker')" "kept"
	rx_wait_for 10 lg_sandbox_gone
}
