# Daemon behaviour: configuration checks, host key, algorithms, limits.

rx_setup_file() {
	rx_start "LoginGraceTime 2" "PerSourceMaxStartups 3" || return 1
	rx_user alice
}

test_config_check_accepts_valid_file() {
	"$REXECD" -t -f "$RX_CONF"
}

test_config_check_names_file_line_reason() {
	local conf=$RX_DIR/broken.conf out status=0
	printf 'LogLevel info\n\nListenAddress 127.0.0.1:70000\n' > "$conf"
	out=$("$REXECD" -t -f "$conf" 2>&1) || status=$?
	assert_eq "$status" 1
	assert_contains "$out" "$conf:3:"
	assert_contains "$out" "70000"
}

test_config_check_rejects_unknown_keyword() {
	local conf=$RX_DIR/unknown.conf out status=0
	printf 'PermitRootLogin yes\n' > "$conf"
	out=$("$REXECD" -t -f "$conf" 2>&1) || status=$?
	assert_eq "$status" 1
	assert_contains "$out" "$conf:1:"
	assert_contains "$out" "PermitRootLogin"
}

test_config_check_reports_missing_file() {
	local out status=0
	out=$("$REXECD" -t -f "$RX_DIR/absent.conf" 2>&1) || status=$?
	assert_eq "$status" 1
	assert_contains "$out" "$RX_DIR/absent.conf"
}

test_host_key_is_private_and_reused() {
	local key=$RX_DIR/state/hostkeys/ssh_host_ed25519_key
	rx_ssh alice true
	assert_eq "$(stat -c %a "$key")" 600
	local first
	first=$(ssh-keygen -lf "$key" | cut -d' ' -f2)
	# The client pinned the key in known_hosts; a restart must present the same one.
	local old=$RX_PID
	kill -TERM "$old"
	# The daemon is not this subshell's child, so wait by polling.
	rx_wait_for 10 bash -c "! kill -0 $old 2> /dev/null"
	rx_launch
	rx_wait_for 5 bash -c "ss -Htln 'sport = :$RX_PORT' | grep -q ."
	rx_ssh alice -o StrictHostKeyChecking=yes true
	assert_eq "$(ssh-keygen -lf "$key" | cut -d' ' -f2)" "$first"
}

test_offers_only_modern_algorithms() {
	local out
	out=$(rx_ssh alice -vvv true 2>&1)
	assert_contains "$out" "KEX algorithms: curve25519-sha256,curve25519-sha256@libssh.org,kex-strict-s-v00@openssh.com"
	assert_contains "$out" "will use strict KEX ordering"
	assert_contains "$out" "kex: host key algorithm: ssh-ed25519"
}

test_aes_gcm_and_ctr_etm_work() {
	rx_ssh alice -o Ciphers=aes256-gcm@openssh.com true
	rx_ssh alice -o Ciphers=aes128-gcm@openssh.com true
	rx_ssh alice -o Ciphers=aes256-ctr -o MACs=hmac-sha2-256-etm@openssh.com true
	rx_ssh alice -o Ciphers=aes128-ctr -o MACs=hmac-sha2-512-etm@openssh.com true
}

test_weak_algorithms_are_rejected() {
	local status=0
	rx_ssh alice -o KexAlgorithms=diffie-hellman-group14-sha256 true 2> /dev/null || status=$?
	assert_eq "$status" 255 "finite-field DH must not be offered"
	status=0
	rx_ssh alice -o Ciphers=aes128-ctr -o MACs=hmac-sha1 true 2> /dev/null || status=$?
	assert_eq "$status" 255 "hmac-sha1 must not be offered"
	status=0
	rx_ssh alice -o Ciphers=aes128-cbc true 2> /dev/null || status=$?
	assert_eq "$status" 255 "CBC must not be offered"
}

test_banner_hides_library_version() {
	local banner
	banner=$(timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$RX_PORT; head -c 64 <&3 | head -n 1" | tr -d '\r')
	assert_contains "$banner" "SSH-2.0-"
	assert_not_contains "$banner" "libssh"
}

test_password_auth_is_not_offered() {
	local out
	out=$(rx_ssh alice -o PreferredAuthentications=password -o BatchMode=no -o NumberOfPasswordPrompts=0 true 2>&1 < /dev/null) && return 1
	assert_contains "$out" "Permission denied (publickey)"
}

test_login_grace_time_drops_silent_client() {
	local start end
	start=$(date +%s%N)
	# A client that connects and then sends nothing must be dropped.
	timeout 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$RX_PORT; cat <&3 > /dev/null"
	end=$(date +%s%N)
	local ms=$(((end - start) / 1000000))
	[ "$ms" -ge 1800 ] && [ "$ms" -lt 5000 ] || {
		echo "# dropped after $ms ms, expected about 2000" >&2
		return 1
	}
	assert_contains "$(rx_audit auth_failure)" "login grace time"
}

test_forwarding_requests_are_refused() {
	local out status=0
	out=$(rx_ssh alice -o ExitOnForwardFailure=yes -L 127.0.0.1:0:127.0.0.1:22 true 2>&1) || status=$?
	[ "$status" -ne 0 ] || { echo "# -L forwarding was accepted" >&2; return 1; }
	status=0
	out=$(rx_ssh alice -W 127.0.0.1:22 2>&1 < /dev/null) || status=$?
	[ "$status" -ne 0 ] || { echo "# -W stdio forwarding was accepted" >&2; return 1; }
}

test_daemon_survives_garbage_before_kex() {
	timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$RX_PORT; head -c 4096 /dev/urandom >&3; cat <&3 > /dev/null" || true
	timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$RX_PORT; printf 'SSH-2.0-x\r\n' >&3; head -c 100000 /dev/zero >&3; cat <&3 > /dev/null" || true
	rx_ssh alice true
}

test_per_source_limit_keeps_others_in() {
	local pids=() i banner
	# Three idle connections from 127.0.0.1 use up that address's share
	# until LoginGraceTime (2 s here) drops them.
	for i in 1 2 3; do
		timeout 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$RX_PORT; sleep 5" &
		pids+=($!)
	done
	sleep 0.5
	banner=$(timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$RX_PORT; head -c 8 <&3" || true)
	# Another address still gets in.
	local status=0
	rx_ssh alice -o BindAddress=127.0.0.2 true || status=$?
	kill "${pids[@]}" 2> /dev/null || true
	wait "${pids[@]}" 2> /dev/null || true
	assert_eq "$banner" "" "a fourth connection from 127.0.0.1 must be closed at once"
	assert_eq "$status" 0 "a login from 127.0.0.2 must succeed"
	assert_contains "$(cat "$RX_DIR/rexecd.log")" "PerSourceMaxStartups reached"
}
