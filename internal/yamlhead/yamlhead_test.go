package yamlhead_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/telepace/platform-charts/internal/yamlhead"
)

func TestHead(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"cdk8s object",
			"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels:\n    app: web\n  name: web\ndata:\n  a: |\n    x: 1\n    y\n",
			"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels:\n    app: web\n  name: web\n"},
		{"head last, comments and blank lines kept with their entry",
			"# header\nspec:\n  x: 1\n\nmetadata:\n  # note\n  name: a\n\nkind: K\napiVersion: g/v1",
			"metadata:\n  # note\n  name: a\n\nkind: K\napiVersion: g/v1"},
		{"no head", "data:\n  a: b\n", ""},
		{"flow mapping", "{apiVersion: v1, kind: K}\n", "{apiVersion: v1, kind: K}\n"},
		{"quoted key", "\"kind\": K\napiVersion: v1\n", "\"kind\": K\napiVersion: v1\n"},
		{"anchor", "metadata: &m\n  name: a\nkind: K\n", "metadata: &m\n  name: a\nkind: K\n"},
		{"duplicate key", "kind: A\nkind: B\n", "kind: A\nkind: B\n"},
		{"sequence", "- kind: A\n", "- kind: A\n"},
		{"key without a space", "kind:A\n", "kind:A\n"},
		{"document marker", "---\nkind: A\n", "---\nkind: A\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, string(yamlhead.Head([]byte(tt.doc))))
		})
	}
}

type head struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Metadata   map[string]any `json:"metadata"`
}

// TestHeadReadsAsTheDocument reads every document of the committed charts'
// templates and shipped CRDs both whole and by its head, and compares.
func TestHeadReadsAsTheDocument(t *testing.T) {
	files, err := filepath.Glob("../../charts/generated/*/*/*.yaml")
	require.NoError(t, err)
	docs := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, doc := range bytes.Split(raw, []byte("\n---\n")) {
			var whole, cut head
			if yaml.Unmarshal(doc, &whole) != nil || whole.Kind == "" {
				continue // Helm template syntax, or no object
			}
			require.NoError(t, yaml.Unmarshal(yamlhead.Head(doc), &cut), "%s", f)
			assert.Equal(t, whole, cut, "%s", f)
			docs++
		}
	}
	assert.Greater(t, docs, 150, "documents compared")
}
