# Flow control under load: 1 GiB in each direction, with a reader that
# keeps stopping, completes intact while the network process's peak
# resident memory (VmHWM) stays below FL_HWM_LIMIT_KIB.
#
# The memory check needs a build without sanitizers, because ASan's
# shadow memory and quarantine inflate RSS. This file runs the release
# build in REXEC_BUILD_RELEASE (scripts/test builds build/release and sets
# it). The network process starts at about 6 MiB resident with libssh,
# OpenSSL and libuv loaded (measured on Debian 12, x86_64). A session may
# add about 4 MiB (see net-internal.h). 16 MiB leaves room for
# one session and the allocator's slack. Without flow control, a stalled
# reader would make it grow by up to the whole transfer.

FL_CLIENTS=$(dirname "${BASH_SOURCE[0]}")/clients
FL_GIB=$((1024 * 1024 * 1024))
FL_HWM_LIMIT_KIB=$((16 * 1024))

rx_setup_file() {
	: "${REXEC_BUILD_RELEASE:?REXEC_BUILD_RELEASE must point at a build without sanitizers}"
	REXECD=$REXEC_BUILD_RELEASE/rexecd
	REXECCTL=$REXEC_BUILD_RELEASE/rexecctl
	if grep -q "__asan_init" "$REXECD"; then
		echo "# $REXECD is built with sanitizers" >&2
		return 1
	fi
	rx_start || return 1
	# The debug log costs time on every window adjust; info is what a
	# deployment runs with.
	sed -i 's/^LogLevel debug$/LogLevel info/' "$RX_CONF"
	rx_stop_daemon_only
	rx_launch
	rx_wait_for 5 bash -c "ss -Htln 'sport = :$RX_PORT' | grep -q ."
	rx_user alice
	rx_ssh alice 'cat > ~/slowread.py' < "$FL_CLIENTS/slowread.py"
}

# Stops the running rexecd but keeps its directory, to start it again.
rx_stop_daemon_only() {
	kill -TERM "$RX_PID"
	rx_wait_for 10 bash -c "! kill -0 $RX_PID 2> /dev/null"
	wait "$RX_PID" 2> /dev/null || true
}

fl_net_pid() {
	pgrep -P "$(cat "$RX_DIR/rexecd.pid")" -f 'rexecd: network'
}

fl_hwm_kib() {
	awk '/^VmHWM:/ { print $2 }' "/proc/$(fl_net_pid)/status"
}

# Prints a TAP comment with the rate: fl_report WHAT BYTES START_NS
fl_report() {
	local ms=$((($(date +%s%N) - $3) / 1000000))
	echo "# $1: $(($2 / 1048576)) MiB in $ms ms, $(($2 / 1048576 * 1000 / (ms + 1))) MiB/s," \
		"network process VmHWM $(($(fl_hwm_kib) / 1024)) MiB"
}

fl_assert_hwm() {
	local hwm
	hwm=$(fl_hwm_kib)
	[ "$hwm" -lt "$FL_HWM_LIMIT_KIB" ] || {
		echo "# network process VmHWM $hwm KiB, limit $FL_HWM_LIMIT_KIB KiB" >&2
		return 1
	}
}

test_download_gib_to_stalling_reader() {
	local start n
	start=$(date +%s%N)
	# Stops 2 s, then 20 ms after every 4 MiB: rexecd must wait for the
	# window, not buffer.
	n=$(rx_ssh alice "head -c $FL_GIB /dev/zero" |
		/usr/bin/python3 "$FL_CLIENTS/slowread.py" 2 4194304 0.02)
	fl_report "download to a stalling reader" "$FL_GIB" "$start"
	assert_eq "$n" "$FL_GIB"
	fl_assert_hwm
}

test_upload_gib_to_stalling_program() {
	local start n
	start=$(date +%s%N)
	n=$(head -c "$FL_GIB" /dev/zero | rx_ssh alice 'python3 ~/slowread.py 2 4194304 0.02')
	fl_report "upload to a stalling program" "$FL_GIB" "$start"
	assert_eq "$n" "$FL_GIB"
	fl_assert_hwm
}

test_download_and_upload_at_full_speed() {
	local start n
	start=$(date +%s%N)
	n=$(rx_ssh alice "head -c $FL_GIB /dev/zero" | wc -c)
	fl_report "download" "$FL_GIB" "$start"
	assert_eq "$n" "$FL_GIB"
	start=$(date +%s%N)
	n=$(head -c "$FL_GIB" /dev/zero | rx_ssh alice 'wc -c')
	fl_report "upload" "$FL_GIB" "$start"
	assert_eq "$n" "$FL_GIB"
	fl_assert_hwm
}

test_content_survives_stalls() {
	# Random bytes, so a lost or repeated window would show in cmp.
	head -c $((64 * 1024 * 1024)) /dev/urandom > "$RX_DIR/random"
	rx_ssh alice 'cat > ~/random' < "$RX_DIR/random"
	rx_ssh alice 'cat ~/random; rm ~/random' |
		(sleep 2; cat) > "$RX_DIR/random.back"
	cmp "$RX_DIR/random" "$RX_DIR/random.back"
	fl_assert_hwm
}
