/**
 * A guard's counters as Micrometer meters: {@link io.environguard.micrometer.EnvironGuardMetrics} is a
 * {@code MeterBinder} for whatever registry an application already runs, with bounded tags and an access-to-alert
 * latency timer.
 */
package io.environguard.micrometer;
