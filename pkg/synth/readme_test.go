package synth_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telepace/platform-charts/environments"
	"github.com/telepace/platform-charts/pkg/synth"
)

// TestRepositoryReadmeShowsProdTopology checks that the repository README's
// one Mermaid block is prod's diagram, byte for byte, as the generated
// chart README carries it. `make golden` (-update) rewrites the block.
func TestRepositoryReadmeShowsProdTopology(t *testing.T) {
	path := filepath.Join(moduleRoot(t), "README.md")
	readme, err := os.ReadFile(path)
	require.NoError(t, err)
	block := regexp.MustCompile("(?ms)^```mermaid\n(.*?)^```$")
	blocks := block.FindAllStringSubmatch(string(readme), -1)
	require.Len(t, blocks, 1, "the README holds exactly one ```mermaid block: prod's topology")

	resolved := resolvedAll(t)
	var want string
	for _, env := range environments.All() {
		if env.Name == "prod" {
			want = synth.NewTopology(resolved[env.Name].Plan).Mermaid()
		}
	}
	require.NotEmpty(t, want, "no prod environment")
	if *update && want != blocks[0][1] {
		i := block.FindStringSubmatchIndex(string(readme))
		rewritten := string(readme[:i[2]]) + want + string(readme[i[3]:])
		require.NoError(t, os.WriteFile(path, []byte(rewritten), 0o644))
		return
	}
	assert.Equal(t, want, blocks[0][1], "the README's diagram is not prod's; run `make golden` and review the diff")
	assert.True(t, strings.HasSuffix(want, "\n"), "the diagram ends without a newline")
}
