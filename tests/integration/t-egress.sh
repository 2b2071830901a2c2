# Network tiers: loopback only by default; an egress tier gets tap0 from
# slirp4netns and reaches other hosts, but never the host's loopback.
#
# rexecd runs in a network namespace of this test file. That namespace's lo
# also has 192.0.2.1 (TEST-NET-1), where a small TCP service listens. So
# egress is proven without any outside network: slirp4netns connects to it
# as to any remote host, while 127.0.0.1 there stays out of reach.

SERVICE_ADDR=192.0.2.1
SERVICE_PORT=8007
SERVICE='import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.0.2.1", 8007))
s.listen(8)
while True:
    c, _ = s.accept()
    c.sendall(b"hello from the test network\n")
    c.close()'

rx_setup_file() {
	HOST_PORT_START=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)
	rx_netns_create || return 1
	ip -n "$RX_NETNS" addr add "$SERVICE_ADDR/32" dev lo || return 1
	rx_start "Tier open network=egress home=0" "Tier closed home=0" || return 1
	$RX_IN_NETNS python3 -c "$SERVICE" > /dev/null 2>&1 &
	rx_helper_started $!
	rx_wait_for 5 bash -c "$RX_IN_NETNS ss -Htln 'sport = :$SERVICE_PORT' | grep -q ."
	rx_user roamer open
	rx_user homebody closed
}

# Reads the first line a TCP service sends, from inside USER's sandbox:
# sandbox_fetch USER ADDR PORT
sandbox_fetch() {
	rx_ssh "$1" "timeout 5 bash -c 'exec 3<>/dev/tcp/$2/$3 && head -n 1 <&3' 2>&1; echo \"status \$?\""
}

test_egress_tier_has_configured_tap0() {
	local out
	out=$(rx_ssh roamer 'ip -4 -o addr show dev tap0; ip route show default; cat /etc/resolv.conf')
	assert_contains "$out" "inet 10.0.2.100/24"
	assert_contains "$out" "default via 10.0.2.2 dev tap0"
	assert_contains "$out" "nameserver 10.0.2.3"
}

test_egress_tier_reaches_other_host() {
	assert_contains "$(sandbox_fetch roamer "$SERVICE_ADDR" "$SERVICE_PORT")" "hello from the test network"
}

# Connects from inside USER's sandbox and prints "connected" on success:
# sandbox_connect USER ADDR PORT
sandbox_connect() {
	rx_ssh "$1" "timeout 5 bash -c 'exec 3<>/dev/tcp/$2/$3 && echo connected' 2>&1; echo \"status \$?\""
}

test_egress_tier_cannot_reach_host_loopback() {
	local out
	# rexecd itself listens on 127.0.0.1 of the namespace slirp4netns runs
	# in; without --disable-host-loopback, 10.0.2.2 would lead there.
	out=$(sandbox_connect roamer 10.0.2.2 "$RX_PORT")
	assert_not_contains "$out" "connected"
	assert_not_contains "$out" "status 0"
	out=$(sandbox_connect roamer 127.0.0.1 "$RX_PORT")
	assert_not_contains "$out" "connected"
}

test_egress_helper_is_in_sandbox_cgroup() {
	local pid out=$RX_DIR/roamer.out
	# Once the session runs, the slirp4netns of earlier sandboxes is gone.
	rx_ssh_bg roamer 'echo started; sleep 2' > "$out"
	rx_wait_for 10 grep -q started "$out"
	pid=$(pgrep -f "slirp4netns.*tap0")
	assert_contains "$(cat "/proc/$pid/cgroup")" "/$RX_CGROUP_NAME/roamer"
	# It runs as the sandbox's root, never as the host's.
	[ "$(stat -c %u "/proc/$pid")" -ge "$RX_UID_BASE" ]
	wait "$RX_BG_PID"
	# The bracket keeps the pattern from matching this check's own command line.
	rx_wait_for 5 bash -c "! pgrep -f '[s]lirp4netns.*tap0' > /dev/null"
}

test_default_tier_has_loopback_only() {
	local out
	# ip, not /sys/class/net: the sandbox's /sys is the host's sysfs.
	out=$(rx_ssh homebody "ip -o link show | cut -d: -f2 | tr -d ' '; cat /proc/sys/net/ipv4/ip_unprivileged_port_start")
	assert_eq "$out" "$(printf 'lo\n0')"
	out=$(sandbox_fetch homebody "$SERVICE_ADDR" "$SERVICE_PORT")
	assert_not_contains "$out" "hello"
	assert_contains "$out" "unreachable"
}

test_host_port_start_is_unchanged() {
	assert_eq "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" "$HOST_PORT_START"
}
