package io.environguard.testkit;

import java.util.ArrayList;
import java.util.List;

/**
 * A process and its descendants, to spawn at once with {@link SimulatedProcFs#spawnTree}. The
 * {@code ppid} in each child's spec is ignored: it becomes the parent's allocated pid.
 *
 * <pre>{@code
 * ProcessTree tree = new ProcessTree(ProcessSpec.builder().comm("bash").build(),
 *         List.of(ProcessTree.leaf(ProcessSpec.builder().comm("cat").build())));
 * List<SimProcess> spawned = fs.spawnTree(1, tree);   // pre-order: bash, cat
 * }</pre>
 *
 * @param spec     this process
 * @param children its children
 */
public record ProcessTree(ProcessSpec spec, List<ProcessTree> children) {

    /**
     * Keeps an unmodifiable copy of {@code children}.
     *
     * @param spec     this process
     * @param children its children, in spawn order; empty for a leaf
     */
    public ProcessTree {
        children = List.copyOf(children);
    }

    /**
     * @param spec the process
     * @return a tree of that one process
     */
    public static ProcessTree leaf(ProcessSpec spec) {
        return new ProcessTree(spec, List.of());
    }

    /** @return the number of processes in the tree, this one included */
    public int size() {
        int n = 1;
        for (ProcessTree child : children) {
            n += child.size();
        }
        return n;
    }

    /** @return the depth: 1 for a leaf */
    public int depth() {
        int d = 0;
        for (ProcessTree child : children) {
            d = Math.max(d, child.depth());
        }
        return d + 1;
    }

    /** @return the specs in pre-order (the order {@link SimulatedProcFs#spawnTree} spawns them) */
    public List<ProcessSpec> preOrder() {
        List<ProcessSpec> out = new ArrayList<>(size());
        collect(out);
        return out;
    }

    private void collect(List<ProcessSpec> out) {
        out.add(spec);
        for (ProcessTree child : children) {
            child.collect(out);
        }
    }
}
