# Data paths of exec sessions: stdin EOF, stderr as extended data, binary
# safety, and transfers that exercise the SSH window in both directions.

rx_setup_file() {
	rx_start || return 1
	rx_user alice
}

test_stdin_eof_reaches_program() {
	local out
	out=$(printf 'one\ntwo\n' | rx_ssh alice 'wc -l')
	assert_eq "$out" "2"
}

test_stderr_is_separate_stream() {
	local out err
	out=$(rx_ssh alice 'echo to-out; echo to-err >&2' 2> "$RX_DIR/err")
	err=$(cat "$RX_DIR/err")
	assert_eq "$out" "to-out"
	assert_eq "$err" "to-err"
}

test_all_byte_values_round_trip() {
	local bytes=$RX_DIR/bytes
	for i in $(seq 0 255); do printf "\\$(printf %03o "$i")"; done > "$bytes"
	assert_eq "$(stat -c %s "$bytes")" 256
	rx_ssh alice 'cat' < "$bytes" > "$RX_DIR/bytes.back"
	cmp "$bytes" "$RX_DIR/bytes.back"
}

test_upload_and_download_match() {
	head -c $((32 * 1024 * 1024)) /dev/urandom > "$RX_DIR/blob"
	rx_ssh alice 'cat > ~/blob' < "$RX_DIR/blob"
	rx_ssh alice 'cat ~/blob' > "$RX_DIR/blob.back"
	cmp "$RX_DIR/blob" "$RX_DIR/blob.back"
	rx_ssh alice 'rm ~/blob'
}

test_slow_reader_gets_everything() {
	local n
	# The client stops reading for two seconds while the program writes
	# 64 MiB; rexecd must hold back, not drop or buffer without bound.
	n=$(rx_ssh alice 'head -c 67108864 /dev/zero' | (sleep 2; wc -c))
	assert_eq "$n" 67108864
}

test_slow_program_gets_everything() {
	local n
	n=$(head -c $((32 * 1024 * 1024)) /dev/zero | rx_ssh alice 'sleep 2; wc -c')
	assert_eq "$n" $((32 * 1024 * 1024))
}

test_exit_status_after_large_output() {
	local status=0
	rx_ssh alice 'head -c 10000000 /dev/zero; exit 7' > /dev/null || status=$?
	assert_eq "$status" 7
}

test_killed_program_reports_signal() {
	local status=0
	rx_ssh alice 'kill -TERM $$' 2> /dev/null || status=$?
	# OpenSSH exits with 255 when the remote side reports exit-signal.
	assert_eq "$status" 255
	assert_contains "$(rx_audit session_end)" 'TERM'
}
