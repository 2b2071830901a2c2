# Client compatibility: the same session scenarios, driven by every
# mainstream SSH client that Debian packages (scripts/setup installs them).
#
# | scenario             | openssh      | dropbear     | putty          | paramiko  | asyncssh  |
# |----------------------|--------------|--------------|----------------|-----------|-----------|
# | login                | ssh          | dbclient     | plink          | exec      | exec      |
# | exit_status (44)     | ssh          | dbclient     | plink          | exec      | exec      |
# | stderr_split         | ssh          | dbclient     | plink          | exec      | exec      |
# | binary_round_trip    | ssh          | dbclient     | plink          | exec      | exec      |
# | transfer_64mib       | ssh          | dbclient     | plink          | exec      | exec      |
# | window_change        | ssh -tt      | dbclient -t  | plink -t       | resize_pty| change_terminal_size |
# | sftp                 | sftp         | not expressible | psftp       | SFTPClient| start_sftp_client |
# | scp                  | scp, scp -O  | not expressible | pscp -scp, -sftp | python3-scp | asyncssh.scp |
#
# Not expressible: Debian's dropbear-bin ships dbclient only, no sftp or scp
# client. OpenSSH's sftp and scp can run over another program with -S, but
# they pass OpenSSH options (-oForwardX11, -x, ...) that dbclient rejects,
# so only a wrapper written for the test could run them, and that would
# test the wrapper. rx_setup_file prints a note line for each.
#
# The terminal clients (ssh -tt, dbclient -t, plink -t) run on a PTY from
# clients/ptydrive.py, which resizes it the way a terminal window does.
# paramiko and asyncssh run through clients/*.py with /usr/bin/python3,
# whose Debian packages the tests use.

CL_DIR=$(dirname "${BASH_SOURCE[0]}")/clients
CL_PYTHON=/usr/bin/python3
CL_TRANSFER_BYTES=$((64 * 1024 * 1024))
CL_WINSIZE_SCRIPT='stty size; while [ "$(stty size)" = "30 100" ]; do sleep 0.1; done; stty size'

rx_setup_file() {
	rx_start || return 1
	rx_user alice
	cl_prepare_keys || return 1
	head -c "$CL_TRANSFER_BYTES" /dev/urandom > "$RX_DIR/blob"
	for i in $(seq 0 255); do printf "\\$(printf %03o "$i")"; done > "$RX_DIR/bytes"
	echo "# not expressible: test_dropbear_sftp (dbclient has no sftp client)"
	echo "# not expressible: test_dropbear_scp (dbclient has no scp client)"
}

# Converts alice's key for dbclient and PuTTY and pins the host key for
# both: dbclient reads $HOME/.ssh/known_hosts, plink takes a fingerprint.
cl_prepare_keys() {
	local key=$RX_DIR/keys/alice hostkey=$RX_DIR/state/hostkeys/ssh_host_ed25519_key
	dropbearconvert openssh dropbear "$key" "$key.dropbear" > /dev/null 2>&1 || return 1
	puttygen "$key" -O private -o "$key.ppk" || return 1
	CL_HOSTKEY_SHA256=$(ssh-keygen -E sha256 -lf "$hostkey" | cut -d' ' -f2)
	mkdir -p "$RX_DIR/dbhome/.ssh"
	echo "127.0.0.1 $(ssh-keygen -y -f "$hostkey" | cut -d' ' -f1,2)" > "$RX_DIR/dbhome/.ssh/known_hosts"
}

cl_plink_opts() {
	echo -ssh -batch -P "$RX_PORT" -i "$RX_DIR/keys/alice.ppk" -hostkey "$CL_HOSTKEY_SHA256"
}

cl_putty_file_opts() {
	echo -batch -P "$RX_PORT" -i "$RX_DIR/keys/alice.ppk" -hostkey "$CL_HOSTKEY_SHA256"
}

cl_python() {
	local client=$1
	shift
	timeout 120 "$CL_PYTHON" "$CL_DIR/${client}_client.py" --port "$RX_PORT" --user alice \
		--key "$RX_DIR/keys/alice" "$@"
}

cl_dbclient() {
	HOME=$RX_DIR/dbhome timeout 120 dbclient -i "$RX_DIR/keys/alice.dropbear" -p "$RX_PORT" "$@"
}

# Runs COMMAND as alice with stdin, stdout and stderr passed through:
# cl_exec CLIENT COMMAND
cl_exec() {
	local client=$1 command=$2
	case $client in
	openssh) rx_ssh alice "$command" ;;
	dropbear) cl_dbclient alice@127.0.0.1 "$command" ;;
	# shellcheck disable=SC2046
	putty) timeout 120 plink $(cl_plink_opts) alice@127.0.0.1 "$command" ;;
	paramiko | asyncssh) cl_python "$client" exec "$command" ;;
	esac
}

# Runs CL_WINSIZE_SCRIPT on a 30x100 terminal that becomes 40x120.
cl_window_change() {
	local client=$1 drive="$CL_PYTHON $CL_DIR/ptydrive.py 30 100 40 120 --"
	case $client in
	# shellcheck disable=SC2046
	openssh) $drive ssh $(rx_ssh_opts) -tt -i "$RX_DIR/keys/alice" alice@127.0.0.1 "$CL_WINSIZE_SCRIPT" ;;
	dropbear) HOME=$RX_DIR/dbhome $drive dbclient -t -i "$RX_DIR/keys/alice.dropbear" \
		-p "$RX_PORT" alice@127.0.0.1 "$CL_WINSIZE_SCRIPT" ;;
	# shellcheck disable=SC2046
	putty) $drive plink -t $(cl_plink_opts) alice@127.0.0.1 "$CL_WINSIZE_SCRIPT" ;;
	paramiko | asyncssh) cl_python "$client" winsize 30 100 40 120 "$CL_WINSIZE_SCRIPT" ;;
	esac
}

# Makes directory d, uploads LOCAL as d/a, renames it to d/b, downloads
# it to BACK, removes d/b and d: cl_sftp CLIENT LOCAL BACK
cl_sftp() {
	local client=$1 local_file=$2 back=$3
	case $client in
	openssh)
		# shellcheck disable=SC2046
		printf 'mkdir d\nput %s d/a\nrename d/a d/b\nget d/b %s\nrm d/b\nrmdir d\n' \
			"$local_file" "$back" |
			timeout 120 sftp -b - -P "$RX_PORT" $(rx_ssh_opts | sed 's/-p [0-9]*//') \
				-i "$RX_DIR/keys/alice" alice@127.0.0.1 > /dev/null
		;;
	putty)
		printf 'mkdir d\nput %s d/a\nmv d/a d/b\nget d/b %s\nrm d/b\nrmdir d\n' \
			"$local_file" "$back" > "$RX_DIR/psftp.batch"
		# shellcheck disable=SC2046
		timeout 120 psftp $(cl_putty_file_opts) -b "$RX_DIR/psftp.batch" alice@127.0.0.1 > /dev/null
		;;
	paramiko | asyncssh)
		cl_python "$client" sftp mkdir d put "$local_file" d/a rename d/a d/b \
			get d/b "$back" rm d/b rmdir d
		;;
	esac
}

# Copies LOCAL to REMOTE and back to BACK: cl_scp CLIENT MODE LOCAL REMOTE BACK
# MODE is the client's protocol switch: -O (OpenSSH's legacy protocol),
# -scp or -sftp (pscp), or "default".
cl_scp() {
	local client=$1 mode=$2 local_file=$3 remote=$4 back=$5 opts
	case $client in
	openssh)
		opts=$(rx_ssh_opts | sed 's/-p \([0-9]*\)/-P \1/')
		[ "$mode" = default ] || opts="$opts $mode"
		# shellcheck disable=SC2086
		timeout 120 scp $opts -i "$RX_DIR/keys/alice" "$local_file" "alice@127.0.0.1:$remote" &&
			timeout 120 scp $opts -i "$RX_DIR/keys/alice" "alice@127.0.0.1:$remote" "$back"
		;;
	putty)
		# shellcheck disable=SC2046
		timeout 120 pscp -q "$mode" $(cl_putty_file_opts) "$local_file" "alice@127.0.0.1:$remote" &&
			timeout 120 pscp -q "$mode" $(cl_putty_file_opts) "alice@127.0.0.1:$remote" "$back"
		;;
	paramiko | asyncssh)
		cl_python "$client" scp-put "$local_file" "$remote" &&
			cl_python "$client" scp-get "$remote" "$back"
		;;
	esac
}

# ---- scenarios ----

sc_login() {
	local out
	out=$(cl_exec "$1" 'id -un; pwd' < /dev/null)
	assert_eq "$out" $'user\n/home/user'
}

sc_exit_status() {
	local status=0
	cl_exec "$1" 'exit 44' < /dev/null || status=$?
	assert_eq "$status" 44
}

sc_stderr_split() {
	local out err
	out=$(cl_exec "$1" 'echo to-out; echo to-err >&2' 2> "$RX_DIR/err.$1" < /dev/null)
	err=$(cat "$RX_DIR/err.$1")
	assert_eq "$out" "to-out"
	assert_eq "$err" "to-err"
}

sc_binary_round_trip() {
	cl_exec "$1" 'cat' < "$RX_DIR/bytes" > "$RX_DIR/bytes.$1"
	cmp "$RX_DIR/bytes" "$RX_DIR/bytes.$1"
}

sc_transfer_64mib() {
	local remote="blob.$1"
	cl_exec "$1" "cat > $remote" < "$RX_DIR/blob"
	cl_exec "$1" "cat $remote" < /dev/null > "$RX_DIR/blob.$1"
	cl_exec "$1" "rm $remote" < /dev/null
	cmp "$RX_DIR/blob" "$RX_DIR/blob.$1"
	rm -f "$RX_DIR/blob.$1"
}

sc_window_change() {
	local out
	out=$(cl_window_change "$1" < /dev/null | tr -d '\r')
	assert_contains "$out" "30 100"$'\n'"40 120"
}

sc_sftp() {
	local small=$RX_DIR/sftp.src back=$RX_DIR/sftp.back.$1
	head -c 300000 /dev/urandom > "$small"
	cl_sftp "$1" "$small" "$back"
	cmp "$small" "$back"
	assert_eq "$(cl_exec "$1" 'test -e ~/d && echo left || echo gone' < /dev/null)" gone
}

sc_scp() {
	local client=$1 mode small=$RX_DIR/scp.src
	shift
	head -c 300000 /dev/urandom > "$small"
	for mode in "$@"; do
		rm -f "$RX_DIR/scp.back"
		cl_scp "$client" "$mode" "$small" "scp-$client.bin" "$RX_DIR/scp.back" || {
			echo "# $client scp $mode failed" >&2
			return 1
		}
		cmp "$small" "$RX_DIR/scp.back"
	done
	cl_exec "$client" "rm scp-$client.bin" < /dev/null
}

# ---- OpenSSH: ssh, sftp, scp ----

test_openssh_login() { sc_login openssh; }
test_openssh_exit_status() { sc_exit_status openssh; }
test_openssh_stderr_split() { sc_stderr_split openssh; }
test_openssh_binary_round_trip() { sc_binary_round_trip openssh; }
test_openssh_transfer_64mib() { sc_transfer_64mib openssh; }
test_openssh_window_change() { sc_window_change openssh; }
test_openssh_sftp() { sc_sftp openssh; }
# Modern scp speaks sftp; -O runs "scp -t" and "scp -f" through exec.
test_openssh_scp() { sc_scp openssh default -O; }

# ---- Dropbear: dbclient ----

test_dropbear_login() { sc_login dropbear; }
test_dropbear_exit_status() { sc_exit_status dropbear; }
test_dropbear_stderr_split() { sc_stderr_split dropbear; }
test_dropbear_binary_round_trip() { sc_binary_round_trip dropbear; }
test_dropbear_transfer_64mib() { sc_transfer_64mib dropbear; }
test_dropbear_window_change() { sc_window_change dropbear; }

# ---- PuTTY: plink, psftp, pscp ----

test_putty_login() { sc_login putty; }
test_putty_exit_status() { sc_exit_status putty; }
test_putty_stderr_split() { sc_stderr_split putty; }
test_putty_binary_round_trip() { sc_binary_round_trip putty; }
test_putty_transfer_64mib() { sc_transfer_64mib putty; }
test_putty_window_change() { sc_window_change putty; }
test_putty_sftp() { sc_sftp putty; }
test_putty_scp() { sc_scp putty -scp -sftp; }

# ---- paramiko ----

test_paramiko_login() { sc_login paramiko; }
test_paramiko_exit_status() { sc_exit_status paramiko; }
test_paramiko_stderr_split() { sc_stderr_split paramiko; }
test_paramiko_binary_round_trip() { sc_binary_round_trip paramiko; }
test_paramiko_transfer_64mib() { sc_transfer_64mib paramiko; }
test_paramiko_window_change() { sc_window_change paramiko; }
test_paramiko_sftp() { sc_sftp paramiko; }
test_paramiko_scp() { sc_scp paramiko default; }

# ---- asyncssh ----

test_asyncssh_login() { sc_login asyncssh; }
test_asyncssh_exit_status() { sc_exit_status asyncssh; }
test_asyncssh_stderr_split() { sc_stderr_split asyncssh; }
test_asyncssh_binary_round_trip() { sc_binary_round_trip asyncssh; }
test_asyncssh_transfer_64mib() { sc_transfer_64mib asyncssh; }
test_asyncssh_window_change() { sc_window_change asyncssh; }
test_asyncssh_sftp() { sc_sftp asyncssh; }
test_asyncssh_scp() { sc_scp asyncssh default; }
