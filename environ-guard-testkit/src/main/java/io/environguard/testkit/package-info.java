/**
 * Testing with environ-guard: a scripted source and a recording sink that drive the real pipeline
 * ({@link io.environguard.testkit.ScriptedEventSource}, {@link io.environguard.testkit.RecordingSink}), simulated
 * {@code /proc} trees ({@link io.environguard.testkit.SimulatedProcFs}) and jqwik generators of odd processes
 * ({@link io.environguard.testkit.ProcArbitraries}; needs jqwik on the test class path).
 */
package io.environguard.testkit;
