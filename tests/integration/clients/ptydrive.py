#!/usr/bin/python3
"""Run a terminal client (ssh -tt, dbclient -t, plink -t) on a new PTY and
change the PTY's size once, as a person resizing the window would.

  ptydrive.py ROWS COLS NEW_ROWS NEW_COLS -- COMMAND [ARGS]

The PTY starts at ROWS x COLS. Once COMMAND's output contains "ROWS COLS"
(what "stty size" prints), the PTY is set to NEW_ROWS x NEW_COLS, so the
kernel sends SIGWINCH to the client. All output is copied to stdout. Exits
with COMMAND's exit status, or 124 after 30 seconds.
"""
import fcntl
import os
import select
import signal
import struct
import sys
import termios
import time

TIMEOUT_S = 30


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def main():
    rows, cols, new_rows, new_cols = (int(v) for v in sys.argv[1:5])
    if sys.argv[5] != "--":
        sys.exit("usage: ptydrive.py ROWS COLS NEW_ROWS NEW_COLS -- COMMAND [ARGS]")
    command = sys.argv[6:]

    # The size is set before the client starts, because it reads the size
    # once at start for its pty-req.
    master, slave = os.openpty()
    set_size(master, rows, cols)
    pid = os.fork()
    if pid == 0:
        os.close(master)
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        os.close(slave)
        os.execvp(command[0], command)
    os.close(slave)

    seen = b""
    resized = False
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if not ready:
            continue
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: the client closed its terminal
            break
        if not data:
            break
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        seen += data
        if not resized and ("%d %d" % (rows, cols)).encode() in seen:
            set_size(master, new_rows, new_cols)
            resized = True
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        sys.exit(124)

    _, status = os.waitpid(pid, 0)
    sys.exit(os.waitstatus_to_exitcode(status) & 0xff)


if __name__ == "__main__":
    main()
