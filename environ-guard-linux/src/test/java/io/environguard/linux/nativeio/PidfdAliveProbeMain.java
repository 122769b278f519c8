package io.environguard.linux.nativeio;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * Run by {@link PidfdsKernelTest} in a child JVM as an ordinary user: opens a pidfd of the process named by its
 * argument (another user's: it may not signal it) and answers {@code alive=true|false} to each {@code check} line.
 */
public final class PidfdAliveProbeMain {

    private PidfdAliveProbeMain() {
    }

    public static void main(String[] args) throws Exception {
        int pidfd = Pidfds.open(Integer.parseInt(args[0]), false);
        System.out.println("opened=" + pidfd);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            if (line.equals("check")) {
                System.out.println("alive=" + Pidfds.isAlive(pidfd));
            }
        }
    }
}
