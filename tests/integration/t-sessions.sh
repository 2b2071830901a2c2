# Session semantics a server owes its clients, modelled on what OpenSSH's
# regression suite checks of sshd (exit status, env passing, stderr data,
# broken pipe, tty allocation, multiplexing, rekey), plus signals,
# subsystems and the rejection of forwarding. Driven by OpenSSH's ssh, and
# by asyncssh where ssh cannot send the request (signals, env values).

SE_CLIENTS=$(dirname "${BASH_SOURCE[0]}")/clients

rx_setup_file() {
	# AcceptEnv names denied variables on purpose: the fixed denylist
	# must win over the configuration.
	rx_start 'AcceptEnv "LANG LC_* TERM COLORTERM TZ MYVAR LD_* PATH BASH_ENV"' \
		"MaxSessions 3" || return 1
	rx_user alice
}

# se_asyncssh [--term TYPE] ACTION [ARGS]: see clients/asyncssh_client.py
se_asyncssh() {
	timeout 60 /usr/bin/python3 "$SE_CLIENTS/asyncssh_client.py" --port "$RX_PORT" --user alice \
		--key "$RX_DIR/keys/alice" "$@"
}

# Runs ssh as alice at the client's default LogLevel, so that its own
# messages (which the rejection tests read) are printed. ssh takes the
# first value given for an option, so rx_ssh_opts' LogLevel must go.
se_ssh_verbose() {
	# shellcheck disable=SC2046
	timeout 60 ssh $(rx_ssh_opts | sed 's/-o LogLevel=ERROR//') -i "$RX_DIR/keys/alice" \
		alice@127.0.0.1 "$@"
}

# sftp takes the port as -P; the other options are ssh's.
se_sftp() {
	# shellcheck disable=SC2046
	timeout 60 sftp -b - -P "$RX_PORT" $(rx_ssh_opts | sed 's/-p [0-9]*//') \
		-i "$RX_DIR/keys/alice" alice@127.0.0.1
}

# Starts a session that keeps alice's sandbox running and prints its pid
# file's marker once it runs, so other sessions share that sandbox.
se_hold_sandbox() {
	rx_ssh_bg alice "exec -a rexec-hold-$1 sleep 60"
	rx_wait_for 10 bash -c "ps -eo args | grep -q '^rexec-hold-$1'"
}

se_release_sandbox() {
	kill "$RX_BG_PID" 2> /dev/null || true
	wait "$RX_BG_PID" 2> /dev/null || true
}

# ---- exit status and streams ----

test_exit_status_is_exact() {
	local code status
	for code in 0 1 2 44 127 255; do
		status=0
		rx_ssh alice "exit $code" || status=$?
		assert_eq "$status" "$code" "ssh host 'exit $code'"
	done
}

test_exit_signal_has_core_flag() {
	local err status=0
	err=$(se_asyncssh exec 'ulimit -c unlimited; cd /tmp && kill -SEGV $$' 2>&1 > /dev/null) || status=$?
	assert_eq "$status" 255
	assert_eq "$err" "exit-signal SEGV core-dumped=yes"
	err=$(se_asyncssh exec 'ulimit -c 0; kill -TERM $$' 2>&1 > /dev/null) || true
	assert_eq "$err" "exit-signal TERM core-dumped=no"
}

test_stderr_and_stdout_stay_apart_under_load() {
	# 4 MiB on each stream at the same time; each must arrive complete.
	rx_ssh alice 'head -c 4194304 /dev/zero | tr "\0" o & head -c 4194304 /dev/zero | tr "\0" e >&2; wait' \
		> "$RX_DIR/out" 2> "$RX_DIR/err"
	assert_eq "$(stat -c %s "$RX_DIR/out")" 4194304
	assert_eq "$(stat -c %s "$RX_DIR/err")" 4194304
	assert_eq "$(tr -d o < "$RX_DIR/out" | wc -c)" 0
	assert_eq "$(tr -d e < "$RX_DIR/err" | wc -c)" 0
}

test_closed_stdout_does_not_end_session() {
	local out status=0
	out=$(rx_ssh alice 'exec 1>&-; sleep 1; echo late >&2; exit 3' 2> "$RX_DIR/err") || status=$?
	assert_eq "$status" 3
	assert_eq "$out" ""
	assert_eq "$(cat "$RX_DIR/err")" "late"
}

test_stdin_eof_arrives_as_eof() {
	local out
	out=$(printf 'abc' | rx_ssh alice 'cat; echo "|after eof"')
	assert_eq "$out" "abc|after eof"
}

test_broken_pipe_ends_remote_program() {
	local start ms out
	se_hold_sandbox broken-pipe
	start=$(date +%s%N)
	# ssh itself exits with 255, reporting that yes died of SIGPIPE.
	out=$(rx_ssh alice 'yes' | head -1) || true
	ms=$((($(date +%s%N) - start) / 1000000))
	assert_eq "$out" "y"
	[ "$ms" -lt 5000 ] || { echo "# ssh host yes | head -1 took $ms ms" >&2; return 1; }
	# The sandbox outlives the session, so only the session's end stops yes.
	rx_wait_for 5 bash -c '! se_yes_running' || {
		echo "# remote yes still running" >&2
		return 1
	}
	assert_contains "$(rx_audit session_end | grep '"signal":"PIPE"')" '"user":"alice"'
	se_release_sandbox
}

# Returns success while a process named yes runs in this run's sandboxes.
se_yes_running() {
	rx_sandbox_ps comm | grep -q ' yes$'
}
export -f se_yes_running

# ---- terminals ----

test_tty_only_when_requested() {
	assert_eq "$(rx_ssh alice 'test -t 0 && echo tty || echo no-tty')" "no-tty"
	assert_eq "$(rx_ssh alice -T 'test -t 0 && echo tty || echo no-tty')" "no-tty"
	assert_eq "$(rx_ssh alice -tt 'test -t 0 && echo tty || echo no-tty' 2> /dev/null | tr -d '\r')" "tty"
}

test_pty_req_term_wins_over_env_term() {
	local out
	# With a PTY, TERM comes from pty-req even when an env request sets it.
	out=$(se_asyncssh --term vt100 env TERM=dumb -- 'printenv TERM' | tr -d '\r')
	assert_eq "$out" "vt100"
	# Without a PTY, an accepted env TERM passes, and nothing sets one.
	assert_eq "$(rx_ssh alice -o SetEnv=TERM=dumb 'printenv TERM')" "dumb"
	assert_eq "$(rx_ssh alice 'printenv TERM || echo unset')" "unset"
}

# ---- environment ----

test_env_passes_accepted_names_only() {
	local out
	out=$(LANG=C.UTF-8 LC_TIME=C MYVAR=kept EDITOR=vi rx_ssh alice \
		-o 'SendEnv=LANG LC_TIME MYVAR EDITOR' 'echo "$LANG|$LC_TIME|$MYVAR|${EDITOR-unset}"')
	assert_eq "$out" "C.UTF-8|C|kept|unset"
	assert_contains "$(cat "$RX_DIR/rexecd.log")" 'env request "EDITOR" rejected: not in AcceptEnv'
}

test_env_denylist_beats_accept_env() {
	local out
	out=$(se_asyncssh env LD_PRELOAD=/tmp/x.so PATH=/tmp BASH_ENV=/tmp/rc MYVAR=kept -- \
		'echo "${LD_PRELOAD-unset}|$PATH|${BASH_ENV-unset}|$MYVAR"')
	assert_eq "$out" "unset|/usr/local/bin:/usr/bin:/bin|unset|kept"
	assert_contains "$(cat "$RX_DIR/rexecd.log")" 'env request "LD_PRELOAD" rejected: denied name'
	assert_contains "$(cat "$RX_DIR/rexecd.log")" 'env request "PATH" rejected: denied name'
	assert_contains "$(cat "$RX_DIR/rexecd.log")" 'env request "BASH_ENV" rejected: denied name'
}

test_env_value_with_control_character_is_rejected() {
	local out
	out=$(se_asyncssh env "LANG=C$(printf '\033')[31m" "LC_ALL=$(printf 'a\nb')" MYVAR=kept -- \
		'echo "${LANG-unset}|${LC_ALL-unset}|$MYVAR"')
	assert_eq "$out" "unset|unset|kept"
	assert_contains "$(cat "$RX_DIR/rexecd.log")" 'env request "LANG" rejected: invalid value'
}

test_env_rejections_do_not_flood_log() {
	local before after
	before=$(grep -c 'rejected: not in AcceptEnv' "$RX_DIR/rexecd.log" || true)
	# shellcheck disable=SC2046
	se_asyncssh env $(for i in $(seq 40); do printf 'NOPE%d=x ' "$i"; done) -- true
	after=$(grep -c 'rejected: not in AcceptEnv' "$RX_DIR/rexecd.log" || true)
	assert_eq "$((after - before))" 16
	assert_contains "$(cat "$RX_DIR/rexecd.log")" "further rejected requests are not logged"
}

# ---- signals ----

test_signals_reach_process_group() {
	local name out status
	for name in INT TERM HUP USR1 USR2 QUIT; do
		# The trap runs in the shell; the child sleep shares its group.
		out=$(se_asyncssh signal "$name" "trap 'echo got-$name; exit 9' $name; echo ready; sleep 20 & wait") || status=$?
		assert_contains "$out" "got-$name"
	done
	status=0
	out=$(se_asyncssh signal KILL 'echo ready; sleep 20' 2>&1) || status=$?
	assert_eq "$status" 255
	assert_contains "$out" "exit-signal KILL"
}

test_unknown_signal_is_rejected() {
	local out status=0
	out=$(se_asyncssh signal BOGUS 'echo ready; sleep 1; echo still-running; exit 5') || status=$?
	assert_eq "$status" 5
	assert_contains "$out" "still-running"
	assert_contains "$(cat "$RX_DIR/rexecd.log")" 'signal request "BOGUS" rejected'
}

# ---- subsystems ----

test_sftp_runs_in_users_sandbox() {
	se_hold_sandbox sftp
	rx_ssh alice 'echo only-in-this-sandbox > /tmp/sftp-marker'
	printf 'get /tmp/sftp-marker %s\npwd\n' "$RX_DIR/marker" | se_sftp > "$RX_DIR/sftp.out"
	assert_eq "$(cat "$RX_DIR/marker")" "only-in-this-sandbox"
	assert_contains "$(cat "$RX_DIR/sftp.out")" "Remote working directory: /home/user"
	printf 'put %s up.txt\n' "$RX_DIR/marker" | se_sftp > /dev/null
	assert_eq "$(rx_ssh alice 'stat -c %U:%G ~/up.txt; rm ~/up.txt')" "user:user"
	assert_contains "$(rx_audit session_start)" '"kind":"subsystem","subsystem":"sftp"'
	se_release_sandbox
}

test_unknown_subsystem_is_rejected() {
	local out status=0
	out=$(se_ssh_verbose -s netconf < /dev/null 2>&1) || status=$?
	assert_eq "$status" 255
	assert_contains "$out" "subsystem request failed"
	assert_contains "$(rx_audit request_rejected)" '"request":"subsystem","detail":"netconf"'
}

# ---- multiplexing ----

test_multiplexed_sessions_share_connection() {
	local path=$RX_DIR/mux connects status=0 i
	connects=$(rx_audit connect | wc -l)
	# shellcheck disable=SC2046
	timeout 30 ssh $(rx_ssh_opts) -i "$RX_DIR/keys/alice" -o ControlMaster=yes \
		-o "ControlPath=$path" -o ControlPersist=30 -N -f alice@127.0.0.1
	for i in 1 2 3; do
		rx_ssh alice -o "ControlPath=$path" "sleep 0.5; echo session-$i" > "$RX_DIR/mux.$i" &
	done
	wait
	for i in 1 2 3; do
		assert_eq "$(cat "$RX_DIR/mux.$i")" "session-$i"
	done
	rx_ssh alice -o "ControlPath=$path" 'exit 7' || status=$?
	assert_eq "$status" 7
	assert_eq "$(printf 'through-mux' | rx_ssh alice -o "ControlPath=$path" 'cat')" "through-mux"
	assert_eq "$(rx_audit connect | wc -l)" "$((connects + 1))" "one TCP connection for every session"
	rx_ssh alice -o "ControlPath=$path" -O exit 2> /dev/null
}

test_max_sessions_limits_channels() {
	local path=$RX_DIR/mux-limit out i
	# shellcheck disable=SC2046
	timeout 30 ssh $(rx_ssh_opts) -i "$RX_DIR/keys/alice" -o ControlMaster=yes \
		-o "ControlPath=$path" -o ControlPersist=30 -N -f alice@127.0.0.1
	for i in 1 2 3; do
		rx_ssh_bg alice -o "ControlPath=$path" 'exec -a rexec-mux-limit sleep 10'
		eval "bg_$i=\$RX_BG_PID"
	done
	rx_wait_for 10 bash -c "[ \$(ps -eo args | grep -c '^rexec-mux-limit') -ge 3 ]"
	# The mux client reports the refusal, then falls back to a
	# connection of its own, where the fourth session runs.
	out=$(rx_ssh alice -o "ControlPath=$path" 'echo fourth' 2>&1)
	assert_contains "$out" "Session open refused by peer"
	assert_contains "$(cat "$RX_DIR/rexecd.log")" "session channel rejected: MaxSessions 3 reached"
	# shellcheck disable=SC2154
	kill "$bg_1" "$bg_2" "$bg_3" 2> /dev/null || true
	rx_ssh alice -o "ControlPath=$path" -O exit 2> /dev/null
	wait 2> /dev/null || true
}

# ---- rekey ----

test_rekey_during_large_transfer() {
	head -c $((64 * 1024 * 1024)) /dev/urandom > "$RX_DIR/rekey"
	rx_ssh alice -o RekeyLimit=1M 'cat > ~/rekey' < "$RX_DIR/rekey"
	rx_ssh alice -o RekeyLimit=1M 'cat ~/rekey; rm ~/rekey' > "$RX_DIR/rekey.back"
	cmp "$RX_DIR/rekey" "$RX_DIR/rekey.back"
	# The client logs each key exchange it completes; 64 MiB at a 1 MiB
	# limit is dozens of them.
	se_ssh_verbose -v -o RekeyLimit=1M 'head -c 16777216 /dev/zero' 2> "$RX_DIR/rekey.log" > /dev/null
	[ "$(grep -c 'SSH2_MSG_NEWKEYS received' "$RX_DIR/rekey.log")" -ge 10 ] || {
		echo "# $(grep -c 'SSH2_MSG_NEWKEYS received' "$RX_DIR/rekey.log") key exchanges for 16 MiB" >&2
		return 1
	}
}

# ---- forwarding is rejected ----

test_local_forwarding_is_prohibited() {
	local out status=0
	out=$(se_ssh_verbose -W 127.0.0.1:9 < /dev/null 2>&1) || status=$?
	assert_eq "$status" 255
	assert_contains "$out" "administratively prohibited"
	assert_contains "$(rx_audit request_rejected)" '"request":"direct-tcpip","detail":"127.0.0.1:9"'
}

test_remote_forwarding_fails() {
	local out status=0
	out=$(se_ssh_verbose -o ExitOnForwardFailure=yes -R 127.0.0.1:0:127.0.0.1:9 true 2>&1) || status=$?
	assert_eq "$status" 255
	assert_contains "$out" "remote port forwarding failed"
	assert_contains "$(rx_audit request_rejected)" '"request":"tcpip-forward"'
}

test_x11_forwarding_fails() {
	local out
	out=$(DISPLAY=:99 se_ssh_verbose -X 'echo "${DISPLAY-no-display}"' 2>&1)
	assert_contains "$out" "X11 forwarding request failed"
	assert_contains "$out" "no-display"
	assert_contains "$(rx_audit request_rejected)" '"request":"x11-req"'
}

test_agent_forwarding_is_rejected() {
	local out agent_pid
	eval "$(ssh-agent -s)" > /dev/null
	agent_pid=$SSH_AGENT_PID
	ssh-add -q "$RX_DIR/keys/alice" 2> /dev/null
	out=$(rx_ssh alice -A 'echo "${SSH_AUTH_SOCK-no-agent}"') || true
	kill "$agent_pid"
	assert_eq "$out" "no-agent"
	assert_contains "$(rx_audit request_rejected)" '"request":"auth-agent-req"'
}
