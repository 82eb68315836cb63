package main

import (
	"fmt"

	"github.com/telepace/platform-charts/pkg/diff"
	"github.com/telepace/platform-charts/pkg/synth"
)

// topologyLegend explains the marks of a topology change picture.
const topologyLegend = `Green and thick: added; red and dashed: removed; amber: changed, with its old text after "was:"; the rest as the chart README draws it.`

// drawTopologies gives each chart of the report whose topology changed
// the picture of the change: the head's diagram with the added and
// removed edges and boxes marked. A chart whose topology did not change
// gets none, whatever else changed.
//
// Both sides are read the same way: from the diagram in the README each
// chart carries (synth.ReadTopology). The base exists only as committed
// charts, since synth diff does not build the base's code, and CI's
// synth --check holds every committed README to what its code draws;
// reading the head's README too, rather than the head's topology values,
// keeps the comparison symmetric. Nodes and edges are compared by what
// they draw (synth.CompareTopologies), so a change in how the diagram is
// written (ids, order, styles) is no change. A base chart without a
// diagram (the Argo CD chart, or one written before the diagram) gives no
// picture: there is nothing to compare with. A new chart's picture is its
// diagram. A diagram that cannot be read is an error.
func drawTopologies(r *diff.Report, base, head map[string]map[string][]byte) error {
	name := "base"
	if r.Base != "" {
		name += " " + r.Base
	}
	for i, c := range r.Charts {
		if c.Gone {
			continue
		}
		ht, ok, err := synth.ReadTopology(head[c.Env]["README.md"])
		if err != nil {
			return fmt.Errorf("working tree: chart %s: topology: %w", c.Env, err)
		}
		if !ok {
			continue
		}
		if c.New {
			r.Charts[i].Topology = &diff.TopologyPicture{Summary: "a new chart.", Mermaid: ht.Mermaid()}
			continue
		}
		bt, ok, err := synth.ReadTopology(base[c.Env]["README.md"])
		if err != nil {
			return fmt.Errorf("%s: chart %s: topology: %w", name, c.Env, err)
		}
		if !ok {
			continue
		}
		d := synth.CompareTopologies(bt, ht)
		if d.Empty() {
			continue
		}
		r.Charts[i].Topology = &diff.TopologyPicture{Summary: d.Summary() + ". " + topologyLegend, Mermaid: d.Mermaid()}
	}
	return nil
}
