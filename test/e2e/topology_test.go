package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/telepace/platform-charts/environments"
	"github.com/telepace/platform-charts/pkg/synth"
	"github.com/telepace/platform-charts/test/e2e/browser"
	"github.com/telepace/platform-charts/test/e2e/cluster"
)

// envTopologyPNGDir names the directory the renderings of prod's diagram
// and of a diff picture are written to, for a person to look at.
const envTopologyPNGDir = "TELEPACE_TOPOLOGY_PNG_DIR"

// rendering is what Mermaid drew in the browser.
type rendering struct {
	SVG           string
	Width, Height int
}

// TestTopologyRendersInChromium renders, once per run, each environment's
// topology diagram as its chart README carries it, and a picture synth
// diff draws for a change of prod's topology, to SVG in a real headless
// browser: Debian's chromium (hack/e2e-tools.sh unpacks it) running
// Mermaid's own browser bundle, the version test/mermaid/package-lock.json
// pins. Each SVG must be well-formed XML, hold exactly the topology's
// boxes and edges (by node id), and no Mermaid error. Then a diagram
// Mermaid refuses must fail to render. PNGs of prod's diagram and of the
// diff picture go to $TELEPACE_TOPOLOGY_PNG_DIR (default /tmp/topo) as
// prod.png and diff.png.
func TestTopologyRendersInChromium(t *testing.T) {
	requireE2E(t)
	chromium, version, err := cluster.LocateChromium(repoRoot, "")
	if err != nil {
		t.Fatalf("e2e: %v", err)
	}
	bundle := filepath.Join(repoRoot, "test", "mermaid", "node_modules", "mermaid", "dist", "mermaid.min.js")
	src, err := os.ReadFile(bundle)
	if err != nil {
		t.Fatalf("e2e: Mermaid's browser bundle: %v: run `make test/mermaid/node_modules` (make test does it)", err)
	}
	pngDir := os.Getenv(envTopologyPNGDir)
	if pngDir == "" {
		pngDir = "/tmp/topo"
	}
	if err := os.MkdirAll(pngDir, 0o755); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	b, err := browser.Start(ctx, chromium)
	if err != nil {
		t.Fatalf("e2e: starting chromium %s: %v", version, err)
	}
	defer b.Close()
	product, err := b.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("browser: %s (Debian chromium %s, %s)", product, version, chromium)
	if err := b.Evaluate(ctx, string(src)+"\n;mermaid.initialize({startOnLoad: false, flowchart: {useMaxWidth: false}}); true", nil); err != nil {
		t.Fatalf("loading Mermaid's bundle: %v", err)
	}

	resolved, err := synth.Resolve(environments.All())
	if err != nil {
		t.Fatalf("synth: %v", err)
	}
	var prodTop synth.Topology
	for _, env := range environments.All() {
		t.Run(env.Name, func(t *testing.T) {
			readme, err := os.ReadFile(filepath.Join(repoRoot, "charts", "generated", env.Name, "README.md"))
			if err != nil {
				t.Fatalf("e2e: %v (generate the charts first)", err)
			}
			text, err := mermaidBlock(readme)
			if err != nil {
				t.Fatal(err)
			}
			top := synth.NewTopology(resolved[env.Name].Plan)
			if text != top.Mermaid() {
				t.Fatalf("charts/generated/%s/README.md does not draw the code's topology: run make synth", env.Name)
			}
			if env.Name == "prod" {
				prodTop = top
			}
			r := renderMermaid(t, ctx, b, text)
			checkSVG(t, r.SVG, nodeIDs(top.Nodes), len(top.Drawn()))
			if env.Name == "prod" {
				writePNG(t, ctx, b, r, filepath.Join(pngDir, "prod.png"))
			}
		})
	}
	if prodTop.Nodes == nil {
		t.Fatal("no prod environment in the catalog")
	}

	t.Run("diff picture", func(t *testing.T) {
		base, head := prodChange(t, prodTop)
		d := synth.CompareTopologies(base, head)
		if len(d.AddedEdges) == 0 || len(d.RemovedEdges) == 0 || len(d.ChangedNodes) == 0 {
			t.Fatalf("the change adds %d edges, removes %d and changes %d boxes; want some of each",
				len(d.AddedEdges), len(d.RemovedEdges), len(d.ChangedNodes))
		}
		text := d.Mermaid()
		ids := nodeIDs(head.Nodes)
		for _, n := range d.RemovedNodes {
			ids = append(ids, "removed_"+n.ID)
		}
		ids = append(ids, regexp.MustCompile(`(?m)^    (legend_[a-z]+)\[`).FindAllString(text, -1)...)
		for i, id := range ids {
			ids[i] = strings.TrimSuffix(strings.TrimSpace(id), "[")
		}
		r := renderMermaid(t, ctx, b, text)
		checkSVG(t, r.SVG, ids, len(d.Edges()))
		writePNG(t, ctx, b, r, filepath.Join(pngDir, "diff.png"))
	})

	// The checks can fail: Mermaid refuses a diagram with an unescaped
	// quote in a label, or a linkStyle past the last edge, and the error
	// reaches the test.
	t.Run("refused", func(t *testing.T) {
		text := prodTop.Mermaid()
		for name, bad := range map[string]string{
			"unescaped quote":        strings.Replace(text, `["Gateway `, `["a "quoted" Gateway `, 1),
			"linkStyle out of range": text + "  linkStyle 9999 stroke:#f00\n",
		} {
			if bad == text {
				t.Fatalf("%s: the diagram did not change", name)
			}
			if _, err := tryRender(ctx, b, bad); err == nil {
				t.Errorf("%s: Mermaid rendered a diagram it must refuse", name)
			} else {
				t.Logf("%s: refused: %.200s", name, err)
			}
		}
	})
	record("topology: %d diagrams rendered in chromium %s in %s", len(environments.All())+1, version, r10(time.Since(start)))
}

// prodChange is a change of prod's topology with something of each kind:
// the base has an egress edge the head lacks (removed), lacks the head's
// first internet edge (added), and its first route has other plugins
// (a changed box).
func prodChange(t *testing.T, prod synth.Topology) (base, head synth.Topology) {
	t.Helper()
	head = prod
	base = synth.Topology{Nodes: slices.Clone(prod.Nodes)}
	internet := -1
	for i, e := range prod.Edges {
		if e.To == "internet" && internet < 0 {
			internet = i
			continue
		}
		base.Edges = append(base.Edges, e)
	}
	if internet < 0 {
		t.Fatal("prod has no edge to the internet")
	}
	from := prod.Edges[internet].From
	base.Edges = append(base.Edges, synth.TopologyEdge{Kind: synth.EdgeEgress, From: from, To: "dns", Label: "TCP 853"})
	i := slices.IndexFunc(base.Nodes, func(n synth.TopologyNode) bool { return strings.HasPrefix(n.ID, "route_") })
	if i < 0 {
		t.Fatal("prod has no route")
	}
	label, _, _ := strings.Cut(base.Nodes[i].Label, "<br>plugins: ")
	base.Nodes[i].Label = label + "<br>plugins: cors"
	return base, head
}

// mermaidBlock returns the Mermaid block of a README's Topology section.
func mermaidBlock(readme []byte) (string, error) {
	_, section, ok := bytes.Cut(readme, []byte("\n## Topology\n"))
	if !ok {
		return "", errors.New("the README has no Topology section")
	}
	_, block, ok := bytes.Cut(section, []byte("```mermaid\n"))
	if !ok {
		return "", errors.New("the Topology section has no mermaid block")
	}
	block, _, ok = bytes.Cut(block, []byte("```"))
	if !ok {
		return "", errors.New("the mermaid block is not closed")
	}
	return string(block), nil
}

func nodeIDs(nodes []synth.TopologyNode) []string {
	var out []string
	for _, n := range nodes {
		out = append(out, n.ID)
	}
	return out
}

var renders int

// tryRender renders the Mermaid text in the page, shows the SVG there,
// and returns it with its size. The SVG is the page's, serialised as XML
// (what saving it as a file gives): Mermaid returns the HTML
// serialisation, whose labels' <br> tags are not closed.
func tryRender(ctx context.Context, b *browser.Browser, text string) (rendering, error) {
	renders++
	quoted, err := json.Marshal(text)
	if err != nil {
		return rendering{}, err
	}
	var r rendering
	err = b.Evaluate(ctx, fmt.Sprintf(`(async () => {
  const {svg} = await mermaid.render(%q, %s);
  document.body.style.margin = '16px';
  document.body.style.background = 'white';
  document.body.innerHTML = svg;
  const el = document.querySelector('body > svg');
  const box = el.getBoundingClientRect();
  return {svg: new XMLSerializer().serializeToString(el), width: Math.ceil(box.right) + 16, height: Math.ceil(box.bottom) + 16};
})()`, fmt.Sprintf("topology%d", renders), quoted), &r)
	return r, err
}

func renderMermaid(t *testing.T, ctx context.Context, b *browser.Browser, text string) rendering {
	t.Helper()
	r, err := tryRender(ctx, b, text)
	if err != nil {
		t.Fatalf("Mermaid did not render the diagram: %v\n%s", err, text)
	}
	return r
}

// checkSVG: the SVG is well-formed XML; its boxes are exactly the nodes
// (Mermaid gives each the id flowchart-<node>-<n>), it has edges paths
// and no error.
func checkSVG(t *testing.T, svg string, nodes []string, edges int) {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(svg))
	var drawn []string
	paths := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the SVG is not well-formed XML: %v", err)
		}
		el, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		var class, id string
		for _, a := range el.Attr {
			switch a.Name.Local {
			case "class":
				class = a.Value
			case "id":
				id = a.Value
			}
		}
		classes := strings.Fields(class)
		switch {
		case slices.Contains(classes, "error-icon") || slices.Contains(classes, "error-text"):
			t.Errorf("the SVG holds a Mermaid error element <%s class=%q>", el.Name.Local, class)
		case el.Name.Local == "g" && slices.Contains(classes, "node"):
			m := regexp.MustCompile(`^(?:.*-)?flowchart-(.+)-[0-9]+$`).FindStringSubmatch(id)
			if m == nil {
				t.Errorf("a box without a node id: <g id=%q class=%q>", id, class)
				continue
			}
			drawn = append(drawn, m[1])
		case el.Name.Local == "path" && slices.Contains(classes, "flowchart-link"):
			paths++
		}
	}
	if strings.Contains(svg, "Syntax error") {
		t.Error("the SVG says Syntax error")
	}
	slices.Sort(drawn)
	want := slices.Sorted(slices.Values(nodes))
	if !slices.Equal(drawn, want) {
		t.Errorf("the SVG's boxes are not the topology's nodes:\n got %v\nwant %v", drawn, want)
	}
	if paths != edges {
		t.Errorf("the SVG has %d edges, the topology %d", paths, edges)
	}
	t.Logf("SVG: %d bytes, %d boxes, %d edges", len(svg), len(drawn), paths)
}

// writePNG writes a screenshot of the rendering shown in the page.
func writePNG(t *testing.T, ctx context.Context, b *browser.Browser, r rendering, path string) {
	t.Helper()
	png, err := b.Screenshot(ctx, r.Width, r.Height)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatal("the screenshot is not a PNG")
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d×%d)", path, r.Width, r.Height)
}
