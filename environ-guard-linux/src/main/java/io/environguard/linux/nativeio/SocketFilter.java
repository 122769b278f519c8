package io.environguard.linux.nativeio;

import com.sun.jna.Memory;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A classic BPF socket filter ({@code SO_ATTACH_FILTER}), built one instruction at a time: the kernel runs it
 * on every datagram before queueing it, so what it rejects never wakes the reader. Loads of packet words
 * ({@code BPF_LD | BPF_W | BPF_ABS}) are big-endian; {@link #network} turns a host-order constant into what
 * such a load reads.
 *
 * <pre>{@code
 * SocketFilter f = new SocketFilter();
 * f.add(SocketFilter.LD_W_ABS, 0, 0, 36);                          // A = word at offset 36
 * f.add(SocketFilter.JEQ_K, 0, 1, SocketFilter.network(1));        // A == 1 ? next : skip one
 * f.add(SocketFilter.RET_K, 0, 0, 0xFFFF);                         // accept
 * f.add(SocketFilter.RET_K, 0, 0, 0);                              // drop
 * int errno = f.attach(socketFd);
 * }</pre>
 */
public final class SocketFilter {

    /** {@code A = word at absolute offset k} (big-endian). */
    public static final short LD_W_ABS = 0x00 | 0x00 | 0x20;
    /** {@code X = A}. */
    public static final short TAX = 0x07 | 0x00;
    /** {@code A == k ? jt : jf}. */
    public static final short JEQ_K = 0x05 | 0x10 | 0x00;
    /** {@code A == X ? jt : jf}. */
    public static final short JEQ_X = 0x05 | 0x10 | 0x08;
    /** Return {@code k}: the bytes of the datagram to keep (0 drops it). */
    public static final short RET_K = 0x06 | 0x00;
    /** The kernel's limit on classic BPF program length ({@code BPF_MAXINSNS}). */
    public static final int MAX_INSTRUCTIONS = 4096;

    private short[] code = new short[16];
    private byte[] jt = new byte[16];
    private byte[] jf = new byte[16];
    private int[] k = new int[16];
    private int length;

    /**
     * Appends one instruction; jump offsets count instructions after the next one (0 = fall through).
     *
     * @return the index of the new instruction
     */
    public int add(short opcode, int jumpTrue, int jumpFalse, int constant) {
        if (jumpTrue < 0 || jumpTrue > 255 || jumpFalse < 0 || jumpFalse > 255) {
            throw new IllegalArgumentException("jump offsets are 0..255: " + jumpTrue + ", " + jumpFalse);
        }
        if (length == MAX_INSTRUCTIONS) {
            throw new IllegalStateException("more than " + MAX_INSTRUCTIONS + " instructions");
        }
        if (length == code.length) {
            code = Arrays.copyOf(code, length * 2);
            jt = Arrays.copyOf(jt, length * 2);
            jf = Arrays.copyOf(jf, length * 2);
            k = Arrays.copyOf(k, length * 2);
        }
        code[length] = opcode;
        jt[length] = (byte) jumpTrue;
        jf[length] = (byte) jumpFalse;
        k[length] = constant;
        return length++;
    }

    /** Sets the jump offsets of instruction {@code index} (for forward jumps known only later). */
    public void setJumps(int index, int jumpTrue, int jumpFalse) {
        if (index < 0 || index >= length || jumpTrue < 0 || jumpTrue > 255 || jumpFalse < 0 || jumpFalse > 255) {
            throw new IllegalArgumentException("instruction " + index + ", jumps " + jumpTrue + ", " + jumpFalse);
        }
        jt[index] = (byte) jumpTrue;
        jf[index] = (byte) jumpFalse;
    }

    /** Number of instructions so far. */
    public int length() {
        return length;
    }

    /** What a big-endian {@code BPF_ABS} load reads from a host-order int. */
    public static int network(int value) {
        return ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN ? value : Integer.reverseBytes(value);
    }

    /**
     * Attaches the program to socket {@code fd}.
     *
     * @return 0, or the errno ({@code EINVAL} for a program the kernel's checker refuses)
     */
    public int attach(int fd) {
        Memory program = new Memory(8L * length);
        for (int i = 0; i < length; i++) {
            program.setShort(8L * i, code[i]);
            program.setByte(8L * i + 2, jt[i]);
            program.setByte(8L * i + 3, jf[i]);
            program.setInt(8L * i + 4, k[i]);
        }
        Memory fprog = new Memory(16);
        fprog.clear();
        fprog.setShort(0, (short) length);
        fprog.setPointer(8, program);
        return LinuxLibC.setsockopt(fd, LinuxLibC.SOL_SOCKET, LinuxLibC.SO_ATTACH_FILTER, fprog, 16) == 0
                ? 0 : LinuxLibC.errno();
    }
}
