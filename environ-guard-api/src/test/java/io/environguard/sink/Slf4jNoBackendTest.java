package io.environguard.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.EnvironGuard;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Without an SLF4J backend the slf4j sink would discard every alert with only SLF4J's own notice as a sign (issue
 * 14): the guard says so once on standard error and points to jsonl. The test classpath has slf4j-simple, so the
 * guard runs in a class loader that sees the API's classes and slf4j-api only.
 */
class Slf4jNoBackendTest {

    @Test
    void withoutABackendStartSaysSoOnceAndPointsToJsonl() throws Exception {
        URL[] urls = {
                codeSource(EnvironGuard.class),          // target/classes
                codeSource(Slf4jNoBackendTest.class),    // target/test-classes
                codeSource(LoggerFactory.class),         // slf4j-api, and no backend
        };
        try (URLClassLoader isolated = new URLClassLoader(urls, ClassLoader.getPlatformClassLoader())) {
            ClassLoader previous = Thread.currentThread().getContextClassLoader();
            Thread.currentThread().setContextClassLoader(isolated);
            String err;
            try {
                err = (String) isolated.loadClass(NoBackendProbe.class.getName()).getMethod("run").invoke(null);
            } finally {
                Thread.currentThread().setContextClassLoader(previous);
            }
            assertEquals(1, count(err, Slf4jBackend.WARNING), "said once, not per alert: " + err);
            assertTrue(err.contains("environguard.sinks=jsonl"), err);
        }
    }

    @Test
    void withABackendNothingIsSaid() throws Exception {
        try (CapturedStderr err = new CapturedStderr()) {
            new Slf4jSinkProvider().create(io.environguard.api.GuardConfig.empty()).close();
            assertFalse(err.text().contains(Slf4jBackend.WARNING), err.text());
        }
    }

    private static URL codeSource(Class<?> c) throws Exception {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toUri().toURL();
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + part.length())) {
            n++;
        }
        return n;
    }
}
