#!/usr/bin/env python3
"""A reader that stalls every read of its own command line (a test helper of StalledReaderKernelTest).

usage: stall_own_cmdline.py MOUNTPOINT

Reading /proc/P/cmdline takes P's memory-map lock for reading. P makes that wait for ever: it serves a tiny
FUSE file system itself (straight over /dev/fuse, no library) whose READ is never answered, maps its one file,
and has a thread read that mapping through /proc/self/mem (a fault that keeps the lock while it waits on
FUSE); then another thread asks for the lock for writing (an mmap) and queues behind it, and every later
reader of the lock (a cmdline read) queues behind that writer. Then P renames its main thread (prctl
PR_SET_NAME), which makes a process table read its command line again, and opens another process's environ.

Why Python and not a child JVM: the rename must come from the process's main thread, which in a JVM never
runs Java code; and after the stall the process must not touch its memory map (a JVM allocates and maps as it
likes). The test releases the stall by aborting the FUSE connection (fusectl), which fails every waiting
request; killing P alone would not do (its own faulting thread waits uninterruptibly, so P never closes
/dev/fuse). As a safety net P answers a held READ with EIO after HOLD_SECONDS.

Lines on stdin / stdout:
  -> "ready PID"          once the file system is mounted and the threads are waiting
  <- "stall PATH"         the stall as above, then opens PATH -> "stalled" (written without allocating)
"""
import ctypes
import os
import select
import struct
import sys
import threading
import time

FUSE_LOOKUP, FUSE_FORGET, FUSE_GETATTR, FUSE_OPEN, FUSE_READ, FUSE_RELEASE = 1, 2, 3, 14, 15, 18
FUSE_FLUSH, FUSE_INIT, FUSE_INTERRUPT, FUSE_BATCH_FORGET = 25, 26, 36, 42
NO_REPLY = {FUSE_FORGET, FUSE_INTERRUPT, FUSE_BATCH_FORGET}
FILE_SIZE = 1 << 16
HOLD_SECONDS = 60

libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.prctl.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]


def attr(ino):
    mode, nlink, size = (0o40755, 2, 0) if ino == 1 else (0o100444, 1, FILE_SIZE)
    return struct.pack("<QQQQQQIIIIIIIIII", ino, size, size // 512, 0, 0, 0, 0, 0, 0, mode, nlink, 0, 0, 0, 4096, 0)


def serve(fd, buf, hold):
    """Answers the kernel; READs are held, and answered with EIO only after `hold` seconds: a safety net that ends
    the stall even if nobody aborts the connection (a READ waiter is not woken by SIGKILL: killing this process
    alone would leave its own faulting thread, and so the process, stuck)."""
    view = memoryview(buf)
    held = []
    while True:
        ready, _, _ = select.select([fd], [], [], 1.0)
        now = time.monotonic()
        while held and now - held[0][0] > hold:
            os.write(fd, struct.pack("<IiQ", 16, -5, held.pop(0)[1]))
        if not ready:
            continue
        try:
            n = os.readv(fd, [buf])
        except OSError:
            return  # the connection was aborted
        length, opcode, unique, nodeid = struct.unpack_from("<IIQQ", view, 0)
        payload, error = b"", 0
        if opcode == FUSE_INIT:
            payload = struct.pack("<IIIIHHI", 7, 22, 0, 0, 0, 0, 4096)
        elif opcode == FUSE_LOOKUP:
            name = bytes(view[40:n]).split(b"\0", 1)[0]
            if name == b"f":
                payload = struct.pack("<QQQQII", 2, 0, 60, 60, 0, 0) + attr(2)
            else:
                error = -2
        elif opcode == FUSE_GETATTR:
            payload = struct.pack("<QII", 60, 0, 0) + attr(nodeid)
        elif opcode == FUSE_OPEN:
            payload = struct.pack("<QII", 1, 0, 0)
        elif opcode == FUSE_READ:
            held.append((time.monotonic(), unique))  # not answered: whoever faults the file's page in waits
            continue
        elif opcode in NO_REPLY:
            continue
        elif opcode not in (FUSE_FLUSH, FUSE_RELEASE):
            error = -38
        os.write(fd, struct.pack("<IiQ", 16 + len(payload), error, unique) + payload)


def main():
    mountpoint = sys.argv[1]
    fd = os.open("/dev/fuse", os.O_RDWR | os.O_CLOEXEC)
    options = b"fd=%d,rootmode=40000,user_id=0,group_id=0" % fd
    if libc.mount(b"egstall", mountpoint.encode(), b"fuse", 2 | 4, options) != 0:
        print("failed mount", ctypes.get_errno(), flush=True)
        return 1
    threading.Thread(target=serve, args=(fd, bytearray(1 << 20 | 4096), HOLD_SECONDS), daemon=True).start()
    file_fd = os.open(os.path.join(mountpoint, "f"), os.O_RDONLY | os.O_CLOEXEC)
    area = libc.mmap(None, FILE_SIZE, 1, 0x02, file_fd, 0)  # PROT_READ, MAP_PRIVATE
    mem = os.open("/proc/self/mem", os.O_RDONLY | os.O_CLOEXEC)
    fault, write = threading.Event(), threading.Event()
    # Both threads exist before the stall: creating one maps its stack, which would wait too.
    threading.Thread(target=lambda: (fault.wait(), os.pread(mem, 1, area)), daemon=True).start()
    threading.Thread(target=lambda: (write.wait(), libc.mmap(None, 4096, 3, 0x22, -1, 0)), daemon=True).start()
    name = b"egstalled"
    done = b"stalled\n"
    print("ready", os.getpid(), flush=True)
    for line in sys.stdin:
        words = line.split()
        if words and words[0] == "stall":
            path = words[1].encode()
            fault.set()
            time.sleep(0.2)
            write.set()
            time.sleep(0.2)
            # From here on nothing may change this process's memory map: it would wait behind the writer.
            libc.prctl(15, name, 0, 0, 0)
            os.open(path, os.O_RDONLY)
            os.write(1, done)
    return 0


if __name__ == "__main__":
    sys.exit(main())
