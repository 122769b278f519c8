/**
 * A Maven core extension that guards a build ({@code environ-guard-maven-extension}, enabled in a project's
 * {@code .mvn/extensions.xml}): {@link io.environguard.maven.EnvironGuardExtension} starts a guard in the Maven JVM
 * when the session starts and fails the build at its end when a plugin, a test JVM or any process the build forked
 * read another process's environ or mem; reports go under {@code target/environ-guard/}. Maven finds the extension
 * through its {@code META-INF/plexus/components.xml}; nothing here is called from user code.
 */
package io.environguard.maven;
