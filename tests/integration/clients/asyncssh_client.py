#!/usr/bin/python3
"""Drive rexecd with asyncssh (Debian's python3-asyncssh) for the
integration tests. Run with /usr/bin/python3, which has the package.

  asyncssh_client.py --port P --user U --key FILE [--term TYPE] ACTION [ARGS]

--term requests a PTY of that terminal type for exec and env.

Actions:
  exec COMMAND              copy stdin, stdout and stderr; exit with the
                            remote exit status
  winsize R C NR NC COMMAND run COMMAND on a PTY of R rows and C columns,
                            and resize it to NR x NC once the output
                            shows "R C"
  signal NAME COMMAND       send signal NAME once COMMAND prints "ready"
  env NAME=VALUE... -- COMMAND
                            send env requests, then exec COMMAND
  sftp OP...                mkdir R | rmdir R | put L R | get R L |
                            rename R1 R2 | rm R, run in order
  scp-put LOCAL REMOTE, scp-get REMOTE LOCAL

A remote exit signal prints "exit-signal NAME core-dumped=yes|no" on
stderr and exits with 255, as OpenSSH's client does.
"""
import argparse
import asyncio
import sys
import warnings

warnings.simplefilter("ignore")  # Debian's cryptography warns about old ciphers
import asyncssh  # noqa: E402

from sftpops import split_ops  # noqa: E402


def report_exit(process):
    if process.exit_signal:
        name, core_dumped = process.exit_signal[0], process.exit_signal[1]
        print("exit-signal %s core-dumped=%s" % (name, "yes" if core_dumped else "no"),
              file=sys.stderr)
        return 255
    return process.exit_status if process.exit_status is not None else 255


async def copy_stdin(process):
    loop = asyncio.get_running_loop()
    while True:
        data = await loop.run_in_executor(None, sys.stdin.buffer.read1, 65536)
        if not data:
            break
        process.stdin.write(data)
        await process.stdin.drain()
    process.stdin.write_eof()


async def copy_out(stream, out):
    while True:
        data = await stream.read(65536)
        if not data:
            return
        out.write(data)
        out.flush()


async def run_exec(conn, command, env=None, term=None):
    process = await conn.create_process(command, encoding=None, env=env or {},
                                        term_type=term)
    feeder = asyncio.ensure_future(copy_stdin(process))
    await asyncio.gather(copy_out(process.stdout, sys.stdout.buffer),
                         copy_out(process.stderr, sys.stderr.buffer))
    await process.wait()
    feeder.cancel()
    return report_exit(process)


async def run_winsize(conn, rows, cols, new_rows, new_cols, command):
    process = await conn.create_process(command, encoding=None, term_type="xterm",
                                        term_size=(cols, rows))
    seen = b""
    resized = False
    while True:
        data = await process.stdout.read(4096)
        if not data:
            break
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        seen += data
        if not resized and ("%d %d" % (rows, cols)).encode() in seen:
            process.change_terminal_size(new_cols, new_rows)
            resized = True
    await process.wait()
    return report_exit(process)


async def run_signal(conn, name, command):
    process = await conn.create_process(command, encoding=None)
    line = await process.stdout.readline()
    sys.stdout.buffer.write(line)
    if line.strip() == b"ready":
        process.send_signal(name)
    await copy_out(process.stdout, sys.stdout.buffer)
    await process.wait()
    return report_exit(process)


async def run_sftp(conn, ops):
    async with conn.start_sftp_client() as sftp:
        for op, args in split_ops(ops):
            if op == "mkdir":
                await sftp.mkdir(args[0])
            elif op == "rmdir":
                await sftp.rmdir(args[0])
            elif op == "rm":
                await sftp.remove(args[0])
            elif op == "put":
                await sftp.put(args[0], args[1])
            elif op == "get":
                await sftp.get(args[0], args[1])
            elif op == "rename":
                await sftp.rename(args[0], args[1])
    return 0


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--term")
    parser.add_argument("action")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    opts = parser.parse_args()

    async with asyncssh.connect("127.0.0.1", port=opts.port, username=opts.user,
                                client_keys=[opts.key], known_hosts=None,
                                agent_path=None) as conn:
        a = opts.args
        if opts.action == "exec":
            return await run_exec(conn, a[0], term=opts.term)
        if opts.action == "winsize":
            return await run_winsize(conn, int(a[0]), int(a[1]), int(a[2]), int(a[3]), a[4])
        if opts.action == "signal":
            return await run_signal(conn, a[0], a[1])
        if opts.action == "env":
            split = a.index("--")
            env = dict(item.split("=", 1) for item in a[:split])
            return await run_exec(conn, a[split + 1], env, opts.term)
        if opts.action == "sftp":
            return await run_sftp(conn, a)
        if opts.action == "scp-put":
            await asyncssh.scp(a[0], (conn, a[1]))
            return 0
        if opts.action == "scp-get":
            await asyncssh.scp((conn, a[0]), a[1])
            return 0
        parser.error("unknown action " + opts.action)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
