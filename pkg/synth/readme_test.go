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
// chart README carries it: copy it from charts/generated/prod/README.md
// when this fails.
func TestRepositoryReadmeShowsProdTopology(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(moduleRoot(t), "README.md"))
	require.NoError(t, err)
	blocks := regexp.MustCompile("(?ms)^```mermaid\n(.*?)^```$").FindAllStringSubmatch(string(readme), -1)
	require.Len(t, blocks, 1, "the README holds exactly one ```mermaid block: prod's topology")

	resolved := resolvedAll(t)
	var want string
	for _, env := range environments.All() {
		if env.Name == "prod" {
			want = synth.NewTopology(resolved[env.Name].Plan).Mermaid()
		}
	}
	require.NotEmpty(t, want, "no prod environment")
	assert.Equal(t, want, blocks[0][1], "the README's diagram is not prod's; copy the ```mermaid block of charts/generated/prod/README.md's Topology section")
	assert.True(t, strings.HasSuffix(want, "\n"), "the diagram ends without a newline")
}
