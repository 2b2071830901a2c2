# Sandbox hardening, checked from inside a real sandbox as the login user:
# the profile's verification checks (tests/security/verify.sh) and escape
# probes (tests/security/probe.c, built here and copied into the home).
#
# Every probe that expects a denial is also run outside the sandbox, as
# nobody or as root in a namespace of its own, where it must succeed
# (test_probes_succeed_without_the_sandbox), so a probe that could never
# fail would show up there. t-seccomp-profile.sh runs them in a sandbox
# whose profile allows everything. EPERM means seccomp (or a missing
# capability), EACCES Landlock, EROFS a read-only mount.

SIGSYS_NUMBER=31

# alice's home is a plain directory (home=0), so that tests can plant files
# in it from the host; bob has the default tier's home image.
rx_setup_file() {
	rx_start "Tier plain home=0" || return 1
	rx_user alice plain
	rx_user bob
	cc -O2 -Wall -o "$RX_DIR/probe" "$RX_TOP/tests/security/probe.c" || return 1
	rx_ssh alice 'cat > ~/probe && chmod 755 ~/probe' < "$RX_DIR/probe"
}

# Runs a probe check in alice's sandbox: probe CHECK [ARG...]
probe() {
	rx_ssh alice "~/probe $*"
}

# Runs a probe check on the host as nobody, without capabilities.
probe_as_nobody() {
	(cd / && setpriv --reuid=65534 --regid=65534 --clear-groups "$RX_DIR/probe" "$@")
}

# Runs the probe as nobody, as root of a new user namespace that also
# gets the namespace of the first argument (-m mount, -u UTS):
# probe_as_nobody_in_userns FLAG CHECK [ARG...]
probe_as_nobody_in_userns() {
	local flag=$1
	shift
	(cd / && setpriv --reuid=65534 --regid=65534 --clear-groups unshare -Ur "$flag" "$RX_DIR/probe" "$@")
}

# Runs BINARY as nobody: probe_as_nobody_path BINARY [ARG...]
probe_as_nobody_path() {
	local binary=$1
	shift
	(cd / && setpriv --reuid=65534 --regid=65534 --clear-groups "$binary" "$@")
}

# Returns 1 when a setting of this host forbids CHECK to every unprivileged
# process, so that the check cannot show anything outside the sandbox.
host_allows() {
	case $1 in
	io-uring) [ "$(cat /proc/sys/kernel/io_uring_disabled 2> /dev/null || echo 0)" = 0 ] ;;
	perf-event) [ "$(cat /proc/sys/kernel/perf_event_paranoid)" -le 2 ] ;;
	ptrace-child | process-vm-readv)
		[ "$(cat /proc/sys/kernel/yama/ptrace_scope 2> /dev/null || echo 0)" -le 1 ] ;;
	unshare-user | clone-newuser | userns)
		probe_as_nobody_in_userns -m ids > /dev/null 2>&1 ;;
	*) true ;;
	esac
}

# Prints the host uid that is uid 0 in USER's sandbox.
uid_base_of() {
	sed -n 's/^uid_base=//p' "$RX_DIR/state/users/$1/user"
}

test_profile_verification_checks_pass() {
	local user out status
	for user in alice bob; do
		status=0
		out=$(rx_ssh "$user" 'bash -s' < "$RX_TOP/tests/security/verify.sh") || status=$?
		grep '^not ok' <<< "$out" >&2 || true
		assert_eq "$status" 0 "verify.sh reported a failed check for $user"
		assert_contains "$out" "ok - seccomp is in filter mode"
		assert_contains "$out" "ok - ip addr lists only lo"
	done
}

test_mount_is_denied() {
	rx_ssh alice 'mkdir -p ~/mnt'
	assert_eq "$(probe mount /home/user/mnt)" "mount: EPERM (Operation not permitted)"
	local out
	out=$(rx_ssh alice 'mount -t tmpfs none ~/mnt 2>&1; echo "status=$?"')
	assert_not_contains "$out" "status=0"
}

test_new_namespaces_are_denied() {
	assert_eq "$(probe unshare-user)" "unshare-user: EPERM (Operation not permitted)"
	assert_eq "$(probe clone-newuser)" "clone-newuser: EPERM (Operation not permitted)"
	local out
	out=$(rx_ssh alice 'unshare -U true 2>&1; echo "status=$?"')
	assert_contains "$out" "Operation not permitted"
	assert_contains "$out" "status=1"
}

test_setns_and_chroot_are_denied() {
	assert_eq "$(probe setns)" "setns: EPERM (Operation not permitted)"
	assert_eq "$(probe chroot /tmp)" "chroot: EPERM (Operation not permitted)"
}

test_ptrace_of_other_sandbox_processes_is_denied() {
	local marker=rexec-ptrace-target-$RANDOM
	rx_ssh_bg alice "exec -a $marker sleep 30"
	local bg=$RX_BG_PID
	local pid=
	for _ in $(seq 50); do
		pid=$(rx_ssh alice "pgrep -f ^$marker" || true)
		[ -n "$pid" ] && break
		sleep 0.1
	done
	local other child init_out vm
	other=$(probe ptrace "${pid:-0}")
	child=$(probe ptrace-child)
	init_out=$(probe ptrace 1)
	vm=$(probe process-vm-readv)
	kill "$bg" 2> /dev/null || true
	wait "$bg" 2> /dev/null || true
	[ -n "$pid" ] || { echo "# the target session did not start" >&2; return 1; }
	assert_eq "$other" "ptrace: EPERM (Operation not permitted)"
	assert_eq "$child" "ptrace-child: EPERM (Operation not permitted)"
	assert_eq "$init_out" "ptrace: EPERM (Operation not permitted)"
	assert_eq "$vm" "process-vm-readv: EPERM (Operation not permitted)"
}

test_keyrings_are_denied() {
	assert_eq "$(probe keyctl)" "keyctl: EPERM (Operation not permitted)"
	assert_eq "$(probe add-key)" "add-key: EPERM (Operation not permitted)"
}

test_bpf_io_uring_userfaultfd_perf_are_denied() {
	assert_eq "$(probe bpf)" "bpf: EPERM (Operation not permitted)"
	assert_eq "$(probe io-uring)" "io-uring: EPERM (Operation not permitted)"
	assert_eq "$(probe userfaultfd)" "userfaultfd: EPERM (Operation not permitted)"
	assert_eq "$(probe perf-event)" "perf-event: EPERM (Operation not permitted)"
}

test_personality_and_socket_families_are_limited() {
	assert_eq "$(probe personality)" "personality-uname26: EPERM (Operation not permitted)"
	assert_eq "$(probe socket alg)" "socket-alg: EPERM (Operation not permitted)"
	assert_eq "$(probe socket vsock)" "socket-vsock: EPERM (Operation not permitted)"
	assert_eq "$(probe socket packet)" "socket-packet: EPERM (Operation not permitted)"
	assert_eq "$(probe socket netlink)" "socket-netlink: success"
	assert_eq "$(probe socket unix)" "socket-unix: success"
	assert_eq "$(probe socket inet)" "socket-inet: success"
}

test_tiocsti_is_denied() {
	local out
	out=$(rx_ssh alice -tt '~/probe tiocsti' 2> /dev/null | tr -d '\r')
	assert_contains "$out" "tiocsti: EPERM (Operation not permitted)"
	assert_contains "$out" "tiocsti-high-bits: EPERM (Operation not permitted)"
}

test_foreign_abi_kills_and_clone3_is_enosys() {
	assert_eq "$(probe int80)" "int80: killed by signal $SIGSYS_NUMBER"
	assert_eq "$(probe clone3)" "clone3: ENOSYS (Function not implemented)"
}

test_threads_and_common_tools_work() {
	local out
	out=$(rx_ssh alice 'python3 -c "
import threading
results = []
threads = [threading.Thread(target=results.append, args=(i,)) for i in range(4)]
for t in threads: t.start()
for t in threads: t.join()
print(\"threads\", sorted(results))
"; ps -e -o comm= | sort | tr "\n" " "; echo; ls / > /dev/null && echo ls-ok; cat /etc/hostname; ip addr show lo | grep -c "inet 127.0.0.1"')
	assert_contains "$out" "threads [0, 1, 2, 3]"
	assert_contains "$out" "rexec-init"
	assert_contains "$out" "ls-ok"
	assert_contains "$out" $'\n1'
	out=$(printf 'printf "line\\n" > /tmp/vi-test\nvi -es -c "s/line/edited/" -c wq /tmp/vi-test; cat /tmp/vi-test\nexit\n' |
		rx_ssh alice -tt 2> /dev/null | tr -d '\r')
	assert_contains "$out" $'\nedited'
}

# Unmasked, these are regular proc files, not the 1:3 device.
test_masked_proc_files_read_empty() {
	local out
	out=$(rx_ssh alice 'for f in kcore keys timer_list interrupts latency_stats timer_stats sched_debug; do
		[ -e /proc/$f ] || continue
		echo "$f $(stat -c %t:%T /proc/$f) $(head -c 100 /proc/$f | wc -c)"
	done
	for d in acpi asound scsi; do
		[ -e /proc/$d ] && echo "$d entries=$(ls -A /proc/$d | wc -l)"
	done; true')
	[ -n "$out" ] || { echo "# no masked /proc entry exists on this kernel" >&2; return 1; }
	local line
	while read -r line; do
		case $line in
		*entries=*) assert_eq "${line#* }" "entries=0" "$line" ;;
		*) assert_eq "${line#* }" "1:3 0" "$line must be /dev/null" ;;
		esac
	done <<< "$out"
}

# EROFS comes from the read-only bind: the kernel checks the mount first
# when a file is opened with O_TRUNC, and would return EACCES without it.
test_proc_sys_is_read_only() {
	local before out
	before=$(cat /proc/sys/kernel/domainname)
	out=$(rx_ssh alice 'for f in kernel/domainname kernel/hostname net/ipv4/ip_unprivileged_port_start; do
		echo 1 2> /dev/null > /proc/sys/$f; echo "$f $?"
		~/probe write /proc/sys/$f 1
	done')
	assert_contains "$out" "kernel/domainname 1"
	assert_contains "$out" "kernel/hostname 1"
	assert_contains "$out" "net/ipv4/ip_unprivileged_port_start 1"
	assert_eq "$(grep -c 'write: EROFS' <<< "$out")" 3
	assert_eq "$(cat /proc/sys/kernel/domainname)" "$before"
}

# Unmasked, /sys/kernel and /sys/firmware list the host's entries.
test_sys_kernel_is_empty_and_read_only() {
	local out
	out=$(rx_ssh alice 'for d in /sys/kernel /sys/firmware /sys/fs/cgroup; do
		echo "$d $(ls -A $d | wc -l)"; done; touch /sys/kernel/x 2>&1; cat /sys/kernel/mm/transparent_hugepage/enabled 2>&1; true')
	assert_contains "$out" "/sys/kernel 0"
	assert_contains "$out" "/sys/firmware 0"
	assert_contains "$out" "/sys/fs/cgroup 0"
	assert_contains "$out" "Read-only file system"
	assert_contains "$out" "No such file or directory"
}

test_landlock_denies_device_nodes_and_proc_writes() {
	# EACCES comes from Landlock; without it, mknod would fail with EPERM
	# (no CAP_MKNOD) and the write to comm would succeed.
	assert_eq "$(probe mknod /home/user/null)" "mknod: EACCES (Permission denied)"
	assert_eq "$(probe write /proc/self/comm renamed)" "write: EACCES (Permission denied)"
	local out
	out=$(rx_ssh alice 'mkfifo ~/fifo && echo fifo-ok; rm -f ~/fifo')
	assert_eq "$out" "fifo-ok"
}

test_setuid_binary_does_not_elevate() {
	local home=$RX_DIR/state/homes/alice base
	base=$(uid_base_of alice)
	# A binary owned by the sandbox's root with the setuid bit, planted
	# from the host because no process inside may create one.
	cp "$RX_DIR/probe" "$home/suid-probe"
	chown "$base:$base" "$home/suid-probe"
	chmod 4755 "$home/suid-probe"
	assert_eq "$(rx_ssh alice 'stat -c %U:%a ~/suid-probe')" "root:4755"
	assert_eq "$(rx_ssh alice '~/suid-probe ids')" "ids: ruid=1000 euid=1000 suid=1000"
	rm -f "$home/suid-probe"
}

test_chown_to_other_uids_is_denied() {
	local home=$RX_DIR/state/homes/alice base
	base=$(uid_base_of alice)
	rx_ssh alice 'touch ~/owned'
	assert_eq "$(probe chown /home/user/owned 0)" "chown: EPERM (Operation not permitted)"
	assert_eq "$(probe chown /home/user/owned 70000)" "chown: EINVAL (Invalid argument)"
	assert_eq "$(stat -c %u "$home/owned")" "$((base + 1000))"
}

# bob's home image exists on the host; only alice's mount namespace hides
# it.
test_other_users_home_is_unreachable() {
	local secret=bob-secret-$RANDOM
	rx_ssh bob "echo $secret > ~/secret"
	local out
	out=$(rx_ssh alice "ls -A /home; cat /home/bob/secret $RX_DIR/state/homes/bob.img ../bob/secret 2>&1; grep -rs $secret /home /tmp /run /root; true")
	assert_eq "$(head -n 1 <<< "$out")" "user"
	assert_not_contains "$out" "$secret"
	assert_eq "$(grep -c 'No such file or directory' <<< "$out")" 3
}

# The listener is reachable from the host, so only the sandbox's network
# namespace keeps alice away from it and from rexecd's own port.
test_host_loopback_is_unreachable() {
	local port
	port=$(rx_free_port)
	/usr/bin/python3 -c "
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $port)); s.listen(8)
s.settimeout(30)
try:
    while True: s.accept()[0].close()
except Exception: pass
" &
	local listener=$!
	rx_wait_for 5 bash -c "ss -Htln 'sport = :$port' | grep -q ." || true
	local host sandbox gateway
	host=$("$RX_DIR/probe" connect 127.0.0.1 "$port")
	sandbox=$(probe connect 127.0.0.1 "$port")
	gateway=$(probe connect 127.0.0.1 "$RX_PORT")
	kill "$listener" 2> /dev/null || true
	wait "$listener" 2> /dev/null || true
	assert_eq "$host" "connect: success" "the listener must be reachable from the host"
	assert_eq "$sandbox" "connect: ECONNREFUSED (Connection refused)"
	assert_eq "$gateway" "connect: ECONNREFUSED (Connection refused)"
}

# The same probes outside the sandbox: each must find the door open there,
# which shows that it would notice a missing guard inside.
test_probes_succeed_without_the_sandbox() {
	local check out
	for check in unshare-user clone-newuser ptrace-child process-vm-readv keyctl add-key \
		io-uring userfaultfd perf-event personality int80; do
		if ! host_allows "$check"; then
			echo "# $check: this host forbids it to everyone; not checked" >&2
			continue
		fi
		out=$(probe_as_nobody "$check")
		assert_eq "${out#*: }" success "$out"
	done
	assert_eq "$(probe_as_nobody clone3)" "clone3: EINVAL (Invalid argument)"
	assert_eq "$(probe_as_nobody write /proc/self/comm renamed)" "write: success"

	# As root in namespaces of their own, where nothing reaches the host.
	if host_allows userns; then
		assert_eq "$(probe_as_nobody_in_userns -m mount /tmp)" "mount: success"
		assert_eq "$(probe_as_nobody_in_userns -u setns)" "setns: success"
		assert_eq "$(probe_as_nobody_in_userns -m chroot /)" "chroot: success"
	fi

	# As root on the host: bpf needs it here (kernel.unprivileged_bpf_disabled),
	# AF_PACKET needs CAP_NET_RAW.
	assert_eq "$("$RX_DIR/probe" bpf)" "bpf: success"
	assert_eq "$("$RX_DIR/probe" socket packet)" "socket-packet: success"
	# Device nodes need CAP_MKNOD in the initial user namespace.
	assert_eq "$("$RX_DIR/probe" mknod "$RX_DIR/null")" "mknod: success"
	assert_eq "$(script -qc "$RX_DIR/probe tiocsti" /dev/null < /dev/null | tr -d '\r' | grep -c ': success')" 2

	# A setuid binary elevates where the mount allows it and no_new_privs is
	# off. Its owner is not root, which keeps this harmless.
	install -m 4755 -o 12345 "$RX_DIR/probe" "$RX_DIR/suid-probe"
	assert_eq "$(probe_as_nobody_path "$RX_DIR/suid-probe" ids)" "ids: ruid=65534 euid=12345 suid=12345"
	rm -f "$RX_DIR/suid-probe"
}
