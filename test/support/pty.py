"""Runs a command on a new pseudo-terminal, as a terminal emulator would, for tests.

    python3 pty.py COLS ROWS -- COMMAND [ARG...]

The command gets the terminal as its controlling terminal and stdin/stdout/stderr, sized
COLS x ROWS before it starts. Everything it writes to the terminal is copied to this process's
stdout, byte for byte. This process's stdin takes one JSON object per line:
  {"write": "text"}        typed at the terminal ("\\u0003" is Ctrl-C: the line discipline sends
                           SIGINT to the foreground process group, as for a user)
  {"resize": [cols, rows]} the terminal is resized (the foreground process group gets SIGWINCH)
On stderr: "pid N" once the command runs, then "exit CODE" or "signal NUMBER" when it ends.
The terminal stays open after the command ends, until this process's stdin is closed.
"""

import fcntl
import json
import os
import select
import signal
import struct
import sys
import termios


TERMINAL_SIGNALS = (signal.SIGINT, signal.SIGQUIT, signal.SIGHUP, signal.SIGTSTP)


def set_size(fd, cols, rows):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def main():
    cols, rows = int(sys.argv[1]), int(sys.argv[2])
    argv = sys.argv[sys.argv.index("--") + 1 :]
    master, slave = os.openpty()
    set_size(slave, cols, rows)
    status_r, status_w = os.pipe()
    release_r, release_w = os.pipe()
    if os.fork() == 0:
        # The session leader, as a shell would be: it holds the terminal until this helper ends,
        # so the command's exit does not hang up the terminal (SIGHUP to its process group would
        # kill whatever the command left behind, which is what tests look for).
        os.close(master)
        os.close(status_r)
        os.close(release_w)
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        if slave > 2:
            os.close(slave)
        # Ignored before the fork, so a Ctrl-C typed at once cannot reach the leader; the
        # command gets every signal's default back (an ignored signal stays ignored across exec).
        for s in TERMINAL_SIGNALS:
            signal.signal(s, signal.SIG_IGN)
        command = os.fork()
        if command == 0:
            os.close(status_w)
            os.close(release_r)
            for s in TERMINAL_SIGNALS + (signal.SIGPIPE,):
                signal.signal(s, signal.SIG_DFL)
            os.execvp(argv[0], argv)
        os.write(status_w, f"pid {command}\n".encode())
        _, status = os.waitpid(command, 0)
        ended = f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"exit {os.WEXITSTATUS(status)}"
        os.write(status_w, f"{ended}\n".encode())
        os.read(release_r, 1)
        os._exit(0)
    os.close(slave)
    os.close(status_w)
    os.close(release_r)

    commands = b""
    while True:
        ready, _, _ = select.select([master, 0, status_r], [], [])
        if master in ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the session leader has closed the terminal
                data = b""
            if not data:
                break
            os.write(1, data)
        if status_r in ready:
            # Output the command wrote before it ended comes first.
            while select.select([master], [], [], 0.1)[0]:
                try:
                    data = os.read(master, 65536)
                except OSError:
                    data = b""
                if not data:
                    break
                os.write(1, data)
            report = os.read(status_r, 4096)
            if not report:
                break
            sys.stderr.write(report.decode())
            sys.stderr.flush()
        if 0 in ready:
            chunk = os.read(0, 65536)
            if not chunk:
                break
            commands += chunk
            while b"\n" in commands:
                line, commands = commands.split(b"\n", 1)
                if not line.strip():
                    continue
                command = json.loads(line)
                if "write" in command:
                    os.write(master, command["write"].encode())
                if "resize" in command:
                    set_size(master, *command["resize"])
    os.close(release_w)
    os.wait()


main()
