package io.environguard;

/** The guard could not start; the message says why and what to do (which source, which capability, which key). */
public class GuardStartException extends Exception {
    public GuardStartException(String message) {
        super(message);
    }

    public GuardStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
