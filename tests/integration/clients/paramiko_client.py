#!/usr/bin/python3
"""Drive rexecd with paramiko (Debian's python3-paramiko, scp from
python3-scp) for the integration tests. Run with /usr/bin/python3.

  paramiko_client.py --port P --user U --key FILE ACTION [ARGS]

Actions, as in asyncssh_client.py:
  exec COMMAND, winsize R C NR NC COMMAND, sftp OP..., scp-put LOCAL REMOTE,
  scp-get REMOTE LOCAL

paramiko 2.12 does not report exit signals: its exit status is then -1,
and this script exits with 255.
"""
import argparse
import select
import sys
import threading
import warnings

warnings.simplefilter("ignore")  # Debian's cryptography warns about old ciphers
import paramiko  # noqa: E402
import scp  # noqa: E402

from sftpops import split_ops  # noqa: E402


def exit_code(status):
    return status if 0 <= status <= 255 else 255


def feed_stdin(chan):
    try:
        while True:
            data = sys.stdin.buffer.read1(65536)
            if not data:
                break
            chan.sendall(data)
        chan.shutdown_write()
    except OSError:
        pass  # the remote side closed the channel first


def copy_out(read, out):
    while True:
        data = read(65536)
        if not data:
            return
        out.write(data)
        out.flush()


def run_exec(client, command):
    chan = client.get_transport().open_session()
    chan.exec_command(command)
    threading.Thread(target=feed_stdin, args=(chan,), daemon=True).start()
    err = threading.Thread(target=copy_out, args=(chan.recv_stderr, sys.stderr.buffer))
    err.start()
    copy_out(chan.recv, sys.stdout.buffer)
    err.join()
    return exit_code(chan.recv_exit_status())


def run_winsize(client, rows, cols, new_rows, new_cols, command):
    chan = client.get_transport().open_session()
    chan.get_pty(term="xterm", width=cols, height=rows)
    chan.exec_command(command)
    seen = b""
    resized = False
    while True:
        select.select([chan], [], [], 1.0)
        if not chan.recv_ready() and chan.exit_status_ready():
            break
        data = chan.recv(4096) if chan.recv_ready() else b""
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        seen += data
        if not resized and ("%d %d" % (rows, cols)).encode() in seen:
            chan.resize_pty(width=new_cols, height=new_rows)
            resized = True
    return exit_code(chan.recv_exit_status())


def run_sftp(client, ops):
    sftp = client.open_sftp()
    for op, args in split_ops(ops):
        if op == "mkdir":
            sftp.mkdir(args[0])
        elif op == "rmdir":
            sftp.rmdir(args[0])
        elif op == "rm":
            sftp.remove(args[0])
        elif op == "put":
            sftp.put(args[0], args[1])
        elif op == "get":
            sftp.get(args[0], args[1])
        elif op == "rename":
            sftp.rename(args[0], args[1])
    sftp.close()
    return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("action")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    opts = parser.parse_args()

    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect("127.0.0.1", port=opts.port, username=opts.user, key_filename=opts.key,
                   look_for_keys=False, allow_agent=False)
    try:
        a = opts.args
        if opts.action == "exec":
            return run_exec(client, a[0])
        if opts.action == "winsize":
            return run_winsize(client, int(a[0]), int(a[1]), int(a[2]), int(a[3]), a[4])
        if opts.action == "sftp":
            return run_sftp(client, a)
        if opts.action in ("scp-put", "scp-get"):
            with scp.SCPClient(client.get_transport()) as copier:
                if opts.action == "scp-put":
                    copier.put(a[0], a[1])
                else:
                    copier.get(a[0], a[1])
            return 0
        parser.error("unknown action " + opts.action)
    finally:
        client.close()


if __name__ == "__main__":
    sys.exit(main())
