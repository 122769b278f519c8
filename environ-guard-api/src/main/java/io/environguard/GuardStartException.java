package io.environguard;

/** The guard could not start; the message says why and what to do (which source, which capability, which key). */
public class GuardStartException extends Exception {
    private static final long serialVersionUID = 1L;

    /** @param message why, and what to do */
    public GuardStartException(String message) {
        super(message);
    }

    /**
     * @param message why, and what to do
     * @param cause   what failed
     */
    public GuardStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
