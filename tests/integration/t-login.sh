# Login, sandbox view and persistence, driven by the real OpenSSH client.

rx_setup_file() {
	rx_start "SandboxHostname rexec-test" || return 1
	rx_user alice
	rx_user carol
}

test_login_lands_in_sandbox_home() {
	local out
	out=$(rx_ssh alice 'id; pwd; echo "$HOME $USER $LOGNAME $SHELL"; echo "$PATH"')
	assert_contains "$out" "uid=1000(user) gid=1000(user)"
	assert_contains "$out" "/home/user"$'\n'
	assert_contains "$out" "/home/user user user /bin/bash"
	assert_contains "$out" "/usr/bin"
}

test_interactive_shell_has_prompt_and_tty() {
	local out
	out=$(printf 'tty\nid -un\nexit 0\n' | rx_ssh alice -tt 2>&1 | tr -d '\r')
	assert_contains "$out" "user@rexec-test:~\$"
	assert_contains "$out" "/dev/pts/"
	assert_contains "$out" $'\nuser\n'
}

test_exit_status_is_returned() {
	local status=0
	rx_ssh alice 'exit 44' || status=$?
	assert_eq "$status" 44
}

test_exit_status_with_pty_is_returned() {
	local status=0
	rx_ssh alice -tt 'exit 45' > /dev/null 2>&1 || status=$?
	assert_eq "$status" 45
}

test_home_file_survives_next_login() {
	rx_ssh alice 'echo persisted-$((6*7)) > ~/note.txt'
	local out
	out=$(rx_ssh alice 'cat ~/note.txt; stat -c %U:%G ~/note.txt')
	assert_contains "$out" "persisted-42"
	assert_contains "$out" "user:user"
}

test_root_and_usr_are_read_only() {
	local out
	out=$(rx_ssh alice 'touch /x 2>&1; echo "root=$?"; touch /usr/x 2>&1; echo "usr=$?"; touch /etc/x 2>&1; echo "etc=$?"')
	assert_contains "$out" "root=1"
	assert_contains "$out" "usr=1"
	assert_contains "$out" "etc=1"
	assert_contains "$out" "Read-only file system"
}

test_tmp_is_writable_and_noexec() {
	local out
	out=$(rx_ssh alice 'printf "#!/bin/sh\necho ran\n" > /tmp/s && chmod +x /tmp/s && echo written; /tmp/s 2>&1; echo "exec=$?"')
	assert_contains "$out" "written"
	assert_contains "$out" "Permission denied"
	assert_contains "$out" "exec=126"
	assert_not_contains "$out" "ran"
}

test_secrets_are_not_visible() {
	local out
	out=$(rx_ssh alice 'cat /etc/shadow /etc/gshadow 2>&1 | wc -c; ls /var | tr "\n" " "; echo; ls /etc/rexec 2>/dev/null | wc -l; cat /etc/ssh/ssh_host_*key 2>/dev/null | wc -c')
	assert_eq "$(sed -n 1p <<< "$out")" "0" "/etc/shadow and /etc/gshadow must read as empty"
	assert_eq "$(sed -n 2p <<< "$out")" "run tmp " "only tmp and run exist under /var"
	assert_eq "$(sed -n 3p <<< "$out")" "0" "/etc/rexec must be empty"
	assert_eq "$(sed -n 4p <<< "$out")" "0" "SSH host keys must read as empty"
}

test_hostname_is_sandbox_own() {
	local out
	out=$(rx_ssh alice 'hostname')
	assert_eq "$out" "rexec-test"
	[ "$(hostname)" = "rexec-test" ] && return 1
	return 0
}

test_process_list_is_sandbox_own() {
	local out
	out=$(rx_ssh alice 'ls -d /proc/[0-9]* | wc -l; cat /proc/1/comm')
	local count
	count=$(sed -n 1p <<< "$out")
	# init, the session shell, ls and wc: a handful, never the host's list.
	[ "$count" -lt 10 ] || { echo "# $count processes visible" >&2; return 1; }
	assert_not_contains "$(sed -n 2p <<< "$out")" "systemd"
}

test_only_loopback_interface_exists() {
	local out
	out=$(rx_ssh alice 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "; ip -o link 2>&1 | cut -d: -f2 | tr -d " "')
	assert_eq "$(sort -u <<< "$out" | tr '\n' ' ')" "lo "
}

test_unknown_user_is_rejected_and_audited() {
	local status=0
	rx_ssh_key mallory "$RX_DIR/keys/alice" true 2> /dev/null || status=$?
	assert_eq "$status" 255
	assert_contains "$(rx_audit auth_failure)" '"user":"mallory"'
	assert_contains "$(rx_audit auth_failure | grep mallory)" '"reason":"unknown user"'
}

test_wrong_key_is_rejected_and_audited() {
	local status=0
	ssh-keygen -q -t ed25519 -N '' -f "$RX_DIR/keys/stranger"
	rx_ssh_key alice "$RX_DIR/keys/stranger" true 2> /dev/null || status=$?
	assert_eq "$status" 255
	local fp
	fp=$(ssh-keygen -lf "$RX_DIR/keys/stranger.pub" | cut -d' ' -f2)
	assert_contains "$(rx_audit auth_failure)" "\"fingerprint\":\"$fp\""
	assert_contains "$(rx_audit auth_failure | grep -F "$fp")" '"reason":"key not authorized"'
}

test_login_is_audited() {
	rx_ssh alice true
	local fp
	fp=$(ssh-keygen -lf "$RX_DIR/keys/alice.pub" | cut -d' ' -f2)
	assert_contains "$(rx_audit auth_success)" "\"fingerprint\":\"$fp\""
	assert_contains "$(rx_audit connect)" '"source":"127.0.0.1"'
	assert_contains "$(rx_audit session_start)" '"user":"alice"'
	assert_contains "$(rx_audit session_start)" '"pty":false'
	assert_contains "$(rx_audit session_end)" '"user":"alice"'
}

test_key_change_applies_at_next_login() {
	ssh-keygen -q -t ed25519 -N '' -f "$RX_DIR/keys/alice2"
	local status=0
	rx_ssh_key alice "$RX_DIR/keys/alice2" true 2> /dev/null || status=$?
	assert_eq "$status" 255
	"$REXECCTL" -f "$RX_CONF" key add alice "$RX_DIR/keys/alice2.pub" > /dev/null
	rx_ssh_key alice "$RX_DIR/keys/alice2" true
	"$REXECCTL" -f "$RX_CONF" key del alice "$(ssh-keygen -lf "$RX_DIR/keys/alice2.pub" | cut -d' ' -f2)" > /dev/null
	status=0
	rx_ssh_key alice "$RX_DIR/keys/alice2" true 2> /dev/null || status=$?
	assert_eq "$status" 255
}

test_concurrent_sessions_share_one_sandbox() {
	local marker=rexec-marker-$RANDOM
	rx_ssh_bg alice "exec -a $marker sleep 30"
	local bg=$RX_BG_PID
	rx_wait_for 10 bash -c "[ \"\$(ps -eo args | grep -c ^$marker)\" -ge 1 ]"
	local same other
	same=$(rx_ssh alice 'ps -eo args')
	other=$(rx_ssh carol 'ps -eo args')
	kill "$bg" 2>/dev/null || true
	wait "$bg" 2>/dev/null || true
	assert_contains "$same" "$marker"
	assert_not_contains "$other" "$marker"
	# The client is gone, so its session, and with it the sandbox, ends.
	rx_wait_for 10 bash -c "! ps -eo args | grep -q ^$marker"
}

test_last_session_end_leaves_nothing() {
	rx_ssh alice 'sleep 1000 > /dev/null 2>&1 & echo started' > /dev/null
	# The sandbox ends with its last session, background processes and all.
	rx_wait_for 10 bash -c '[ -z "$(rx_sandbox_pids)" ]' || {
		echo "# processes left: $(rx_sandbox_pids)" >&2
		return 1
	}
	rx_wait_for 10 bash -c '[ -z "$(rx_cgroup_dirs)" ]' || {
		echo "# cgroups left: $(rx_cgroup_dirs)" >&2
		return 1
	}
	if grep -qF "$RX_DIR" /proc/self/mountinfo; then
		echo "# host mounts left under $RX_DIR" >&2
		return 1
	fi
	local init_count
	init_count=$(grep -c "sandbox started" "$RX_DIR/rexecd.log")
	local end_count
	end_count=$(grep -c "sandbox stopped" "$RX_DIR/rexecd.log")
	assert_eq "$end_count" "$init_count" "every sandbox started must have ended"
}

test_init_hides_host_command_line() {
	local out
	out=$(rx_ssh alice 'tr "\0" " " < /proc/1/cmdline; echo; cat /proc/1/comm')
	assert_contains "$out" "rexec-init"
	assert_not_contains "$out" "$RX_DIR"
	assert_not_contains "$out" "rexecd"
}

test_failed_sandbox_setup_ends_only_that_session() {
	rx_user dave
	# A home image that is not root's is refused, so dave's sandbox
	# cannot start; the gateway and other users must not notice.
	mkdir -p "$RX_DIR/state/homes"
	truncate -s 1M "$RX_DIR/state/homes/dave.img"
	chown 12345 "$RX_DIR/state/homes/dave.img"
	local status=0 err
	err=$(rx_ssh dave true 2>&1) || status=$?
	assert_eq "$status" 1
	assert_contains "$err" "rexec: "
	rx_ssh alice true
	assert_contains "$(rx_audit session_failed)" '"user":"dave"'
	kill -0 "$(cat "$RX_DIR/rexecd.pid")"
}
