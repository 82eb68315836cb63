package environments_test

import (
	"cmp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telepace/platform-charts/apps"
	"github.com/telepace/platform-charts/environments"
)

// TestEnvironments checks what every environment of the list must hold,
// whatever the list holds: a unique name and namespace that Lookup finds,
// a TELEPACE_ENVIRONMENT value the services understand, and every service
// of the catalog, each with an image.
func TestEnvironments(t *testing.T) {
	names, namespaces := map[string]bool{}, map[string]bool{}
	for _, e := range environments.All() {
		t.Run(e.Name, func(t *testing.T) {
			assert.False(t, names[e.Name], "%s: a second environment of that name", e.Name)
			assert.False(t, namespaces[e.Namespace], "%s: namespace %s is taken by another environment", e.Name, e.Namespace)
			names[e.Name], namespaces[e.Namespace] = true, true
			found, ok := environments.Lookup(e.Name)
			require.True(t, ok)
			assert.Equal(t, e.Namespace, found.Namespace)
			assert.Contains(t, environments.TelepaceEnvironments, e.TelepaceEnvironment)
			var deployed []string
			for _, s := range e.Services {
				name := cmp.Or(s.Name, s.App)
				deployed = append(deployed, s.App)
				assert.Contains(t, e.Images, name, "%s: %s has no image", e.Name, name)
			}
			assert.ElementsMatch(t, apps.Names(), deployed, "%s deploys every service of the catalog", e.Name)
			assert.True(t, slices.IsSorted(deployed), "environments/%s.go lists its services in name order: %s", e.Name, strings.Join(deployed, ", "))
		})
	}
}

// TestEnvironmentFacts spot-checks the three environments the project
// started with; an environment added later needs no row here.
func TestEnvironmentFacts(t *testing.T) {
	tests := []struct {
		name, namespace, telepace string
		replicas                  int32
	}{
		{"dev", "telepace-dev", "development", 1},
		{"staging", "telepace-staging", "staging", 2},
		{"prod", "telepace", "production", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, ok := environments.Lookup(tt.name)
			require.True(t, ok)
			assert.Equal(t, tt.namespace, e.Namespace)
			assert.Equal(t, tt.telepace, e.TelepaceEnvironment)
			for _, s := range e.Services {
				assert.Equal(t, tt.replicas, s.Replicas, s.App)
			}
		})
	}
}

// TestLookupOfAnUnknownName: a name no environment has is not found.
func TestLookupOfAnUnknownName(t *testing.T) {
	_, ok := environments.Lookup("no-such-env")
	assert.False(t, ok)
}
