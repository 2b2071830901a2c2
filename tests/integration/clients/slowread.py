#!/usr/bin/python3
"""Read stdin to its end slowly and print the number of bytes read.

  slowread.py PAUSE_S CHUNK_BYTES CHUNK_PAUSE_S

Waits PAUSE_S before the first read, then reads CHUNK_BYTES at a time
and sleeps CHUNK_PAUSE_S after each chunk, so the writer must wait.
"""
import sys
import time


def main():
    pause, chunk, chunk_pause = float(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    stdin = sys.stdin.buffer
    total = 0
    time.sleep(pause)
    while True:
        got = 0
        while got < chunk:
            data = stdin.read1(chunk - got)
            if not data:
                print(total + got)
                return
            got += len(data)
        total += got
        time.sleep(chunk_pause)


if __name__ == "__main__":
    main()
