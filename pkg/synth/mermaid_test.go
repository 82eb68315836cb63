package synth_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telepace/platform-charts/environments"
	"github.com/telepace/platform-charts/pkg/synth"
)

// moduleRoot returns the directory holding go.mod, walking up from the
// test's working directory.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, dir, parent, "no go.mod above the test's directory")
		dir = parent
	}
}

// mermaidParse runs test/mermaid/parse.mjs (Mermaid's own parser, pinned
// by test/mermaid/package-lock.json) on the files and returns its output
// and exit code. It fails the test, never skips it, when node or the
// installed modules are missing.
func mermaidParse(t *testing.T, files ...string) (string, int) {
	t.Helper()
	dir := filepath.Join(moduleRoot(t), "test", "mermaid")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "mermaid", "package.json")); err != nil {
		t.Fatalf("Mermaid's parser is not installed in %s/node_modules: run `make test/mermaid/node_modules` (make test does it)", dir)
	}
	node, err := exec.LookPath("node")
	require.NoError(t, err, "Node.js must be on PATH")
	cmd := exec.Command(node, append([]string{filepath.Join(dir, "parse.mjs")}, files...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return string(out), exit.ExitCode()
	}
	require.NoError(t, err, "running %s", cmd)
	return string(out), 0
}

// TestTopologyParsesWithMermaid parses every environment's diagram with
// Mermaid's own parser: each must parse, as a flowchart. A diagram GitHub
// cannot parse shows as an error box in the chart README instead of a
// picture. The subtest "broken" shows the check can fail. It runs in -short
// too: two node starts, about a second each.
func TestTopologyParsesWithMermaid(t *testing.T) {
	resolved := resolvedAll(t)
	diagrams := map[string]string{}
	for _, env := range environments.All() {
		diagrams[env.Name] = synth.NewTopology(resolved[env.Name].Plan).Mermaid()
	}
	require.Contains(t, diagrams, "prod")

	t.Run("every environment", func(t *testing.T) {
		tmp := t.TempDir()
		var files []string
		for _, env := range environments.All() {
			path := filepath.Join(tmp, env.Name+".mmd")
			require.NoError(t, os.WriteFile(path, []byte(diagrams[env.Name]), 0o644))
			files = append(files, path)
		}
		out, code := mermaidParse(t, files...)
		t.Logf("parse.mjs:\n%s", out)
		assert.Equal(t, 0, code, "Mermaid rejects a diagram:\n%s", out)
		for _, f := range files {
			assert.Contains(t, out, f+": ok flowchart", "%s is not parsed as a flowchart", filepath.Base(f))
		}
	})

	// The pictures synth diff adds: every change of prod's topology the
	// diff is tested on, and one whose linkStyle names an edge past the
	// last, which Mermaid refuses.
	t.Run("diff pictures", func(t *testing.T) {
		tmp := t.TempDir()
		var files []string
		var last string
		for _, c := range prodChanges(t) {
			last = synth.CompareTopologies(c.base, c.head).Mermaid()
			path := filepath.Join(tmp, "diff-"+c.name+".mmd")
			require.NoError(t, os.WriteFile(path, []byte(last), 0o644))
			files = append(files, path)
		}
		out, code := mermaidParse(t, files...)
		t.Logf("parse.mjs:\n%s", out)
		assert.Equal(t, 0, code, "Mermaid rejects a diff picture:\n%s", out)
		for _, f := range files {
			assert.Contains(t, out, f+": ok flowchart", "%s is not parsed as a flowchart", filepath.Base(f))
		}

		style := regexp.MustCompile(`(?m)^  linkStyle [0-9]+ `).FindStringIndex(last)
		require.NotNil(t, style, "no linkStyle in the last diff picture")
		bad := filepath.Join(tmp, "linkstyle-out-of-range.mmd")
		require.NoError(t, os.WriteFile(bad, []byte(last[:style[0]]+"  linkStyle 9999 "+last[style[1]:]), 0o644))
		out, code = mermaidParse(t, bad)
		assert.Equal(t, 1, code, "an out-of-range linkStyle was accepted:\n%s", out)
		assert.Contains(t, out, bad+": error ")
	})

	// prod's diagram with one label broken the way a missing escape would
	// break it (a bare double quote), and a truncated subgraph: refused.
	t.Run("broken", func(t *testing.T) {
		text := diagrams["prod"]
		label := regexp.MustCompile(`\["[^"]*"\]`).FindStringIndex(text)
		require.NotNil(t, label, "no quoted label in prod's diagram")
		tmp := t.TempDir()
		var files []string
		for name, body := range map[string]string{
			"unescaped-quote.mmd":   text[:label[0]] + `["a "quoted" label"]` + text[label[1]:],
			"unclosed-subgraph.mmd": "flowchart LR\n  a -->|\"x| b\n  subgraph\n",
		} {
			path := filepath.Join(tmp, name)
			require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
			files = append(files, path)
		}
		out, code := mermaidParse(t, files...)
		t.Logf("parse.mjs:\n%s", out)
		assert.Equal(t, 1, code, "parse.mjs must exit 1 when a diagram does not parse")
		for _, f := range files {
			assert.Contains(t, out, f+": error ", "%s was not rejected", filepath.Base(f))
			assert.NotContains(t, out, f+": ok", "%s was accepted", filepath.Base(f))
		}
	})
}
