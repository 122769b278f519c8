package io.environguard.agent;

import java.io.IOException;

/** An application that knows nothing of environ-guard: says whether its secret is there, then waits for stdin to close. */
public final class SleepingApp {

    private SleepingApp() {
    }

    public static void main(String[] args) throws IOException {
        System.out.println("app getenv-present=" + (System.getenv("EG_AGENT_SECRET") != null));
        System.out.flush();
        while (System.in.read() >= 0) {
            // wait
        }
    }
}
