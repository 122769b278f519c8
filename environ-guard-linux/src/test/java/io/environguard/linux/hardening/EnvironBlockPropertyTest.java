package io.environguard.linux.hardening;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The environment block parser and the mask: layout kept, named values masked, nothing else touched. */
class EnvironBlockPropertyTest {

    record Variable(String name, String value) {
    }

    @Provide
    Arbitrary<List<Variable>> environments() {
        Arbitrary<String> names = Arbitraries.strings().withCharRange('A', 'Z').withChars('_', '1').ofMinLength(1).ofMaxLength(8);
        // Values may hold '=', spaces and any non-NUL character, as real ones do.
        Arbitrary<String> values = Arbitraries.strings().withCharRange(' ', '~').withChars('é', '€').ofMaxLength(20);
        return Combinators.combine(names, values).as(Variable::new).list().ofMinSize(1).ofMaxSize(12);
    }

    static byte[] block(List<Variable> env) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Variable v : env) {
            out.writeBytes((v.name() + "=" + v.value()).getBytes(StandardCharsets.UTF_8));
            out.write(0);
        }
        return out.toByteArray();
    }

    @Property
    void parsesEveryEntryWithItsValueBounds(@ForAll("environments") List<Variable> env) {
        byte[] block = block(env);
        List<EnvironBlock.Entry> entries = EnvironBlock.parse(block).orElseThrow().entries();
        assertEquals(env.size(), entries.size());
        for (int i = 0; i < env.size(); i++) {
            EnvironBlock.Entry e = entries.get(i);
            assertEquals(env.get(i).name(), e.name());
            assertEquals(env.get(i).value(),
                    new String(block, e.valueOffset(), e.valueLength(), StandardCharsets.UTF_8));
        }
    }

    @Property
    void maskingChangesOnlyTheNamedValues(@ForAll("environments") List<Variable> env, @ForAll java.util.Random random) {
        Set<String> names = env.stream().map(Variable::name).filter(n -> random.nextBoolean()).collect(Collectors.toSet());
        byte[] block = block(env);
        byte[] original = block.clone();
        EnvironBlock parsed = EnvironBlock.parse(block).orElseThrow();
        parsed.entriesNamed(names).forEach(e -> EnvironBlock.mask(block, e));

        assertEquals(original.length, block.length, "the layout is kept");
        List<EnvironBlock.Entry> after = EnvironBlock.parse(block).orElseThrow().entries();
        assertEquals(parsed.entries(), after, "same names at the same offsets");
        List<String> expected = new ArrayList<>();
        for (EnvironBlock.Entry e : after) {
            String value = new String(block, e.valueOffset(), e.valueLength(), StandardCharsets.UTF_8);
            String before = new String(original, e.valueOffset(), e.valueLength(), StandardCharsets.UTF_8);
            if (names.contains(e.name())) {
                assertTrue(value.chars().allMatch(c -> c == '*'), "masked: " + e.name());
            } else {
                assertEquals(before, value, "untouched: " + e.name());
            }
            expected.add(e.name());
        }
        assertEquals(env.stream().map(Variable::name).toList(), expected);
    }

    @Property
    void refusesBlocksThatAreNotANameValueList(@ForAll("environments") List<Variable> env, @ForAll java.util.Random random) {
        byte[] good = block(env);
        // No trailing NUL: cut inside the last entry.
        byte[] cut = java.util.Arrays.copyOf(good, good.length - 1);
        assertTrue(EnvironBlock.parse(cut).isEmpty());
        // An empty string in the list (two NULs in a row), as a rewritten block would have.
        byte[] doubled = new byte[good.length + 1];
        System.arraycopy(good, 0, doubled, 0, good.length);
        assertTrue(EnvironBlock.parse(doubled).isEmpty());
        // A string without '=', or starting with it.
        byte[] noEquals = block(List.of(new Variable("A", "b"))).clone();
        noEquals[1] = 'x';
        assertTrue(EnvironBlock.parse(noEquals).isEmpty());
        byte[] nameless = "=value\0".getBytes(StandardCharsets.UTF_8);
        assertTrue(EnvironBlock.parse(nameless).isEmpty());
        // A NUL written over the '=' after some entry's name leaves "NAME\0VALUE\0": NAME has no '='.
        int entry = random.nextInt(env.size());
        int offset = 0;
        for (int i = 0; i < entry; i++) {
            offset += block(List.of(env.get(i))).length;
        }
        byte[] broken = good.clone();
        broken[offset + env.get(entry).name().length()] = 0;
        assertTrue(EnvironBlock.parse(broken).isEmpty());
    }

    @Example
    void masksADuplicatedNameEverywhere() {
        byte[] block = block(List.of(new Variable("K", "one"), new Variable("L", "x"), new Variable("K", "three")));
        EnvironBlock parsed = EnvironBlock.parse(block).orElseThrow();
        parsed.entriesNamed(Set.of("K")).forEach(e -> EnvironBlock.mask(block, e));
        assertArrayEquals("K=***\0L=x\0K=*****\0".getBytes(StandardCharsets.US_ASCII), block);
    }

    @Example
    void refusesAnEmptyBlock() {
        assertTrue(EnvironBlock.parse(new byte[0]).isEmpty());
    }
}
