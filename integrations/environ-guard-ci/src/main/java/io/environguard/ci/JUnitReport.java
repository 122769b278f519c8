package io.environguard.ci;

import io.environguard.api.EnvironAccess;
import io.environguard.api.UntrustedText;
import io.environguard.sink.AlertText;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/**
 * Writes a guarded run as a JUnit XML report, so that any CI shows its findings as failed tests: one
 * {@code <testcase>} with a {@code <failure>} per finding, or one passing {@code <testcase>} when there is none (a
 * report with no test at all is an error for some CI tools). The shape is Maven Surefire's
 * ({@code <testsuite name tests failures errors skipped time>}, {@code <properties>}, {@code <testcase name classname
 * time>}, {@code <failure message type>} with the details as text, {@code <system-err>}), the form Jenkins' JUnit
 * plugin, GitLab's test reports and the GitHub Actions JUnit reporters read. Text from processes is escaped to one
 * printable line ({@link UntrustedText#escape}): XML 1.0 cannot carry control characters even as references.
 *
 * <pre>{@code
 * JUnitReport.write(Path.of("target/environ-guard/TEST-environ-guard.xml"), verdict, "the command", elapsed);
 * }</pre>
 */
public final class JUnitReport {

    /** The test suite's name and the test cases' class name. */
    public static final String SUITE = "environ-guard";

    private JUnitReport() {
    }

    /**
     * Writes the report to {@code file} (through a temporary file in the same directory, moved into place, so that a
     * reader never sees half a report). Creates the directory.
     *
     * @param file      where the report goes, e.g. {@code target/environ-guard/TEST-environ-guard.xml}
     * @param verdict   the run's outcome
     * @param rootLabel how the tree is called in the text ({@code the command}, {@code this build})
     * @param elapsed   how long the run took
     * @throws IOException when the directory, the temporary file or the report cannot be written, or the move fails;
     *                     the temporary file is deleted
     */
    public static void write(Path file, RunVerdict verdict, String rootLabel, Duration elapsed) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                write(out, verdict, rootLabel, elapsed);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Writes the report to {@code out} (UTF-8); does not close it.
     *
     * @param out       where the XML goes
     * @param verdict   the run's outcome
     * @param rootLabel how the tree is called in the text ({@code the command}, {@code this build})
     * @param elapsed   how long the run took
     * @throws IOException when {@code out} fails
     */
    public static void write(OutputStream out, RunVerdict verdict, String rootLabel, Duration elapsed) throws IOException {
        try {
            XMLStreamWriter x = XMLOutputFactory.newFactory().createXMLStreamWriter(out, "UTF-8");
            List<Finding> findings = verdict.findings();
            boolean missed = verdict.judgeMissed() > 0;
            int failures = findings.size();
            int errors = missed ? 1 : 0;
            int tests = failures + errors + (failures == 0 && errors == 0 ? 1 : 0);
            x.writeStartDocument("UTF-8", "1.0");
            x.writeCharacters("\n");
            x.writeStartElement("testsuite");
            x.writeAttribute("name", SUITE);
            x.writeAttribute("time", seconds(elapsed));
            x.writeAttribute("tests", Integer.toString(tests));
            x.writeAttribute("errors", Integer.toString(errors));
            x.writeAttribute("skipped", "0");
            x.writeAttribute("failures", Integer.toString(failures));
            x.writeCharacters("\n  ");
            x.writeStartElement("properties");
            property(x, "environ-guard.mode", verdict.mode().id());
            property(x, "environ-guard.source", verdict.source());
            x.writeCharacters("\n  ");
            x.writeEndElement();
            int i = 0;
            for (Finding f : findings) {
                i++;
                EnvironAccess a = f.alert().access();
                x.writeCharacters("\n  ");
                x.writeStartElement("testcase");
                x.writeAttribute("name", xml("finding " + i + ": " + Reports.process(f.reader()) + " read "
                        + (a.path() == null ? a.file().id() : UntrustedText.escape(a.path())) + " of " + Reports.process(a.target())));
                x.writeAttribute("classname", SUITE);
                x.writeAttribute("time", "0");
                x.writeCharacters("\n    ");
                x.writeStartElement("failure");
                x.writeAttribute("message", xml(AlertText.format(f.alert())));
                x.writeAttribute("type", one(f.alert().rule()));
                x.writeCharacters(xml(String.join("\n", Reports.findingLines(f, i, findings.size(), verdict.tree(), rootLabel))));
                x.writeEndElement();
                x.writeCharacters("\n  ");
                x.writeEndElement();
            }
            if (findings.isEmpty() && !missed) {
                x.writeCharacters("\n  ");
                x.writeEmptyElement("testcase");
                x.writeAttribute("name", xml("no process of " + rootLabel + " read another process's environ or mem"));
                x.writeAttribute("classname", SUITE);
                x.writeAttribute("time", seconds(elapsed));
            }
            if (missed) {
                x.writeCharacters("\n  ");
                x.writeStartElement("testcase");
                x.writeAttribute("name", "every alert reached the judge");
                x.writeAttribute("classname", SUITE);
                x.writeAttribute("time", "0");
                x.writeStartElement("error");
                x.writeAttribute("message", verdict.judgeMissed() + " alert(s) never reached the judge; a finding among"
                        + " them cannot be ruled out");
                x.writeAttribute("type", "judge_missed_alerts");
                x.writeEndElement();
                x.writeEndElement();
            }
            x.writeCharacters("\n  ");
            x.writeStartElement("system-err");
            x.writeCharacters(xml(String.join("\n", Reports.summary(verdict, rootLabel))));
            x.writeEndElement();
            x.writeCharacters("\n");
            x.writeEndElement();
            x.writeCharacters("\n");
            x.writeEndDocument();
            x.flush();
            x.close();
        } catch (XMLStreamException e) {
            throw new IOException("cannot write the JUnit report: " + e.getMessage(), e);
        }
    }

    private static void property(XMLStreamWriter x, String name, String value) throws XMLStreamException {
        x.writeCharacters("\n    ");
        x.writeEmptyElement("property");
        x.writeAttribute("name", name);
        x.writeAttribute("value", one(value));
    }

    /** One printable line: what XML 1.0 can carry, whatever a process named itself. */
    private static String one(String s) {
        return xml(UntrustedText.escape(s == null ? "" : s));
    }

    /** The two characters an escaped line may still hold that XML 1.0 forbids (U+FFFE, U+FFFF) become U+FFFD. */
    private static String xml(String s) {
        return s.indexOf('\uFFFE') < 0 && s.indexOf('\uFFFF') < 0 ? s : s.replace('\uFFFE', '\uFFFD').replace('\uFFFF', '\uFFFD');
    }

    private static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.3f", d.toNanos() / 1e9);
    }
}
