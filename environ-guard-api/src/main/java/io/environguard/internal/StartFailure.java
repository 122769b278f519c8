package io.environguard.internal;

/**
 * The pipeline cannot be assembled: no source can run, a sink is unknown, a value is invalid. The message says
 * why and what to do; the guard's facade turns it into its public {@code GuardStartException}.
 */
public final class StartFailure extends Exception {

    private static final long serialVersionUID = 1L;

    /** @param message why, and what to do */
    public StartFailure(String message) {
        super(message);
    }

    /**
     * @param message why, and what to do
     * @param cause   what failed
     */
    public StartFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
