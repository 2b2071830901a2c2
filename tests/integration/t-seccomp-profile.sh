# A sandbox whose seccomp profile allows every system call. The denials
# that come from the profile disappear, which shows that the escape probes
# of t-security.sh notice a missing profile, and that the profile file is
# what decides them. The sandbox init's fixed filter, the capability drop
# and Landlock still hold.

rx_setup_file() {
	RX_SECCOMP_PROFILE=$RX_TOP/tests/security/allow-all-profile.json
	rx_start || return 1
	rx_user alice
	cc -O2 -Wall -o "$RX_DIR/probe" "$RX_TOP/tests/security/probe.c" || return 1
	rx_ssh alice 'cat > ~/probe && chmod 755 ~/probe' < "$RX_DIR/probe"
}

probe() {
	rx_ssh alice "~/probe $*"
}

test_profile_denials_disappear() {
	assert_eq "$(probe ptrace-child)" "ptrace-child: success"
	assert_eq "$(probe process-vm-readv)" "process-vm-readv: success"
	assert_eq "$(probe personality)" "personality-uname26: success"
	# The kernel decides now, with EAFNOSUPPORT where the family is not built.
	assert_not_contains "$(probe socket vsock)" "EPERM"
	local expected="tiocsti: success"
	if [ "$(cat /proc/sys/dev/tty/legacy_tiocsti 2> /dev/null || echo 1)" = 0 ]; then
		expected="tiocsti: EIO (Input/output error)"
	fi
	assert_contains "$(rx_ssh alice -tt '~/probe tiocsti' 2> /dev/null | tr -d '\r')" "$expected"
}

test_init_filter_still_denies() {
	assert_eq "$(probe unshare-user)" "unshare-user: EPERM (Operation not permitted)"
	assert_eq "$(probe clone-newuser)" "clone-newuser: EPERM (Operation not permitted)"
	assert_eq "$(probe keyctl)" "keyctl: EPERM (Operation not permitted)"
	assert_eq "$(probe bpf)" "bpf: EPERM (Operation not permitted)"
	assert_eq "$(probe io-uring)" "io-uring: EPERM (Operation not permitted)"
	assert_eq "$(probe userfaultfd)" "userfaultfd: EPERM (Operation not permitted)"
	assert_eq "$(probe perf-event)" "perf-event: EPERM (Operation not permitted)"
	assert_eq "$(probe clone3)" "clone3: ENOSYS (Function not implemented)"
	assert_eq "$(probe int80)" "int80: killed by signal 31"
}

test_capabilities_and_landlock_still_hold() {
	local out
	out=$(rx_ssh alice 'grep -E "^(CapEff|NoNewPrivs|Seccomp_filters):" /proc/self/status | tr -s "\t" " "')
	assert_contains "$out" "CapEff: 0000000000000000"
	assert_contains "$out" "NoNewPrivs: 1"
	assert_contains "$out" "Seccomp_filters: 2"
	assert_eq "$(probe mknod /home/user/null)" "mknod: EACCES (Permission denied)"
}

# Writes a configuration that uses PROFILE_TEXT as its seccomp profile and
# prints its path: broken_profile_config NAME PROFILE_TEXT
broken_profile_config() {
	printf '%s\n' "$2" > "$RX_DIR/$1.json"
	sed "s|^SeccompProfile .*|SeccompProfile $RX_DIR/$1.json|" "$RX_CONF" > "$RX_DIR/$1.conf"
	echo "$RX_DIR/$1.conf"
}

test_config_check_rejects_unknown_syscall() {
	local conf out status=0
	conf=$(broken_profile_config unknown '{"defaultAction": "SCMP_ACT_ERRNO",
"syscalls": [{"names": ["read", "no_such_call"], "action": "SCMP_ACT_ALLOW"}]}')
	out=$("$REXECD" -t -f "$conf" 2>&1) || status=$?
	assert_eq "$status" 1
	assert_eq "$out" "rexecd: $RX_DIR/unknown.json: syscalls[0].names[1]: unknown system call \"no_such_call\""
}

test_start_stops_on_invalid_json() {
	local conf out status=0
	conf=$(broken_profile_config syntax '{"defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [,]}')
	out=$(timeout 10 "$REXECD" -e -f "$conf" 2>&1) || status=$?
	assert_eq "$status" 1
	assert_contains "$out" "$RX_DIR/syntax.json: invalid JSON at line 2, column 16"
}
